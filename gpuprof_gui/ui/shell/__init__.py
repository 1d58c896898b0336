"""The window's frame: main window, menus and actions, files in and out, sessions, settings."""

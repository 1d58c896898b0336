"""The Profile tab: run bar, flame graph, hotspot table, source view, console."""

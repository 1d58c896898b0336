"""Bundled files: the application icon and example scripts (see gpuprof_gui/assets.py).

Installed as the package gpuprof_gui.resources; a regular package (this file)
so that editable installs can map it too.
"""

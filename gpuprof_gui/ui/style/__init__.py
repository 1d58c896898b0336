"""Colours, fonts and themes (light, dark, presentation) every view reads."""

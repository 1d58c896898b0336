"""Example scripts to profile; each runs on its own: python <name>.py --help."""

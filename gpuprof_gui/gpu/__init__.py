"""gpu layer (see DESIGN.md)."""

"""The Compare tab: two runs side by side."""

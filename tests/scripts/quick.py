"""Finishes in milliseconds: too short for Scalene to take a sample."""

print("quick")

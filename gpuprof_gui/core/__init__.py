"""Pure-Python model layer: profiles, importers, flame layout, queries.

Nothing here imports Qt, CuPy or NVML (tests/project/test_layering.py enforces it).
"""

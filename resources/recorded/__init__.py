"""Kernel-lab runs recorded on a GPU (results and, where kept, telemetry; device and date inside).

The lab shows them on a computer that cannot run kernels, so its table, charts and plots
show what a run gives instead of staying empty. Copies of tests/data/lab recordings.
"""

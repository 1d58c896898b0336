"""The GPU timeline tab: a run's kernels, copies, syncs and CUDA calls on one time axis."""

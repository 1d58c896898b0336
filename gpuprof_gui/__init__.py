"""gpuprof-gui: a desktop profiler and GPU-offload visualizer for Python."""

__version__ = "0.1.0"

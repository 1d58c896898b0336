"""The offload pair: one program on the CPU, the same program with its hotspot on the GPU."""

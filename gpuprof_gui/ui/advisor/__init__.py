"""The Offload advisor tab: capacity, Amdahl's law, measured speed-up, the prediction chart."""

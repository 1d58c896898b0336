"""A FAKE pynvml for the "host" of the remote-host tests: the sampler there imports this one.

A test puts this folder on the host worker's ``PYTHONPATH`` (``GPUPROF_FAKE_GPUS`` GPUs, 2 by
default); it is tests/gpu/fake_pynvml_support.py's fake, datasheet numbers, no GPU. It lets the
telemetry path (sampled there, mirrored here at 10 Hz) run end to end on a machine without one.
"""

import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gpu"))

from fake_pynvml_support import FakeGpu, make_fake_pynvml

_gpus = [FakeGpu() for _ in range(int(os.environ.get("GPUPROF_FAKE_GPUS", "2")))]
for _number, _gpu in enumerate(_gpus):
    _gpu.power_mw += 1000 * _number  # each GPU its own power, so a test can tell them apart
sys.modules[__name__] = make_fake_pynvml(_gpus)

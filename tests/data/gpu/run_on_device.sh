#!/bin/sh
# Runs the gpu/ layer's GPU checks on a bare GPU machine (CuPy + NVML, no Qt, no install):
#   sh tests/data/gpu/run_on_device.sh OUT_DIR
# Writes pytest's log, the measured figures, the telemetry trace, device facts and the cost benchmark.
out="${1:?usage: run_on_device.sh OUT_DIR}"
mkdir -p "$out"
export PYTHONPATH=. PYTHONUNBUFFERED=1 GPUPROF_GPU_OUT="$out"
python3 -c "from gpuprof_gui.cli.devices import run_devices; run_devices(True)" > "$out/devices.json"
python3 -c "from gpuprof_gui.cli.devices import run_devices; run_devices(False)"
python3 benchmarks/telemetry_cost.py --seconds 10 --hz 10 | tee "$out/telemetry_cost.json"
python3 -m pytest -q -p no:cacheprovider -rs tests/test_gpu_device.py tests/test_gpu_fake_nvml.py tests/test_gpu_trace.py 2>&1 | tee "$out/pytest_gpu.log"

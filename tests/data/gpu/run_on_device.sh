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
python3 -m pytest -q -p no:cacheprovider -rs tests/gpu/test_gpu_device.py tests/gpu/test_gpu_fake_nvml.py tests/gpu/test_gpu_trace.py tests/gpu/test_trace_checks.py 2>&1 | tee "$out/pytest_gpu.log"
# The telemetry this device just recorded passes the trace reader's checks (numbers in range, times in order).
python3 - "$out" <<'PY' 2>&1 | tee "$out/trace_check.txt"
import glob, sys
from gpuprof_gui.gpu.trace_io import load_trace
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    try:
        trace = load_trace(path)
    except Exception as exc:  # a trace the reader refuses, or not a trace at all
        print("refused", path, exc)
    else:
        print("read", path, len(trace.devices), "device(s),", round(trace.duration_s, 1), "s")
PY

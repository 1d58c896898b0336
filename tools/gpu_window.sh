#!/usr/bin/env bash
# The real window on a GPU machine that has CuPy and NVML but no Qt: runs the bundled SAXPY lab with
# live telemetry, saves a screenshot and the lab session (results + telemetry trace), then measures the
# live plots' CPU cost. Qt comes from ../shared/gpu-gui copied into the checkout as gpu-gui/ (git-ignored).
# Usage: bash tools/gpu_window.sh OUT_DIR
set -u
out=${1:?usage: tools/gpu_window.sh OUT_DIR}
cd "$(dirname "$0")/.."
. gpu-gui/activate.sh || exit 1
export PYTHONPATH="$PWD:$PYTHONPATH" PYTHONUNBUFFERED=1
mkdir -p "$out/session"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
timeout 420 python3 -m gpuprof_gui.cli gui --lab-file resources/examples/kernels/saxpy.py --lab-run \
  --lab-save "$out/session" --screenshot "$out/lab_saxpy_live.png"
echo "gui exit: $?"
timeout 120 python3 benchmarks/telemetry_plots.py --seconds 20 > "$out/telemetry_plots.json"
echo "plots exit: $?"; cat "$out/telemetry_plots.json"

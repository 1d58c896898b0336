#!/usr/bin/env bash
# The real window on a GPU machine that has CuPy and NVML but no Qt: runs the bundled SAXPY lab with
# live telemetry, saves a screenshot and the lab session (results + telemetry trace), then measures the
# live plots' CPU cost. Qt comes from ../shared/gpu-gui copied into the checkout as gpu-gui/ (git-ignored).
# Also the offload advisor's whole flow live (profile, select, lab run), and the autosaved session.
# Usage: [GPU_WINDOW_ONLY=lab,plots,advisor] bash tools/gpu_window.sh OUT_DIR
set -u
out=${1:?usage: tools/gpu_window.sh OUT_DIR}
cd "$(dirname "$0")/.."
if [ ! -f gpu-gui/activate.sh ]; then
  echo "tools/gpu_window.sh: needs Qt on the GPU machine: copy a gpu-gui/ bundle (PySide6 and pyqtgraph" \
       "for its Python, with an activate.sh) into the checkout as gpu-gui/ (git-ignored), or install" \
       "PySide6-Essentials and pyqtgraph there and create gpu-gui/activate.sh that does nothing." >&2
  exit 2
fi
. gpu-gui/activate.sh || exit 1
export PYTHONPATH="$PWD:$PYTHONPATH" PYTHONUNBUFFERED=1
mkdir -p "$out/session"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
parts=${GPU_WINDOW_ONLY:-lab,plots,advisor}
if [[ $parts == *lab* ]]; then
  timeout 420 python3 -m gpuprof_gui.cli gui --lab-file resources/examples/kernels/saxpy.py --lab-run \
    --lab-save "$out/session" --screenshot "$out/lab_saxpy_live.png"
  echo "gui exit: $?"
fi
if [[ $parts == *plots* ]]; then
  timeout 120 python3 benchmarks/telemetry_plots.py --seconds 20 > "$out/telemetry_plots.json"
  echo "plots exit: $?"; cat "$out/telemetry_plots.json"
fi
if [[ $parts == *advisor* ]]; then
  # The whole advisor flow, live: profile the CPU program, select diffuse, then run its candidates.
  export GPUPROF_RUNS_DIR="$out/runs"
  timeout 420 python3 -m gpuprof_gui.cli gui resources/examples/offload/heat_cpu.py --run --offload diffuse \
    --lab-file resources/examples/offload/heat_kernels.py --lab-run --tab advisor \
    --screenshot "$out/advisor_live.png"
  echo "advisor gui exit: $?"
  ls "$out"/runs/*/ 2>/dev/null
fi

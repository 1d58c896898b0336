#!/bin/bash
# Records the GPU-trace fixtures on a GPU machine: traced runs made by the app itself
# (`gpuprof profile --gpu-trace`), the CPU run and advice of the bundled pair, NVTX ranges, two
# third-party GPU programs, and the tracing overhead. Run from the repository root with the
# cupti-python, nvtx and py-spy wheels in .whl/; everything lands in $OUT.
set -u
OUT=${OUT:-/tmp/gputrace-out}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    .whl/cupti_python*.whl .whl/nvtx*.whl .whl/py_spy*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PATH=/tmp/site/bin:$PATH
G="python3 -m gpuprof_gui.cli"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/device.txt"
date -u +"%Y-%m-%d %H:%M UTC" >> "$OUT/device.txt"
run() {  # NAME SCRIPT [args]: a traced profile run kept in $OUT/NAME/
    local name=$1; shift
    mkdir -p "$OUT/$name"
    local t0=$(date +%s)
    $G profile --gpu-trace "$1" --output "$OUT/$name/profile.prof" --json -- "${@:2}" \
        > "$OUT/$name/result.json" 2> "$OUT/$name/stderr.txt"
    echo "$name exit $? in $(( $(date +%s) - t0 )) s"
}
run run_heat_gpu_h200 resources/examples/offload/heat_gpu.py
mkdir -p "$OUT/run_heat_cpu_h200"
$G profile resources/examples/offload/heat_cpu.py --output "$OUT/run_heat_cpu_h200/profile.prof" --json \
    > "$OUT/run_heat_cpu_h200/result.json" 2> "$OUT/run_heat_cpu_h200/stderr.txt"; echo "heat_cpu exit $?"
$G advise resources/examples/offload/heat_cpu.py --offload diffuse --kernels resources/examples/offload/heat_kernels.py \
    --save "$OUT/session_heat_h200.json" --json > "$OUT/advise.json" 2> "$OUT/advise_stderr.txt"; echo "advise exit $?"
run run_nvtx_h200 tests/data/gpu/nvtx_ranges.py
run run_torch_mlp_h200 tests/data/gpu/torch_mlp.py
run run_cupyx_solver_h200 tests/data/gpu/cupyx_solver.py
for d in "$OUT"/run_*; do
    [ -f "$d/profile.prof.gpu-trace.json" ] && python3 -c "
import sys; from gpuprof_gui.core.gpu_trace import load_gpu_trace; from gpuprof_gui.core.gpu_trace_summary import summary_text
print(sys.argv[1]); print(summary_text(load_gpu_trace(sys.argv[1] + '/profile.prof.gpu-trace.json')))" "$d"
    tail -3 "$d/stderr.txt"
done
if [ "${RUNS:-3}" != 0 ]; then
python3 benchmarks/gpu_trace_overhead.py --runs ${RUNS:-3} > "$OUT/overhead_heat.json"; tail -c 600 "$OUT/overhead_heat.json"
python3 benchmarks/gpu_trace_overhead.py --runs ${RUNS:-3} --script tests/data/gpu/torch_mlp.py > "$OUT/overhead_torch.json"
tail -c 400 "$OUT/overhead_torch.json"
fi
# Everything in one archive: the device hands back only a few files.
tar -czf "$OUT.tar.gz" -C "$(dirname "$OUT")" "$(basename "$OUT")" && rm -rf "$OUT"

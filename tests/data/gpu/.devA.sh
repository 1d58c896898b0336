set -u
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/cupti_python*.whl .whl/nvtx*.whl .whl/py_spy*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PATH=/tmp/site/bin:$PATH
mkdir -p $OUT/n
python3 -m gpuprof_gui.cli profile --gpu-trace tests/data/gpu/nvtx_ranges.py --output $OUT/n/profile.prof --json > $OUT/n/result.json 2>$OUT/n/stderr.txt; echo nvtx $?; tail -2 $OUT/n/stderr.txt
( . gpu-gui/activate.sh; export PYTHONPATH=/tmp/site:$PWD:$PYTHONPATH GPUPROF_RUNS_DIR=$OUT/guiruns
  for size in 1600x1000; do
    timeout 120 python3 -m gpuprof_gui.cli gui resources/examples/offload/heat_gpu.py --run --gpu-trace --tab timeline --screenshot $OUT/timeline_live_h200.png 2>&1 | tail -2
  done
  find $OUT/guiruns -type f | head )
timeout 420 python3 -m pytest -q -p no:cacheprovider -rs -m gpu tests 2>&1 | tail -25
cd $OUT && tar -czf /tmp/a.tgz . && rm -rf $OUT/* && mv /tmp/a.tgz $OUT/a.tgz

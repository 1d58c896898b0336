"""Run a script under torch.profiler (CUDA activities; CUPTI too, an independent reader) and write
its kernels, copies and memsets: the reference the GPU timeline is checked against.

    python gputrace_torchref.py OUT.json SCRIPT [args...]
"""

import json
import os
import runpy
import sys

import torch
from torch.profiler import ProfilerActivity, profile

out, script, *args = sys.argv[1:]
sys.argv = [script, *args]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
torch.cuda.init()
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        pass
chrome = out + ".chrome.json"
prof.export_chrome_trace(chrome)
with open(chrome) as f:
    events = json.load(f)["traceEvents"]
os.remove(chrome)
rows = {"kernels": [], "copies": [], "memsets": []}
for ev in events:
    cat = ev.get("cat", "")
    if ev.get("ph") != "X":
        continue
    if cat == "kernel":
        rows["kernels"].append({"name": ev["name"], "dur_us": ev["dur"]})
    elif cat == "gpu_memcpy":
        rows["copies"].append({"name": ev["name"], "dur_us": ev["dur"], "bytes": ev.get("args", {}).get("bytes")})
    elif cat == "gpu_memset":
        rows["memsets"].append({"name": ev["name"], "dur_us": ev["dur"], "bytes": ev.get("args", {}).get("bytes")})
with open(out, "w") as f:
    json.dump(rows, f)
print("torch.profiler:", {k: len(v) for k, v in rows.items()})

"""The worker's code on a remote host: sent once per version of that code, then found by name.

The bundle is the same read-only folder :func:`gpuprof_gui.jobs.interpreters.worker_bundle`
makes for a user's Python (the Qt-free worker modules and a launcher), plus the remote
agent. On the host it lives in ``~/.cache/gpuprof-gui/remote/VERSION-DIGEST/``: the name
changes with every byte of the code, so a host never runs stale code, and the app sends
the zip only when that folder is missing. Nothing is installed; deleting the folder is safe.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from gpuprof_gui.jobs.interpreters import BUNDLE_FILES, MIN_VERSION, bundle_sources
from gpuprof_gui.jobs.remote.ssh import Host, HostError, run_remote
from gpuprof_gui.workers.relaunch import LAUNCHER_NAME

GPU_STACK_FILES = (
    "core/__init__.py",
    "core/atomic.py",
    "core/capacity.py",
    "core/gpu_trace.py",
    "core/json_text.py",
    "core/lab_model.py",
    "core/numbers.py",
    "gpu/__init__.py",
    "gpu/arch.py",
    "gpu/cupti_trace.py",
    "gpu/cursor.py",
    "gpu/gpu_channel.py",
    "gpu/nvml.py",
    "gpu/ring.py",
    "gpu/specs.py",
    "gpu/telemetry.py",
    "gpu/telemetry_process.py",
    "gpu/telemetry_rings.py",
    "gpu/trace_io.py",
    "lab/__init__.py",
    "lab/candidates.py",
    "lab/loader.py",
    "lab/problem.py",
    "workers/kernel_worker.py",
    "workers/kernel_worker_build.py",
    "workers/kernel_worker_device.py",
    "workers/kernel_worker_run.py",
    "workers/kernel_worker_timing.py",
    "workers/telemetry_stream.py",
)
"""The kernel lab's worker, the telemetry stream and the GPU tracer (NumPy, CuPy, NVML, CUPTI there): Python 3.10+."""
REMOTE_FILES = (
    *BUNDLE_FILES,
    "workers/remote_frames.py",
    "workers/remote_host.py",
    "workers/remote_agent.py",
    *GPU_STACK_FILES,
)
KEEP_REMOTE_BUNDLES = 3
PROBE_TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 120.0
DISK_FULL_EXIT = 28  # ENOSPC, as the unpacker reports it

# Run on the host as ``python -c PROBE NAME``: where the bundle goes and whether it is there.
_PROBE = r"""
import json, os, sys
cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
root = os.path.join(cache, "gpuprof-gui", "remote")
print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable,
    "root": root, "ready": os.path.isfile(os.path.join(root, sys.argv[1], "LAUNCHER"))}))
"""

# Run on the host as ``python -c UNPACK ROOT NAME`` with the zip on stdin: unpacked beside,
# made read-only, then renamed into place (so a half-sent bundle is never used); old ones pruned.
_UNPACK = r"""
import errno, io, os, shutil, stat, sys, tempfile, zipfile
root, name = sys.argv[1], sys.argv[2]
def writable(path):
    for here, dirs, files in os.walk(path):
        os.chmod(here, 0o700)
def remove(path):
    writable(path)
    shutil.rmtree(path, ignore_errors=True)
building = None
try:
    os.makedirs(root, mode=0o700, exist_ok=True)
    data = sys.stdin.buffer.read()
    building = tempfile.mkdtemp(prefix=".building-", dir=root)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            parts = info.filename.split("/")
            if info.filename.startswith("/") or ".." in parts or info.is_dir():
                continue
            target = os.path.join(building, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(zf.read(info))
    for here, dirs, files in os.walk(building, topdown=False):
        for f in files:
            os.chmod(os.path.join(here, f), 0o444)
        os.chmod(here, 0o555)
    final = os.path.join(root, name)
    try:
        os.rename(building, final)
        building = None
    except OSError:
        if not os.path.isdir(final):
            raise
    old = sorted((os.path.join(root, n) for n in os.listdir(root) if not n.startswith(".") and n != "runs"),
                 key=lambda p: os.stat(p).st_mtime, reverse=True)
    for path in old[KEEP:]:
        if path != final:
            remove(path)
except OSError as exc:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        sys.stderr.write("disk full: %s\n" % (exc.strerror,))
        sys.exit(DISK_FULL)
    sys.stderr.write("%s\n" % (exc,))
    sys.exit(1)
finally:
    if building is not None:
        remove(building)
"""


@dataclass(frozen=True)
class RemoteBundle:
    """Where the worker's code is on a host, and the Python that runs it there."""

    python: str  # the command the user named (``python3`` by default)
    launcher: str  # absolute path of the launcher on the host
    version: tuple[int, int, int]
    root: str  # ~/.cache/gpuprof-gui/remote on the host

    def module_argv(self, module: str) -> list[str]:
        """The command line that runs one of the bundle's modules on the host."""
        return [self.python, self.launcher, module]

    @property
    def runs_root(self) -> str:
        return f"{self.root}/runs"


_ZIPS: dict[tuple[str, ...], tuple[str, bytes]] = {}
"""The bundles made in this process, by their list of files: the code does not change under a run."""


def bundle_zip(files: tuple[str, ...] = REMOTE_FILES) -> tuple[str, bytes]:
    """The bundle's name and the zip that carries it, made once per process for a list of files."""
    made = _ZIPS.get(files)
    if made is None:
        name, sources = bundle_sources(files)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for rel, data in sorted(sources.items()):
                zf.writestr(rel, data)
        made = _ZIPS[files] = (name, buf.getvalue())
    return made


def _decode(out: bytes) -> dict:
    for line in reversed(out.decode("utf-8", "replace").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return {}


def ensure_bundle(host: Host, python: str = "python3", min_version: tuple[int, ...] | None = None) -> RemoteBundle:
    """The bundle on ``host``, sent first when missing; HostError (one sentence) when that cannot be.

    ``min_version``: the Python the job needs there, when more than the profile worker's 3.9.
    """
    name, payload = bundle_zip()
    probe = _PROBE.replace("LAUNCHER", LAUNCHER_NAME)
    done = run_remote(host, [python, "-c", probe, name], timeout_s=PROBE_TIMEOUT_S)
    if done.returncode == 127 or (done.returncode != 0 and b"not found" in done.stderr):
        raise HostError(
            f"{host.label} has no {python!r} for non-interactive logins: install Python "
            f"{MIN_VERSION[0]}.{MIN_VERSION[1]}+ there, or name its path with --python."
        )
    facts = _decode(done.stdout)
    if done.returncode != 0 or not facts:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise HostError(f"{python} on {host.label} could not be asked what it is: {last}.")
    major, minor, micro = (int(v) for v in facts["version"])
    version = (major, minor, micro)
    least = max(MIN_VERSION, tuple(min_version or ()))
    if version < least:
        raise HostError(
            f"{python} on {host.label} is Python {'.'.join(map(str, version))}; the worker needs "
            f"{'.'.join(map(str, least))} or newer: name a newer one with --python."
        )
    root = str(facts["root"])
    if not facts.get("ready"):
        unpack = _UNPACK.replace("KEEP", str(KEEP_REMOTE_BUNDLES)).replace("DISK_FULL", str(DISK_FULL_EXIT))
        sent = run_remote(host, [python, "-c", unpack, root, name], input=payload, timeout_s=UPLOAD_TIMEOUT_S)
        if sent.returncode == DISK_FULL_EXIT:
            raise HostError(
                f"The disk of {host.label} is full: the worker's code ({len(payload) // 1024} KiB) could not "
                f"be written to {root}; free some space there and try again."
            )
        if sent.returncode != 0:
            last = (sent.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            raise HostError(f"The worker's code could not be sent to {host.label}: {last}.")
    return RemoteBundle(python=python, launcher=f"{root}/{name}/{LAUNCHER_NAME}", version=version, root=root)

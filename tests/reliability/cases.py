"""The reliability table: bad inputs a person (or an attacker) gives gpuprof, and the one sentence each gets.

Each :class:`Case` makes its input in a temporary folder and names the words its sentence must hold.
The same table runs through the command line (``test_reliability_cli.py``) and the window, offscreen
(``test_reliability_window.py``); ``conftest.py`` prints the count and the result at the end of
``make test``. Add a row when a new bad input is found: the sentence it should get is part of the row.
"""

from __future__ import annotations

import json
import os
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Case:
    """One bad input. ``make(tmp) -> path`` writes it; ``words`` must all appear in the sentence shown."""

    id: str
    kind: str  # "file": opened (gpuprof open / File > Open); "script": profiled (gpuprof profile / Run)
    make: Callable[[Path], Path]
    words: tuple[str, ...]
    args: tuple[str, ...] = ()  # the script's arguments
    timeout_s: float | None = None  # the run's time limit (gpuprof profile --timeout, the run bar's box)
    window: bool = True  # also through the window


def _write(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return path

    return make


def _json(name: str, value: object) -> Callable[[Path], Path]:
    return _write(name, json.dumps(value))


def _script(name: str) -> Callable[[Path], Path]:
    return lambda _tmp: SCRIPTS / name


def _missing(tmp: Path) -> Path:
    return tmp / "no_such_file.prof"


def _folder(tmp: Path) -> Path:
    (tmp / "a_folder.prof").mkdir()
    return tmp / "a_folder.prof"


def _fifo(tmp: Path) -> Path:
    path = tmp / "pipe.prof"
    os.mkfifo(path)
    return path


def _truncated_prof(tmp: Path) -> Path:
    data = (DATA / "pstats_sample.prof").read_bytes()
    path = tmp / "truncated.prof"
    path.write_bytes(data[: len(data) // 2])
    return path


def _greedy_marshal(tmp: Path) -> Path:
    path = tmp / "greedy.prof"
    path.write_bytes(b"{(" + random.Random(1).randbytes(4096))  # marshal claims a multi-GB object
    return path


def _noise(tmp: Path) -> Path:
    path = tmp / "noise.prof"
    path.write_bytes(random.Random(2).randbytes(4096))
    return path


def _unreadable(tmp: Path) -> Path:
    path = tmp / "locked.prof"
    path.write_bytes((DATA / "pstats_sample.prof").read_bytes())
    path.chmod(0)
    return path


def _session(tmp: Path, name: str, change: Callable[[dict], None]) -> Path:
    good = json.loads((DATA / "sessions" / "heat_h100.gpuprof-session.json").read_text(encoding="utf-8"))
    change(good)
    path = tmp / name
    path.write_text(json.dumps(good), encoding="utf-8")
    return path


def _session_case(name: str, change: Callable[[dict], None]) -> Callable[[Path], Path]:
    return lambda tmp: _session(tmp, name, change)


def _set(key: str, value: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc[key] = value

    return change


def _telemetry(metric: str, key: str, index: int, value: object) -> Callable[[dict], None]:
    """Change one number of the session's recorded telemetry."""

    def change(doc: dict) -> None:
        doc["telemetry"]["devices"][0]["series"][metric][key][index] = value

    return change


def _lab(tmp: Path, name: str, change: Callable[[dict], None]) -> Path:
    doc = json.loads((DATA / "lab" / "lab_saxpy.json").read_text(encoding="utf-8"))
    change(doc)
    path = tmp / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _scalene(rows: list[dict]) -> dict:
    return {"elapsed_time_sec": 1.0, "files": {"/x/s.py": {"functions": [], "lines": rows, "percent_cpu_time": 100}}}


def _nested(name: str, head: str, depth: int = 100_000) -> Callable[[Path], Path]:
    """A small file nested ``depth`` deep: 200 KB that once took the reader down with RecursionError."""
    return _write(name, head + "[" * depth + "]" * depth + "}")


def _saved_profile(tmp: Path, name: str, change: Callable[[dict], None]) -> Path:
    from gpuprof_gui.core.importers import load_profile
    from gpuprof_gui.core.serialize import profile_to_dict

    doc = profile_to_dict(load_profile(str(DATA / "pstats_sample.prof"), trusted=True))
    change(doc)
    path = tmp / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _first_function(key: str, value: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        functions = doc["functions"]
        if isinstance(functions, dict):  # column layout: one list per field
            functions[key][0] = value
        else:
            functions[0][key] = value

    return change


def _link(target: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "link.prof"
        os.symlink(target if target != "self" else str(path), path)
        return path

    return make


def _marshal(name: str, value: object) -> Callable[[Path], Path]:
    import marshal

    return _write(name, marshal.dumps(value))


def _sparse(name: str, head: bytes = b"") -> Callable[[Path], Path]:
    """A 1 GiB sparse file: ``head``, then zeros to 1 GiB (no disk used; refused without reading it all)."""

    def make(tmp: Path) -> Path:
        path = tmp / name
        with open(path, "wb") as fh:
            fh.write(head)
            fh.truncate(1 << 30)
        return path

    return make


def _looping_script(tmp: Path) -> Path:
    path = tmp / "loop.py"
    os.symlink(path, path)
    return path


def _python2_prof(tmp: Path) -> Path:
    """{("file.py", 1, "f"): (1, 1, 0.1, 0.1, {})} in Python 2.7's marshal: "s" + int32 length + bytes for strings."""

    def text(b: bytes) -> bytes:
        return b"s" + struct.pack("<i", len(b)) + b

    def num(n: int) -> bytes:
        return b"i" + struct.pack("<i", n)

    def real(x: float) -> bytes:
        return b"f" + bytes([len(repr(x))]) + repr(x).encode()

    key = b"(" + struct.pack("<i", 3) + text(b"file.py") + num(1) + text(b"f")
    value = b"(" + struct.pack("<i", 5) + num(1) + num(1) + real(0.1) + real(0.1) + b"{0"
    path = tmp / "python2.prof"
    path.write_bytes(b"{" + key + value + b"0")
    return path


def _scalene_line(**fields: object) -> dict:
    line = {
        "lineno": 3,
        "line": "x = 1",
        "n_cpu_percent_python": 50.0,
        "n_cpu_percent_c": 0.0,
        "n_sys_percent": 0.0,
        "n_peak_mb": 0.0,
        "n_avg_mb": 0.0,
        "n_malloc_mb": 0.0,
        "n_usage_fraction": 0.0,
        "n_copy_mb_s": 0.0,
        "n_core_utilization": 0.0,
        "n_gpu_percent": 0.0,
        "n_gpu_peak_memory_mb": 0.0,
        "n_python_fraction": 0.0,
        "n_mallocs": 0,
        "memory_samples": [],
    }
    line.update(fields)
    return line


def _scalene_doc(elapsed: object = 1.0, **line_fields: object) -> dict:
    return {
        "elapsed_time_sec": elapsed,
        "max_footprint_mb": 0.0,
        "growth_rate": 0.0,
        "samples": [],
        "files": {"/x/s.py": {"percent_cpu_time": 100.0, "functions": [], "lines": [_scalene_line(**line_fields)]}},
    }


def _advice_case(name: str, key: str, value: object) -> Callable[[Path], Path]:
    """The recorded H100 advisor session with one of its advice's numbers replaced."""

    def make(tmp: Path) -> Path:
        doc = json.loads((DATA / "advisor" / "session_heat_h100.json").read_text(encoding="utf-8"))
        doc["advice"][key] = value
        path = tmp / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    return make


FILE_CASES = [
    Case("missing-file", "file", _missing, ("no_such_file.prof", "no such file")),
    # The window's run bar takes a folder (a package with __main__.py), as a drop of one does.
    Case("folder", "file", _folder, ("a_folder.prof", "folder"), window=False),
    Case("fifo", "file", _fifo, ("pipe.prof", "not a regular file")),
    Case("empty", "file", _write("empty.prof", b""), ("empty.prof", "empty")),
    Case("whitespace", "file", _write("blank.json", "  \n\n "), ("blank.json", "empty")),
    Case("truncated-prof", "file", _truncated_prof, ("truncated.prof",)),
    Case("greedy-marshal", "file", _greedy_marshal, ("greedy.prof", "damaged")),
    Case("random-bytes", "file", _noise, ("noise.prof",)),
    Case("png-as-profile", "file", _write("picture.prof", b"\x89PNG\r\n\x1a\n" + bytes(64)), ("picture.prof",)),
    Case("invalid-json", "file", _write("broken.json", '{"files": {'), ("broken.json",)),
    Case("json-list", "file", _json("list.json", [1, 2, 3]), ("list.json",)),
    Case("json-number", "file", _write("number.json", "42"), ("number.json",)),
    Case("json-null", "file", _write("null.json", "null"), ("null.json",)),
    Case("empty-object", "file", _write("empty_object.json", "{}"), ("empty_object.json",)),
    Case("utf16-json", "file", _write("utf16.json", '{"files": {}}'.encode("utf-16")), ("utf16.json",)),
    Case("csv-as-profile", "file", _write("table.csv", "a,b,c\n1,2,3\n"), ("table.csv",)),
    Case("folded-no-counts", "file", _write("x.folded", "main;work\nmain;other\n"), ("x.folded",)),
    Case("folded-negative", "file", _write("neg.folded", "main;work -5\n"), ("neg.folded",)),
    Case(
        "scalene-wrong-types",
        "file",
        _json("sc_types.json", {"elapsed_time_sec": "soon", "files": []}),
        ("sc_types.json",),
    ),
    Case(
        "session-newer",
        "file",
        _session_case("newer.gpuprof-session.json", _set("version", 99)),
        ("newer.gpuprof-session.json", "newer"),
    ),
    Case(
        "session-wrong-script-type",
        "file",
        _session_case("wrongtype.gpuprof-session.json", _set("script", {"path": "x.py", "text": 42})),
        ("wrongtype.gpuprof-session.json",),
    ),
    Case(
        "session-profile-garbage",
        "file",
        _session_case("badprofile.gpuprof-session.json", _set("profile", {"functions": "many"})),
        ("badprofile.gpuprof-session.json",),
    ),
    Case(
        "session-telemetry-garbage",
        "file",
        _session_case("badtel.gpuprof-session.json", _set("telemetry", {"format": "gpuprof-telemetry-trace"})),
        ("badtel.gpuprof-session.json",),
    ),
    Case(
        "session-telemetry-infinite-power",
        "file",
        _session_case("infpower.gpuprof-session.json", _telemetry("power_w", "v", 3, float("inf"))),
        ("infpower.gpuprof-session.json", "telemetry", "power_w value 3 is inf"),
    ),
    Case(
        "session-telemetry-utilisation-1e308",
        "file",
        _session_case("hugeutil.gpuprof-session.json", _telemetry("gpu_util_pct", "v", 0, 1e308)),
        ("hugeutil.gpuprof-session.json", "gpu_util_pct", "not a percentage from 0 to 100"),
    ),
    Case(
        "session-telemetry-time-backwards",
        "file",
        _session_case("backwards.gpuprof-session.json", _telemetry("power_w", "t", 5, 0.0)),
        ("backwards.gpuprof-session.json", "power_w time 5", "earlier than the one before it"),
    ),
    Case(
        "advice-damaged",
        "file",
        _json("advice.json", {"format": "gpuprof-advice-session", "version": 1}),
        ("advice.json",),
    ),
    Case(
        "session-run-wall-nan",
        "file",
        _session_case("wall_nan.gpuprof-session.json", _set("run", {"status": "finished", "wall_s": float("nan")})),
        ("wall_nan.gpuprof-session.json", "run.wall_s"),
    ),
    Case(
        "session-run-exit-code-text",
        "file",
        _session_case("exit_text.gpuprof-session.json", _set("run", {"status": "failed", "exit_code": 1.5})),
        ("exit_text.gpuprof-session.json", "run.exit_code"),
    ),
    Case("lab-newer", "file", lambda tmp: _lab(tmp, "lab_new.json", _set("version", 99)), ("lab_new.json", "newer")),
    Case("lab-records-wrong", "file", lambda tmp: _lab(tmp, "lab_bad.json", _set("records", "all")), ("lab_bad.json",)),
    Case(
        "binary-junk-session-name",
        "file",
        _write("junk.gpuprof-session.json", b"\x00\x01garbage"),
        ("junk.gpuprof-session.json",),
    ),
    Case("pstats-int-header", "file", _write("ints.prof", struct.pack("<i", 7) * 32), ("ints.prof",)),
    Case(
        "nested-session",
        "file",
        _nested("deep.gpuprof-session.json", '{"format": "gpuprof-session", "version": 1, "profile": '),
        ("deep.gpuprof-session.json", "nested too deeply"),
    ),
    Case(
        "nested-lab",
        "file",
        _nested("deep_lab.json", '{"format": "gpuprof-lab-results", "version": 1, "records": '),
        ("deep_lab.json",),
    ),
    Case(
        "nested-scalene",
        "file",
        _nested("deep_scalene.json", '{"elapsed_time_sec": 1, "files": '),
        ("deep_scalene.json",),
    ),
    Case(
        "nested-advice",
        "file",
        _nested("deep_advice.json", '{"format": "gpuprof-advice-session", "version": 1, "advice": '),
        ("deep_advice.json", "nested too deeply"),
    ),
    Case(
        "scalene-percent-1e308",
        "file",
        _json("huge_pct.json", _scalene_doc(n_cpu_percent_python=1e308)),
        ("huge_pct.json", "out of range"),
    ),
    Case(
        "scalene-nan",
        "file",
        _write("nan.json", json.dumps(_scalene_doc(n_cpu_percent_python=float("nan")))),
        ("nan.json",),
    ),
    Case(
        "scalene-infinite-time",
        "file",
        _write("inf.json", json.dumps(_scalene_doc(elapsed=float("inf")))),
        ("inf.json",),
    ),
    Case("scalene-negative-time", "file", _json("neg_time.json", _scalene_doc(elapsed=-2.5)), ("neg_time.json",)),
    Case("scalene-line-2-to-the-40", "file", _json("far_line.json", _scalene_doc(lineno=2**40)), ("far_line.json",)),
    Case(
        "saved-profile-nan",
        "file",
        lambda tmp: _saved_profile(tmp, "nan_profile.json", _first_function("self_s", float("nan"))),
        ("nan_profile.json",),
    ),
    Case(
        "saved-profile-negative-calls",
        "file",
        lambda tmp: _saved_profile(tmp, "neg_calls.json", _first_function("calls", -7)),
        ("neg_calls.json",),
    ),
    Case(
        "lab-negative-median",
        "file",
        lambda tmp: _lab(tmp, "lab_neg.json", lambda d: d["records"][0].__setitem__("median_ms", -1.0)),
        ("lab_neg.json",),
    ),
    Case("dangling-link", "file", _link("/no/such/target.prof"), ("link.prof", "no such file")),
    Case("symlink-loop", "file", _link("self"), ("link.prof", "symbolic link that loops")),
    Case("odd-name", "file", _write("we ird $(x); name.prof", b"\x00junk"), ("we ird $(x); name.prof",)),
    Case("marshal-dict-of-ints", "file", _marshal("ints_dict.prof", {1: 2}), ("ints_dict.prof",)),
    Case("python2-prof", "file", _python2_prof, ("python2.prof", "written by Python 2", "profiles from Python 3")),
    Case("marshal-list", "file", _marshal("list.prof", [1, 2, 3]), ("list.prof",)),
    Case(
        "marshal-code-object", "file", _marshal("code.prof", compile("open('RAN', 'w')", "x", "exec")), ("code.prof",)
    ),
    Case("gzip-file", "file", _write("profile.prof.gz", b"\x1f\x8b\x08\x00" + bytes(64)), ("profile.prof.gz",)),
    Case("html-file", "file", _write("page.html", "<!doctype html><html><body>hi</body></html>"), ("page.html",)),
    # The window's run bar takes a script: that is not a failure there.
    Case(
        "script-given-to-open", "file", _write("tool.py", "print('hi')\n"), ("tool.py", "python script"), window=False
    ),
    Case("sparse-gib-zeros", "file", _sparse("zeros.prof"), ("zeros.prof", "not a file gpuprof reads")),
    Case("sparse-gib-folded", "file", _sparse("zeros.folded", b"main;work 1\n" * 12_000), ("zeros.folded", "not text")),
    Case(
        "sparse-gib-json",
        "file",
        _sparse("zeros.json", b'{"elapsed_time_sec": 1, "files": {' + b" " * (128 * 1024)),
        ("zeros.json", "not text"),
    ),
    Case("advice-p-nan", "file", _advice_case("advice_nan.json", "p", float("nan")), ("advice_nan.json", "advice.p")),
    Case("advice-p-above-one", "file", _advice_case("advice_p5.json", "p", 5), ("advice_p5.json", "advice.p")),
    Case(
        "advice-negative-calls",
        "file",
        _advice_case("advice_neg.json", "calls", -3),
        ("advice_neg.json", "advice.calls"),
    ),
    Case("latin1-json", "file", _write("latin1.json", '{"files": "caf\xe9"}'.encode("latin-1")), ("latin1.json",)),
]

SCRIPT_CASES = [
    Case("syntax-error", "script", _write("broken.py", "def f(:\n    pass\n"), ("syntax error", "broken.py")),
    Case("uncaught-exception", "script", _script("raises.py"), ("ValueError",)),
    Case("exit-status", "script", _script("exits.py"), ("3",), args=("3",)),
    Case("segfault", "script", _script("segfault.py"), ("segmentation fault",)),
    Case("binary-script", "script", _write("binary.py", b"\x00\x01\x02\xff" * 64), ("binary.py",)),
    Case("script-symlink-loop", "script", _looping_script, ("loop.py", "symbolic link that loops")),
    Case("missing-script", "script", lambda tmp: tmp / "not_here.py", ("not_here.py",)),
    Case("script-is-folder", "script", lambda tmp: tmp, ("folder",), window=False),
    Case("timeout", "script", _script("hang.py"), ("timeout",), timeout_s=2.0),
    Case("os-exit-7", "script", _script("exits.py"), ("7",), args=("7", "hard")),
    Case("reads-stdin", "script", _script("reads_stdin.py"), ("finished",)),
    Case("non-utf8-output", "script", _script("raw_bytes.py"), ("finished",)),
    Case("recursion-5000", "script", _script("recursion.py"), ("finished",), args=("5000",)),
    Case("empty-script", "script", _write("empty.py", ""), ("finished",)),
    Case("comments-only", "script", _write("comments.py", "# nothing to run\n"), ("finished",)),
    Case("keyboard-interrupt", "script", _write("ctrlc.py", "raise KeyboardInterrupt\n"), ("KeyboardInterrupt",)),
    Case(
        "kills-itself",
        "script",
        _write("suicide.py", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
        ("killed",),
    ),
    Case("fork-pool-terminate", "script", _script("fork_pool_terminate.py"), ("finished",)),
    Case("protocol-lookalike-output", "script", _script("fake_protocol.py"), ("exited with code 5",)),
    Case(
        "latin1-coding-cookie",
        "script",
        _write("latin1.py", "# -*- coding: latin-1 -*-\nprint('caf\xe9')\n".encode("latin-1")),
        ("finished",),
    ),
    Case("busy-thread", "script", _script("busy_thread.py"), ("profiles only the main thread",)),
    Case("removes-profiler", "script", _script("removes_profiler.py"), ("removed or replaced the profiler", "missing")),
    Case("busy-children", "script", _script("busy_children.py"), ("child processes of the script used",)),
    Case("huge-exit-status", "script", _write("huge_exit.py", "raise SystemExit(2**100)\n"), ("exit",)),
]

CASES = FILE_CASES + SCRIPT_CASES

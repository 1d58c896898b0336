"""Foreign .prof files through the convert worker: the same Profile as an in-process read, and the early start.

``open_profile_safely`` parses an untrusted cProfile dump in the convert worker and reads
its numpy hand-off back; what comes out must be exactly what ``load_profile(path,
trusted=True)`` builds in-process. ``gpuprof gui FILE.prof`` starts that worker before
the window exists; the window then claims the conversion instead of starting another.
"""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_profile_npz import assert_identical

from gpuprof_gui.core.importers import ProfileFormatError, load_profile
from gpuprof_gui.jobs import convert_client
from gpuprof_gui.jobs.convert_client import (
    cancel_early_conversions,
    claim_early_conversion,
    looks_like_pstats,
    start_early_conversion,
)
from gpuprof_gui.jobs.runner import convert_untrusted, open_profile_safely

DATA = Path(__file__).resolve().parents[1] / "data"
REPO_ROOT = DATA.parent.parent

pytestmark = pytest.mark.timeout(120)

# Imports, parsing, formatting and arithmetic from across the standard library: a profile
# of hundreds of functions, import machinery included, shaped like a real program's.
STDLIB_HEAVY = textwrap.dedent("""\
    import collections, csv, datetime, decimal, email.message, fractions, io, json, re, statistics, textwrap

    def churn(n):
        rows = [{"i": i, "s": str(i) * 3, "f": fractions.Fraction(i, 7)} for i in range(n)]
        text = json.dumps([{k: str(v) for k, v in r.items()} for r in rows])
        back = json.loads(text)
        out = io.StringIO()
        csv.DictWriter(out, fieldnames=["i", "s", "f"]).writerows(back)
        words = collections.Counter(re.findall(r"[0-9]+", out.getvalue()))
        msg = email.message.EmailMessage()
        msg["Subject"] = textwrap.shorten(" ".join(words), 60)
        return statistics.mean(decimal.Decimal(i) / 3 for i in range(1, n)), datetime.date(2026, 1, 1) + \\
            datetime.timedelta(days=n), msg.as_string()

    for n in (200, 400, 800):
        churn(n)
""")


@pytest.fixture(scope="module")
def stdlib_prof(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stdlib")
    (folder / "work.py").write_text(STDLIB_HEAVY, encoding="utf-8")
    prof = folder / "work.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(prof), str(folder / "work.py")], cwd=folder, check=True, timeout=60
    )
    return prof


@pytest.fixture(autouse=True)
def _no_leftover_conversions():
    yield
    cancel_early_conversions()


def _copy(src: Path, tmp_path: Path, name: str = "p.prof") -> str:
    dest = tmp_path / name
    shutil.copyfile(src, dest)
    return str(dest)


@pytest.mark.parametrize("which", ["sample", "stdlib"])
def test_worker_gives_the_same_profile_as_an_in_process_read(tmp_path, stdlib_prof, which):
    path = _copy(DATA / "pstats_sample.prof" if which == "sample" else stdlib_prof, tmp_path)
    in_process = load_profile(path, trusted=True)
    if which == "stdlib":
        assert len(in_process.functions) > 300 and len(in_process.tree) > 300  # a real, big-enough shape
    assert_identical(in_process, open_profile_safely(path))
    assert open_profile_safely(path).source_path == in_process.source_path == path


def test_json_output_is_still_available(tmp_path):
    prof = _copy(DATA / "pstats_sample.prof", tmp_path)
    result = convert_untrusted(prof, str(tmp_path / "out.json"))
    assert result.ok, result.message
    assert load_profile(result.output_path).functions == load_profile(prof, trusted=True).functions


def test_early_conversion_is_claimed_and_used(tmp_path, stdlib_prof, monkeypatch):
    path = _copy(stdlib_prof, tmp_path)
    assert start_early_conversion(path)

    def no_second_worker(*_args, **_kwargs):
        raise AssertionError("a second conversion was started")

    monkeypatch.setattr(convert_client, "convert_to_profile", no_second_worker)
    assert_identical(load_profile(path, trusted=True), open_profile_safely(path))
    assert claim_early_conversion(path) is None  # used once, then gone
    assert not [p for p in os.listdir(tmp_path) if p != "p.prof"]


def test_early_conversion_of_a_changed_file_is_not_used(tmp_path, stdlib_prof):
    path = _copy(stdlib_prof, tmp_path)
    assert start_early_conversion(path)
    shutil.copyfile(DATA / "pstats_sample.prof", path)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))  # a new mtime even on a coarse clock
    assert claim_early_conversion(path) is None
    assert "spin" in {f.name for f in open_profile_safely(path).functions}


def test_early_conversion_only_for_cprofile_dumps(tmp_path):
    fifo = tmp_path / "fifo.prof"
    os.mkfifo(fifo)  # reading it would block: it must not even be opened
    for path in (
        DATA / "scalene_sample.json",
        DATA / "pstats_sample_script.py",
        tmp_path / "missing.prof",
        tmp_path,
        fifo,
    ):
        assert not looks_like_pstats(str(path))
        assert not start_early_conversion(str(path))
    assert looks_like_pstats(str(DATA / "pstats_sample.prof"))


def test_early_conversion_of_a_damaged_dump_is_a_plain_error(tmp_path):
    good = (DATA / "pstats_sample.prof").read_bytes()
    bad = tmp_path / "truncated.prof"
    bad.write_bytes(good[: len(good) // 2])
    assert start_early_conversion(str(bad))
    with pytest.raises(ProfileFormatError, match=r"truncated|damaged") as exc:
        open_profile_safely(str(bad))
    assert "\n" not in str(exc.value) and "Traceback" not in str(exc.value)


def _slow_prof(path: Path, n_functions: int = 400_000) -> None:
    """A valid dump big enough that parsing it takes seconds (a flat table, no callers)."""
    stats = {("mod.py", i, f"f{i}"): (1, 1, 1e-6, 1e-6, {}) for i in range(n_functions)}
    path.write_bytes(marshal.dumps(stats))


def _pids_reading(path: Path) -> list[int]:
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if os.fsencode(path) in fh.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_unclaimed_conversion_leaves_no_worker_and_no_files(tmp_path):
    path = tmp_path / "big.prof"
    _slow_prof(path)
    before = set(os.listdir(convert_client.tempfile.gettempdir()))
    assert start_early_conversion(str(path))
    deadline = time.monotonic() + 30
    while not _pids_reading(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = _pids_reading(path)
    assert workers, "the convert worker did not start"
    cancel_early_conversions()  # what the app does at exit when the window never asked
    assert not _pids_reading(path)
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
    leftovers = set(os.listdir(convert_client.tempfile.gettempdir())) - before
    assert not [p for p in leftovers if p.startswith("gpuprof-open-")]

"""What travels to a remote host with a script, and what may come back (jobs/remote/transfer.py)."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from gpuprof_gui.jobs.remote.transfer import IGNORE_FILE, TransferError, plan_upload, tar_chunks, unpack_tar


def _tree(root, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_the_folder_travels_without_caches_environments_or_what_gpuprofignore_names(tmp_path):
    _tree(
        tmp_path,
        {
            "main.py": b"print(1)\n",
            "pkg/util.py": b"x = 1\n",
            "data/small.csv": b"a,b\n",
            "data/huge.bin": b"\0" * 10,
            ".git/HEAD": b"ref",
            "__pycache__/main.cpython-312.pyc": b"\0",
            ".venv/bin/python": b"\0",
            "pkg/__pycache__/util.cpython-312.pyc": b"\0",
            IGNORE_FILE: b"# comments are skipped\ndata/*.bin\n",
        },
    )
    plan = plan_upload(str(tmp_path))
    assert sorted(plan.files) == sorted([IGNORE_FILE, "data/small.csv", "main.py", "pkg/util.py"])
    assert plan.total_bytes == sum(os.path.getsize(tmp_path / f) for f in plan.files)
    assert {".git/", "__pycache__/", ".venv/", "data/huge.bin"} <= set(plan.skipped)


def test_a_folder_over_the_limit_is_refused_before_anything_is_sent(tmp_path):
    _tree(tmp_path, {"main.py": b"print(1)\n", "big.npy": b"\0" * 5000})
    with pytest.raises(TransferError) as err:
        plan_upload(str(tmp_path), limit_bytes=4096)
    text = str(err.value)
    assert str(tmp_path) in text and IGNORE_FILE in text and "by its path there" in text


def test_links_do_not_travel_so_nothing_outside_the_folder_is_read(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("do not send")
    folder = tmp_path / "proj"
    _tree(folder, {"main.py": b"print(1)\n"})
    (folder / "link.txt").symlink_to(outside)
    (folder / "linkdir").symlink_to(tmp_path)
    plan = plan_upload(str(folder))
    assert plan.files == ["main.py"]


def test_the_tar_stream_round_trips_byte_for_byte(tmp_path):
    files = {"main.py": b"print('hi')\n", "pkg/deep/x.bin": os.urandom(700_000)}
    _tree(tmp_path / "src", files)
    plan = plan_upload(str(tmp_path / "src"))
    chunks = list(tar_chunks(plan, chunk_bytes=64 * 1024))
    assert len(chunks) > 1  # streamed, not one buffer
    unpack_tar(b"".join(chunks), str(tmp_path / "dst"))
    for rel, data in files.items():
        assert (tmp_path / "dst" / rel).read_bytes() == data


def _hostile_tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, target in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = b"pwned"
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE
                info.linkname = target
                tar.addfile(info)
    return buf.getvalue()


def test_what_comes_back_cannot_write_outside_the_runs_folder(tmp_path):
    dest = tmp_path / "run"
    good = _hostile_tar([("profile.prof", "file", None)])
    assert unpack_tar(good, str(dest)) == ["profile.prof"]
    with pytest.raises(tarfile.TarError):
        unpack_tar(_hostile_tar([("../escaped.txt", "file", None)]), str(dest))
    absolute = tmp_path / "abs-escape.txt"
    unpack_tar(_hostile_tar([(str(absolute), "file", None)]), str(dest))  # made relative: it lands inside
    assert not absolute.exists() and (dest / str(absolute).lstrip("/")).read_bytes() == b"pwned"
    # links are dropped, never followed or made
    unpack_tar(_hostile_tar([("evil", "link", "/etc/passwd")]), str(dest))
    assert not (dest / "evil").exists() and not (tmp_path / "escaped.txt").exists()


def test_a_tar_unpacks_from_a_file_too_and_keeps_the_filter(tmp_path):
    dest = tmp_path / "run"
    dest.mkdir()
    came = dest / ".remote-files-abc"  # the results arrive in a file inside the run's folder
    came.write_bytes(_hostile_tar([("profile.prof", "file", None), (came.name, "file", None)]))
    assert unpack_tar(str(came), str(dest)) == ["profile.prof"]  # nothing lands on the file being read
    assert (dest / "profile.prof").read_bytes() == b"pwned" and came.stat().st_size > 5
    came.write_bytes(_hostile_tar([("../escaped.txt", "file", None)]))
    with open(came, "rb") as fh, pytest.raises(tarfile.TarError):
        unpack_tar(fh, str(dest))
    assert not (tmp_path / "escaped.txt").exists()

"""The worker's code for a host: zipped once per process, found on the host by its name."""

from __future__ import annotations

from pathlib import Path

from gpuprof_gui.jobs.interpreters import bundle_sources
from gpuprof_gui.jobs.remote import bundle
from gpuprof_gui.jobs.remote.ssh import parse_host
from gpuprof_gui.workers.relaunch import LAUNCHER_NAME


def test_the_bundle_is_read_and_zipped_once_per_process(sshd, monkeypatch):
    reads: list[tuple[str, ...]] = []

    def counting(files):
        reads.append(tuple(files))
        return bundle_sources(files)

    monkeypatch.setattr(bundle, "_ZIPS", {}, raising=False)  # a fresh process
    monkeypatch.setattr(bundle, "bundle_sources", counting)
    host = parse_host(sshd.alias)
    first = bundle.ensure_bundle(host)
    again = bundle.ensure_bundle(host)
    name, payload = bundle.bundle_zip()
    assert reads == [bundle.REMOTE_FILES]  # the sources were read once, not per run
    assert first == again and first.launcher.endswith(f"/{name}/{LAUNCHER_NAME}") and payload
    assert Path(first.launcher).is_file()  # the "host" is this machine: the bundle is really there
    other = bundle.REMOTE_FILES[:1]
    assert bundle.bundle_zip(other)[0] != name and reads == [bundle.REMOTE_FILES, other]  # keyed by the files

"""The suite's guard of the user's own files: a session that changes the user's settings,
recent files or runs fails, even when every test passed (tests/conftest.py).

Each case runs an inner pytest session whose "real" home is a folder made here: the
guard takes the user's places from the environment the session started with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


@pytest.fixture
def inner(pytester, monkeypatch):
    """An inner session started as a user would start it: HOME is pytester's folder, no XDG_* set."""
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "GPUPROF_RUNS_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(pytester.path))  # pytester sets it too; said here because the test relies on it
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    settings = pytester.path / ".config" / "gpuprof-gui" / "gpuprof-gui.conf"
    settings.parent.mkdir(parents=True)
    settings.write_text("[General]\nprofiler=scalene\n", encoding="utf-8")  # the user's, there before the tests
    runs = pytester.path / ".cache" / "gpuprof-gui" / "runs"
    runs.mkdir(parents=True)
    return pytester


def _run(pytester, body: str):
    pytester.makepyfile(test_inner=body)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider")


def test_a_session_that_writes_the_users_settings_fails(inner):
    settings = inner.path / ".config" / "gpuprof-gui" / "gpuprof-gui.conf"
    result = _run(
        inner,
        f"""
        def test_writes_the_real_settings():
            with open({str(settings)!r}, "a") as fh:
                fh.write("recent_files=/home/me/x.py\\n")
        """,
    )
    assert result.parseoutcomes().get("passed") == 1
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(["*the user's own gpuprof-gui files changed*", f"*changed: {settings}*"])


def test_a_run_left_in_the_users_runs_folder_fails_the_session(inner):
    run = inner.path / ".cache" / "gpuprof-gui" / "runs" / "20261203-120000-train"
    result = _run(
        inner,
        f"""
        import os

        def test_leaves_a_run():
            os.makedirs({str(run)!r})
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines([f"*made: {run}*"])


def test_settings_made_at_the_organisation_level_count_too(inner):
    made = inner.path / ".config" / "gpuprof-gui.conf"
    result = _run(
        inner,
        f"""
        def test_org_settings():
            open({str(made)!r}, "w").close()
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines([f"*made: {made}*"])


def test_the_tests_see_only_the_test_home_and_a_clean_session_passes(inner):
    """Inside the session HOME, the XDG folders and the runs folder are the test home's; reading the
    user's settings (and git's and pyenv's, lent to it) changes nothing."""
    home = str(inner.path)
    settings = inner.path / ".config" / "gpuprof-gui" / "gpuprof-gui.conf"
    result = _run(
        inner,
        f"""
        import os

        def test_isolated():
            for var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                        "GPUPROF_RUNS_DIR"):
                assert not os.environ[var].startswith({home!r} + os.sep), var
                assert os.environ[var] != {home!r}, var
            assert os.path.expanduser("~") == os.environ["HOME"]
            assert open({str(settings)!r}).read().startswith("[General]")
        """,
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "files changed" not in result.stdout.str()


def test_the_xdg_folder_and_runs_folder_the_user_set_are_watched(inner, monkeypatch):
    config = inner.path / "elsewhere" / "config"
    runs = inner.path / "my runs [1]"  # a bracket in a folder name is not a glob pattern
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("GPUPROF_RUNS_DIR", str(runs))
    runs.mkdir()
    result = _run(
        inner,
        f"""
        import os

        def test_writes_both():
            assert os.environ["GPUPROF_RUNS_DIR"] != {str(runs)!r}  # the tests' runs go to the test home
            os.makedirs({str(config / "gpuprof-gui")!r})
            open({str(runs / "x.prof")!r}, "w").close()
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines([f"*made: {config / 'gpuprof-gui'}*"])
    assert f"made: {runs / 'x.prof'}" in result.stdout.str()  # (fnmatch would read the brackets)

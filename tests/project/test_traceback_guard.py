"""The suite's own guard: a passing test whose output holds a traceback fails (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


@pytest.mark.expect_traceback("the inner run's report, printed by pytester, holds the planted tracebacks")
def test_a_traceback_in_a_passing_tests_output_fails_it_unless_the_test_expects_it(pytester):
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(
        test_guarded="""
        import logging, sys, threading
        import pytest

        def test_printed():
            print("Traceback (most recent call last):\\n  boom", file=sys.stderr)

        def test_logged():
            try:
                raise ValueError("logged")
            except ValueError:
                logging.getLogger("x").exception("it failed")

        def test_in_a_thread():
            t = threading.Thread(target=lambda: 1 / 0)
            t.start()
            t.join()

        @pytest.fixture
        def noisy_teardown():
            yield
            print("Traceback (most recent call last):\\n  late", file=sys.stderr)

        def test_in_teardown(noisy_teardown):
            pass

        @pytest.mark.expect_traceback("it is the point of the test")
        def test_expected():
            print("Traceback (most recent call last):\\n  boom", file=sys.stderr)

        def test_clean():
            print("all good")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 3, result.stdout.str()  # expected, clean, and in_teardown's call
    assert outcomes.get("failed") == 3, result.stdout.str()  # printed, logged, in a thread
    assert outcomes.get("errors", outcomes.get("error")) == 1, result.stdout.str()  # in_teardown
    result.stdout.fnmatch_lines(["*unexpected traceback in the test's output*"])

"""The process py-spy starts in py-spy mode: runs the script as ``__main__`` and records how it ended.

    python .../gpuprof_gui/workers/pyspy_target.py [--stdout-fd N] [--stderr-fd N] STATUS_FILE SCRIPT [ARGS...]

py-spy exits 0 whatever its target did, so this thin launcher writes the
script's exit status (or the exception that ended it) to STATUS_FILE for the
profile worker. It is py-spy's child, so py-spy may read it (and, with
``--subprocesses``, its children) even where the system lets a process trace
only its own descendants. Its own frames and runpy's are removed from the
stacks by the importer. Run by path, not ``-m``: it imports nothing of ours,
so the script sees its own environment and import path, not the app's.
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import sys
import traceback
from typing import NoReturn


def _write_status(path: str, **fields) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(fields, fh)
    except OSError:
        pass


def main(argv: list[str]) -> int:
    while argv[:1] in (["--stdout-fd"], ["--stderr-fd"]):
        # py-spy's own messages go to its log; the script writes to the real streams.
        fd = int(argv[1])
        os.dup2(fd, 1 if argv[0] == "--stdout-fd" else 2)
        os.close(fd)
        argv = argv[2:]
    status_path, script, args = argv[0], argv[1], argv[2:]
    # The worker ignores SIGTERM while py-spy runs (so py-spy can write its
    # samples on Cancel); the script must get Python's usual behaviour back.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(script)
    real_exit = os._exit
    main_pid = os.getpid()

    def os_exit(status: int) -> NoReturn:
        if os.getpid() == main_pid:
            _write_status(status_path, status="exit", exit_code=int(status) & 0xFF)
        real_exit(status)

    os._exit = os_exit
    import faulthandler

    faulthandler.enable()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        status = 0 if code is None else code & 0xFF if isinstance(code, int) else 1
        if not isinstance(code, (int, type(None))):
            print(code, file=sys.stderr)
        _write_status(status_path, status="finished" if status == 0 else "exit", exit_code=status)
        return status
    except BaseException as exc:  # noqa: BLE001 - the script's error, printed as Python would
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next if exc.__traceback__ else None)
        line = traceback.format_exception_only(type(exc), exc)[-1].strip()
        _write_status(status_path, status="exception", exit_code=1, exception=line)
        return 1
    _write_status(status_path, status="finished", exit_code=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

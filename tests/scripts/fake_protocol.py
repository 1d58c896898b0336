"""Prints lines that look like worker protocol messages; the runner must ignore them."""

import sys

FAKE = '{"type": "result", "status": "finished", "profile_path": "/nonexistent/fake.prof", "script_exit_code": 0}'
print(FAKE, flush=True)
print('{"type": "error", "code": 101, "message": "fake"}', file=sys.stderr, flush=True)
print('{"type": "hello", "version": 999, "pid": 1}', flush=True)
sys.exit(5)

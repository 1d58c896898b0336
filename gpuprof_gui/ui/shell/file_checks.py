"""One plain sentence for a file that cannot be opened at all, before any reader tries it.

The readers' own errors carry Python's wording ("[Errno 2] No such file or directory:
'nope.json'"); a person who mistyped a name on the command line or picked a file that
has since gone should read "nope.json: no such file." in the status line instead.
"""

from __future__ import annotations

import os


def unopenable_reason(path: str) -> str | None:
    """Why ``path`` (as the user gave it) cannot be opened as a file, or None when it can be tried."""
    if not os.path.exists(path):
        return f"{path}: no such file."
    if os.path.isdir(path):
        return f"{path} is a folder, not a file."
    if not os.access(path, os.R_OK):
        return f"{path}: permission denied."
    return None

"""Errors raised by the importers; their text is shown to users as is."""

from __future__ import annotations


class ProfileFormatError(ValueError):
    """A profile file could not be read. ``str(e)`` is a sentence for a user."""


class UntrustedFormat(ProfileFormatError):
    """The file is in a format that is unsafe to parse in this process.

    cProfile dumps are ``marshal`` data, which may crash the interpreter on
    malformed input; the caller parses such a file in a worker process
    (``load_profile(path, trusted=True)`` there) and reads back our JSON.
    """

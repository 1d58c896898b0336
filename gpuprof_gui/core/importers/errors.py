"""Errors raised by the importers; their text is shown to users as is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gpuprof_gui.core.numbers import NumberError


class ProfileFormatError(ValueError):
    """A profile file could not be read. ``str(e)`` is a sentence for a user."""


class UntrustedFormat(ProfileFormatError):  # noqa: N818 - a verdict callers act on (parse in a worker), not a fault
    """The file is in a format that is unsafe to parse in this process.

    cProfile dumps are ``marshal`` data, which may crash the interpreter on
    malformed input; the caller parses such a file in a worker process
    (``load_profile(path, trusted=True)`` there) and reads back our JSON.
    """


PYTHON2_SENTENCE = "The file was written by Python 2 (gpuprof reads profiles from Python 3)."


class WrittenByPython2(ProfileFormatError):  # noqa: N818 - a verdict on the file, with its own sentence
    """A cProfile dump made by Python 2: marshal data with Python 2's byte strings.

    ``str()`` is :data:`PYTHON2_SENTENCE`; the convert worker sends it as its message, and
    :func:`from_message` makes this error again on the parent's side from that sentence.
    """

    def __init__(self) -> None:
        super().__init__(PYTHON2_SENTENCE)


def from_message(message: str) -> ProfileFormatError:
    """The error a worker's message stands for: :class:`WrittenByPython2` for its sentence, else plain."""
    return WrittenByPython2() if message == PYTHON2_SENTENCE else ProfileFormatError(message)


# What malformed-but-parseable data raises deep inside an importer.
_DAMAGE = (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError)


@contextmanager
def damage_reported_as(what: str) -> Iterator[None]:
    """Turn a low-level error while reading into a ProfileFormatError naming ``what``."""
    try:
        yield
    except ProfileFormatError:
        raise
    except NumberError as exc:
        raise ProfileFormatError(f"{what} holds a number out of range: {exc}.") from None
    except _DAMAGE as exc:
        raise ProfileFormatError(f"{what} is damaged and cannot be read ({exc}).") from exc

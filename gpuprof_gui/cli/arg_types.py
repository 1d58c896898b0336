"""argparse ``type=`` checks shared by the verbs: a bad number is a usage error, not a strange run."""

from __future__ import annotations

import argparse
import math


def positive_seconds(text: str) -> float:
    """``--timeout S``: a finite number of seconds above 0 (0, negatives, nan and inf are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0 (leave it out for no limit)")
    return value


def non_negative_count(text: str) -> int:
    """``--size``, ``--calls``: a whole number >= 0 (a negative call count or size means a typo)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def non_negative_amount(text: str) -> float:
    """``--bytes``: a finite number >= 0 (NaN and infinity refused too)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of bytes >= 0")
    return value


def positive_count(text: str) -> int:
    """``--top N``: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of 1 or more")
    return value


def gpu_number(text: str) -> int:
    """``--gpu N``: a GPU as ``gpuprof devices`` numbers them, 0 to 1023."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a GPU number (0 is the first GPU)") from None
    if not 0 <= value <= 1023:
        raise argparse.ArgumentTypeError(f"{text} is not a GPU number (0 is the first GPU)")
    return value

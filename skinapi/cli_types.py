"""The CLI's numbers, checked as argparse reads them: a bad value is a one-line usage error
(exit 2) before anything is sent."""

from __future__ import annotations

import argparse
import math


def _number(text: str, kind: type, what: str, fits, needs: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if (kind is float and not math.isfinite(value)) or not fits(value):
        raise argparse.ArgumentTypeError(f"{text!r}: {needs}")
    return value


A_DAY = 86_400.0
"""The longest wait a command takes: a task_id is valid for a day, and a longer wait would only
overflow the clocks it is added to."""


def seconds(text: str) -> float:
    """A positive number of seconds, at most a day."""
    return _number(
        text,
        float,
        "a number of seconds",
        lambda v: 0 < v <= A_DAY,
        f"give a positive number of seconds, at most {A_DAY:.0f} (a day)",
    )


def non_negative(text: str) -> float:
    """Seconds of 0 or more, at most a day (the emulator's delays)."""
    return _number(
        text, float, "a number", lambda v: 0 <= v <= A_DAY, f"give 0 to {A_DAY:.0f} seconds"
    )


def share(text: str) -> float:
    return _number(text, float, "a number", lambda v: 0 <= v <= 1, "give a share from 0 to 1")


def count(text: str) -> int:
    return _number(text, int, "a whole number", lambda v: v >= 1, "give 1 or more")


def port(text: str) -> int:
    return _number(text, int, "a port number", lambda v: 0 <= v <= 65535, "a port is 0 to 65535")


def units(text: str) -> int:
    return _number(text, int, "a whole number", lambda v: v >= 0, "give 0 or more")


def rate_limits(text: str):
    """``R/S,N/WINDOW_S``, e.g. 5/1,250/300."""
    from .runs.budget import RateLimits

    try:
        return RateLimits.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None

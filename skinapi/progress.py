"""What an analysis reports while it runs: its phase, the seconds since it began, and while it
polls, the task, its status and the interval in force."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Phase = Literal["uploading", "creating", "waiting", "retrying", "downloading", "done"]


@dataclass(frozen=True)
class Progress:
    phase: Phase
    elapsed: float
    """Seconds since this call began."""
    polls: int = 0
    interval: float | None = None
    """The polling interval in force, in seconds."""
    task_id: str | None = None
    task_status: str | None = None
    note: str | None = None
    """For ``retrying``: what failed and when the next attempt goes out."""


ProgressCallback = Callable[[Progress], None]

"""The states of a run, one set for the session, the run store, the tables and the exports."""

from __future__ import annotations

from typing import Literal

RunState = Literal[
    "pending",
    "sending",
    "running",
    "stalled",
    "success",
    "error",
    "expired",
    "unsent",
    "unconfirmed",
]
"""
- pending: recorded; the photo is being uploaded and no create request has gone out.
- sending: the billed create request is going out; its answer is not in yet.
- running: the task was created (its task_id is stored) and is being polled.
- stalled: our own deadline passed while the task still ran at the API; resume it by task_id.
- success: the result is stored.
- error: the API refused the task or the engine failed it.
- expired: the API no longer knows the task (not polled in time); its units may be spent.
- unsent: stopped before the create request was sent: nothing was billed.
- unconfirmed: the create request went out but its answer never came: the task may exist and
  may have been billed; look it up before running again.
"""

IN_FLIGHT_STATES: tuple[RunState, ...] = ("pending", "sending", "running")
RESUMABLE_STATES: tuple[RunState, ...] = ("pending", "sending", "running", "stalled")
"""Left in one of these by an earlier session: resumed by task_id, or marked unsent (nothing
was sent) or unconfirmed (the create went out)."""

STATE_LABELS: dict[RunState, str] = {
    "pending": "⏳ pending",
    "sending": "⏳ creating",
    "running": "⏳ running",
    "stalled": "⏸ stalled",
    "success": "✔ done",
    "error": "✖ failed",
    "expired": "⌛ expired",
    "unsent": "○ not sent",
    "unconfirmed": "? may be billed",
}

EXPIRED_MESSAGE = (
    "The API no longer knows this task: it expired because it was not polled in time (or the "
    "demo emulator restarted). Its units may have been spent."
)
NOT_SENT_MESSAGE = "Interrupted before its task was created: nothing was billed."
UNCONFIRMED_MESSAGE = (
    "The create request went out but its answer never came: the task may exist and may have "
    "been billed. Look it up in your YouCam task list before running this photo again."
)

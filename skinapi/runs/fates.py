"""The transitions of a run's lifecycle (`lifecycle`): what a failed create or poll means for
the run and for the units, one answer for single runs and batches alike."""

from __future__ import annotations

from typing import Literal

from ..errors import (
    ApiStatusError,
    DeadlineExceeded,
    InvalidTaskIdError,
    NotSentError,
    RateLimitError,
    ServerError,
    SkinApiError,
    TaskTimeoutError,
)
from ..store.states import EXPIRED_MESSAGE, NOT_SENT_MESSAGE, UNCONFIRMED_MESSAGE, RunState

CreateFate = Literal["again", "refused", "unconfirmed"]
PollFate = Literal["expired", "error", "again"]


def create_fate(exc: BaseException) -> CreateFate:
    """What a failed create means: ``again`` (not executed — a 429, or a connection never
    made — so it may be sent again), ``refused`` (the API said no: nothing billed), or
    ``unconfirmed`` (it went out and no answer says it was refused: it may exist, and be
    billed; never sent again)."""
    if isinstance(exc, (RateLimitError, NotSentError)):
        return "again"
    if isinstance(exc, ApiStatusError) and not isinstance(exc, ServerError):
        return "refused"
    return "unconfirmed"


def poll_fate(exc: BaseException) -> PollFate:
    """What a failed poll means: ``expired`` (the API no longer knows the task), ``error``
    (the task ended without a result, or the answer cannot be used), or ``again`` (transient:
    poll again by task_id)."""
    if isinstance(exc, InvalidTaskIdError):
        return "expired"
    if isinstance(exc, TaskTimeoutError) or not transient(exc):
        return "error"
    return "again"


def transient(exc: BaseException) -> bool:
    return isinstance(exc, SkinApiError) and exc.exit_code == 5


def failure_state(exc: SkinApiError, *, create_sent: bool) -> RunState:
    """The state a run ends in when `exc` stopped it; `create_sent`: its create had gone out
    with no answer yet."""
    if create_sent and create_fate(exc) == "unconfirmed":
        return "unconfirmed"
    if isinstance(exc, DeadlineExceeded):
        return "stalled"
    if isinstance(exc, InvalidTaskIdError):
        return "expired"
    return "error"


FIXED_MESSAGES: dict[str, str] = {
    "expired": EXPIRED_MESSAGE,
    "unconfirmed": UNCONFIRMED_MESSAGE,
    "unsent": NOT_SENT_MESSAGE,
}
"""States whose record carries a fixed explanation rather than the error's own words."""


def error_dict(exc: SkinApiError) -> dict:
    return exc.as_dict() | {"text": str(exc)}

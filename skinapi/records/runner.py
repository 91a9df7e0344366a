"""The one run path: run or resume an analysis, recorded in the run store as it goes.

A run is stored *before* its task is created and its task_id the moment the create answers, so
an interrupted run (a rerun, a closed tab, a crash) resumes by task_id instead of paying again.
The dashboard wraps `run_analysis` in `st.status`; nothing here knows about Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..client import Client, Progress
from ..concerns import AnalysisSettings
from ..errors import DeadlineExceeded, InvalidTaskIdError, SkinApiError
from ..results import AnalysisResult
from .states import EXPIRED_MESSAGE, IN_FLIGHT_STATES, NOT_SENT_MESSAGE, RunState
from .store import RunStore, StoredRun


@dataclass
class Run:
    """One analysis as a session knows it: what is sent, and how far it got."""

    key: str
    photo: bytes
    photo_name: str
    source: str
    settings: AnalysisSettings
    backend: str
    """``demo`` or ``live``."""
    state: RunState = "pending"
    task_id: str | None = None
    result: AnalysisResult | None = None
    error: dict | None = None
    """`SkinApiError.as_dict()` plus its one-line ``text``."""
    started: float = field(default_factory=time.time)
    duration: float | None = None
    polls: int = 0
    store_id: str | None = None
    """The run's id in the run store, when the history is usable."""
    label: str = ""
    trial: str = ""
    participant: str = ""

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT_STATES

    @property
    def units(self) -> int:
        return self.settings.units if self.state == "success" else 0


@dataclass(frozen=True)
class Outcome:
    state: RunState
    result: AnalysisResult | None = None
    error: dict | None = None


def photo_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def run_key(photo: bytes, settings: AnalysisSettings, backend: str) -> str:
    """The same photo, settings and backend give the same key: one result, paid once."""
    return hashlib.sha256((photo_hash(photo) + repr(settings) + backend).encode()).hexdigest()[:16]


def error_dict(exc: SkinApiError) -> dict:
    return exc.as_dict() | {"text": str(exc)}


def run_analysis(
    run: Run,
    client: Client,
    store: RunStore | None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> Outcome:
    """Run `run`, or resume it when it has a task_id; record it in `store` (None: history is
    unusable, so nothing is recorded). `run` is updated in place as it goes — the task_id the
    moment it exists — and the outcome is returned."""
    resuming = run.task_id is not None
    if store is not None and run.store_id is None and not resuming:
        run.store_id = store.begin(
            photo=run.photo,
            settings=run.settings,
            backend=run.backend,
            source=run.source,
            photo_hash=photo_hash(run.photo),
            label=run.label,
            trial=run.trial,
            participant=run.participant,
        )
    recording = store is not None and run.store_id is not None
    run.state = "running" if resuming else "pending"

    def created(task_id: str) -> None:
        # No Streamlit call may come between the create's answer and this line: a rerun that
        # stops the script later still finds the task_id, in the session and in the store.
        run.task_id, run.state = task_id, "running"
        if recording:
            store.update(run.store_id, task_id=task_id, state="running")

    def progress(p: Progress) -> None:
        if p.phase == "waiting" and p.polls:
            run.polls = p.polls
        if recording:
            phases.append(p)
        if on_progress:
            on_progress(p)

    phases: list[Progress] = []
    start = time.monotonic()
    with client.recording() as trace:
        try:
            if resuming:
                result = client.resume(run.task_id, run.settings, on_progress=progress)
            else:
                result = client.analyze(
                    run.photo,
                    run.settings,
                    file_name=run.photo_name,
                    on_progress=progress,
                    on_task_created=created,
                )
        except SkinApiError as exc:
            outcome = _failure(exc)
        else:
            outcome = Outcome("success", result)
    run.state, run.result, run.error = outcome.state, outcome.result, outcome.error
    if outcome.state == "success":
        run.duration = (run.duration or 0.0) + time.monotonic() - start
    if recording:
        _record(store, run, outcome, trace, phases)
    return outcome


def mark_unsent(store: RunStore | None, run: Run | StoredRun) -> None:
    """A run stopped before its create request: it ends here, unbilled."""
    if isinstance(run, Run):
        run.state = "unsent"
        run_id = run.store_id
    else:
        run_id = run.id
    if store is not None and run_id:
        store.update(run_id, state="unsent", error_code="NotSent", error_message=NOT_SENT_MESSAGE)


def run_from_store(store: RunStore, stored: StoredRun) -> Run:
    """A stored run as a session's Run, to open it in Results or resume it."""
    try:
        photo = store.photo(stored.id)
    except OSError:
        photo = b""
    error = None
    if stored.state in ("error", "expired", "unsent"):
        error = {
            "message": stored.error_message or "The run failed.",
            "hint": "",
            "error_code": stored.error_code,
            "task_id": stored.task_id,
        }
    return Run(
        key=f"stored-{stored.id}",
        photo=photo,
        photo_name="photo.jpg",
        source=stored.source,
        settings=stored.settings,
        backend=stored.backend,
        state=stored.state if stored.state != "pending" else "unsent",
        task_id=stored.task_id,
        result=store.load_result(stored),
        error=error,
        duration=stored.duration,
        store_id=stored.id,
        label=stored.label,
        trial=stored.trial,
        participant=stored.participant,
    )


def _failure(exc: SkinApiError) -> Outcome:
    error = error_dict(exc)
    if isinstance(exc, DeadlineExceeded):
        return Outcome("stalled", error=error)
    if isinstance(exc, InvalidTaskIdError):
        return Outcome("expired", error=error | {"message": EXPIRED_MESSAGE})
    return Outcome("error", error=error)


def _record(store: RunStore, run: Run, outcome: Outcome, trace, phases) -> None:
    _save_debug(store, run, trace, phases)
    error = outcome.error or {}
    if outcome.state == "success":
        store.save_result(
            run.store_id, outcome.result, duration=run.duration or 0.0, units=run.settings.units
        )
    elif outcome.state == "stalled":
        store.update(run.store_id, state="stalled", error_message=error.get("text"))
    else:
        message = error.get("message") if outcome.state == "expired" else error.get("text")
        store.update(
            run.store_id,
            state=outcome.state,
            error_code=error.get("error_code"),
            error_message=message,
        )


def _save_debug(store: RunStore, run: Run, trace: list[dict], phases: list[Progress]) -> None:
    """What was sent and received, for a precise report to the vendor (the key is never in it)."""
    folder = store.files / run.store_id
    folder.mkdir(parents=True, exist_ok=True)
    for entry in trace:
        raw = entry.pop("raw", None)
        if raw is not None:
            (folder / "raw_result.zip").write_bytes(raw)
            entry["response"]["saved_as"] = "raw_result.zip"
    timeline: list[dict] = []
    for p in phases:
        if not timeline or timeline[-1]["phase"] != p.phase or p.phase == "waiting":
            timeline.append(
                {"phase": p.phase, "at": round(p.elapsed, 3), "polls": p.polls,
                 "interval": p.interval, "task_status": p.task_status}
            )  # fmt: skip
    stored = store.get(run.store_id)
    debug = stored.debug if stored else {}
    debug.setdefault("attempts", []).append(
        {"settings": run.settings.to_dict(), "exchanges": trace, "phases": timeline}
    )
    json.dumps(debug)  # fail here, not in SQLite, if anything is not JSON
    store.update(run.store_id, debug=debug)

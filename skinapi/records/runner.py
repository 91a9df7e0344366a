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
from dataclasses import dataclass, field, replace

from ..client import DEFAULT_WAIT_TIMEOUT, Client, Progress
from ..concerns import AnalysisSettings
from ..errors import (
    ApiStatusError,
    DeadlineExceeded,
    InvalidTaskIdError,
    NotSentError,
    ServerError,
    SkinApiError,
    StoreError,
)
from ..results import AnalysisResult
from .leases import run_lease
from .states import (
    EXPIRED_MESSAGE,
    IN_FLIGHT_STATES,
    NOT_SENT_MESSAGE,
    UNCONFIRMED_MESSAGE,
    RunState,
)
from .store import RunStore, StoredRun, new_run_id


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
    batch: str = ""
    file: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    visit: str = ""
    not_saved: str | None = None
    """Why the run store does not hold this run (or its result), when it does not."""

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
    exception: SkinApiError | None = None
    """The error as raised, for a caller that reports it as it is (the CLI)."""


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
    timeout: float = DEFAULT_WAIT_TIMEOUT,
) -> Outcome:
    """Run `run`, or resume it when it has a task_id; record it in `store` (None: history is
    unusable, so nothing is recorded). `run` is updated in place as it goes — the create's fate
    and the task_id the moment they are known — and the outcome is returned. A store that
    fails never costs the result: it stays in the run, with the reason in `run.not_saved`."""
    resuming = run.task_id is not None
    book = _Book(store, run)
    fresh = not resuming and run.store_id is None
    run_id = new_run_id() if fresh else run.store_id
    # Leased before its record exists: another window never sees it unclaimed (see leases).
    with run_lease(store, run_id) as held:
        if held is False:  # another window, the CLI or a batch follows this task right now
            return Outcome("running")
        if fresh:
            book.begin(run_id)
        return _run(run, client, book, resuming, on_progress, timeout)


def _run(run: Run, client: Client, book: _Book, resuming: bool, on_progress, timeout) -> Outcome:
    run.state = "running" if resuming else "pending"

    def sending() -> None:
        run.state = "sending"
        book.update(state="sending")

    def created(task_id: str) -> None:
        # No Streamlit call may come between the create's answer and this line: a rerun that
        # stops the script later still finds the task_id, in the session and in the store.
        run.task_id, run.state = task_id, "running"
        book.update(task_id=task_id, state="running")

    phases: list[Progress] = []

    def progress(p: Progress) -> None:
        if p.phase == "waiting" and p.polls:
            run.polls = p.polls
        phases.append(p)
        if on_progress:
            on_progress(p)

    start = time.monotonic()
    with client.recording() as trace:
        try:
            if resuming:
                result = client.resume(
                    run.task_id, run.settings, on_progress=progress, timeout=timeout
                )
            else:
                result = client.analyze(
                    run.photo,
                    run.settings,
                    file_name=run.photo_name,
                    on_progress=progress,
                    on_task_created=created,
                    on_create_sending=sending,
                    timeout=timeout,
                )
        except SkinApiError as exc:
            outcome = replace(_failure(exc, create_sent=run.state == "sending"), exception=exc)
        else:
            outcome = Outcome("success", result)
    run.state, run.result, run.error = outcome.state, outcome.result, outcome.error
    if outcome.state == "success":
        run.duration = (run.duration or 0.0) + time.monotonic() - start
    book.record(outcome, trace, phases)
    return outcome


class _Book:
    """The run's record in the store, kept as far as the store allows."""

    def __init__(self, store: RunStore | None, run: Run):
        self.store, self.run = store, run

    @property
    def open(self) -> bool:
        return self.store is not None and self.run.store_id is not None

    def begin(self, run_id: str) -> None:
        if self.store is None:
            return
        run = self.run
        try:
            run.store_id = self.store.begin(
                run_id=run_id,
                photo=run.photo,
                settings=run.settings,
                backend=run.backend,
                source=run.source,
                photo_hash=photo_hash(run.photo),
                label=run.label,
                trial=run.trial,
                participant=run.participant,
                batch=run.batch,
                file=run.file,
                meta=run.meta,
                visit=run.visit,
            )
        except StoreError as exc:
            run.not_saved = str(exc)

    def update(self, **fields) -> None:
        if self.open:
            try:
                self.store.update(self.run.store_id, **fields)
            except StoreError as exc:
                self.run.not_saved = str(exc)

    def record(self, outcome: Outcome, trace, phases) -> None:
        if not self.open:
            return
        run, store = self.run, self.store
        try:
            _save_debug(store, run, trace, phases)
            _record(store, run, outcome)
        except StoreError as exc:
            run.not_saved = str(exc)
            # The run must not stay "running" in the history when its end cannot be saved.
            error = {"state": "error", "error_code": "NotSaved", "error_message": str(exc)[:300]}
            if outcome.state != "success":
                error = {"state": outcome.state, "error_message": str(exc)[:300]}
            try:
                store.update(run.store_id, **error)
            except StoreError:
                pass  # nothing more can be written; the next start resumes it by task_id


def mark_interrupted(store: RunStore | None, run: Run | StoredRun) -> None:
    """A run an interruption stopped before its task_id came back: unsent when its create
    request never went out (nothing was billed), unconfirmed when it did (it may have been)."""
    sent = run.state == "sending"
    state, code, message = (
        ("unconfirmed", "Unconfirmed", UNCONFIRMED_MESSAGE)
        if sent
        else ("unsent", "NotSent", NOT_SENT_MESSAGE)
    )
    if isinstance(run, Run):
        run.state = state
        run_id = run.store_id
    else:
        run_id = run.id
    if store is not None and run_id:
        try:
            store.update(run_id, state=state, error_code=code, error_message=message)
        except StoreError:
            pass  # the history is unusable; the session still knows


def run_from_store(store: RunStore, stored: StoredRun) -> Run:
    """A stored run as a session's Run, to open it in Results or resume it."""
    try:
        photo = store.photo(stored.id)
    except StoreError:
        photo = b""
    error = None
    if stored.state in ("error", "expired", "unsent", "unconfirmed"):
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
        state={"pending": "unsent", "sending": "unconfirmed"}.get(stored.state, stored.state),
        task_id=stored.task_id,
        result=store.load_result(stored),
        error=error,
        duration=stored.duration,
        store_id=stored.id,
        label=stored.label,
        trial=stored.trial,
        participant=stored.participant,
        batch=stored.batch,
        file=stored.file,
        meta=stored.meta,
        visit=stored.visit,
    )


def _failure(exc: SkinApiError, *, create_sent: bool) -> Outcome:
    error = error_dict(exc)
    refused = isinstance(exc, ApiStatusError) and not isinstance(exc, ServerError)
    if create_sent and not refused and not isinstance(exc, NotSentError):
        # The create went out and no answer says it was refused: it may exist and be billed.
        return Outcome("unconfirmed", error=error | {"message": UNCONFIRMED_MESSAGE})
    if isinstance(exc, DeadlineExceeded):
        return Outcome("stalled", error=error)
    if isinstance(exc, InvalidTaskIdError):
        return Outcome("expired", error=error | {"message": EXPIRED_MESSAGE})
    return Outcome("error", error=error)


def _record(store: RunStore, run: Run, outcome: Outcome) -> None:
    error = outcome.error or {}
    if outcome.state == "success":
        store.save_result(
            run.store_id, outcome.result, duration=run.duration or 0.0, units=run.settings.units
        )
    elif outcome.state == "stalled":
        store.update(run.store_id, state="stalled", error_message=error.get("text"))
    else:
        message = (
            error.get("message")
            if outcome.state in ("expired", "unconfirmed")
            else error.get("text")
        )
        store.update(
            run.store_id,
            state=outcome.state,
            error_code=error.get("error_code"),
            error_message=message,
        )


def _save_debug(store: RunStore, run: Run, trace: list[dict], phases: list[Progress]) -> None:
    """What was sent and received, for a precise report to the vendor (the key is never in it)."""
    folder = store.folder(run.store_id)
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

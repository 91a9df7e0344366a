"""A run's lifecycle: its states, the moves between them, and the one recorder that writes
them. A page, the live trial, `analyze` and `resume` drive a run through `run_analysis`; a
batch's scheduler (runs/batch.py) moves many runs at once with the same fates (runs/fates.py),
the same polling rule and this Recorder. Nothing else writes a run's state.

    pending ──▶ sending ──▶ running ──▶ success
       │           │           ├──▶ error      (the API refused the task, the engine failed it)
       │           │           ├──▶ expired    (the API no longer knows the task)
       │           │           └──▶ stalled    (our deadline passed; resumed later by task_id)
       │           ├──▶ unconfirmed  (the create went out, no answer: it may be billed)
       │           ├──▶ pending      (the create was not executed: 429, or it never connected)
       │           └──▶ error        (the API refused the create)
       └──▶ unsent   (stopped before its create went out: nothing was billed)

A run is recorded *before* its task is created and its task_id the moment the create answers,
so an interrupted run (a rerun, a closed tab, a crash) resumes by task_id instead of paying
again. The dashboard wraps `run_analysis` in `st.status`; nothing here knows about Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, fields

from ..client import DEFAULT_WAIT_TIMEOUT, Client, Progress
from ..concerns import AnalysisSettings
from ..errors import (
    CapReached,
    SkinApiError,
    StoreError,
)
from ..names import one_line, safe_name
from ..results import AnalysisResult
from ..store import RunRecord, RunStore, new_run_id
from ..store.ids import photo_hash
from ..store.leases import run_lease
from ..store.states import (
    IN_FLIGHT_STATES,
    NOT_SENT_MESSAGE,
    UNCONFIRMED_MESSAGE,
    RunState,
)
from . import same_photo, spend
from .fates import FIXED_MESSAGES, error_dict, failure_state

# -- the recorder -------------------------------------------------------------------------


class Recorder:
    """The one writer of runs' records. Safe to share between threads (a batch's pool); with
    no store (an unusable history) it records nothing. The writes a run cannot go on without
    (`begin`, `sending`, `write`, `succeeded`) raise StoreError; the others keep the reason in
    `problem` and let the run go on."""

    def __init__(self, store: RunStore | None):
        self.store = store
        self.problem: str | None = None
        self._lock = threading.Lock()

    def begin(self, run_id: str | None = None, **record) -> str | None:
        """The run's record before anything of it is sent; its id. Raises StoreError."""
        if self.store is None:
            return None
        with self._lock:
            return self.store.begin(run_id=run_id, **record)

    def reopen(self, run_id: str, **fields) -> None:
        """A run that failed before its create, sent again (a batch run again)."""
        self.write(run_id, state="pending", error_code=None, error_message=None, **fields)

    def write(self, run_id: str | None, **fields) -> None:
        """Raises StoreError when it cannot be written."""
        if self.store is not None and run_id:
            with self._lock:
                self.store.update(run_id, **fields)

    def note(self, run_id: str | None, **fields) -> None:
        """As far as the store allows: the run goes on either way."""
        try:
            self.write(run_id, **fields)
        except StoreError as exc:
            self.problem = str(exc)

    def sending(self, run_id: str | None) -> None:
        """The billed create goes out now. Raises StoreError: a create whose fate cannot be
        put on record first is not sent."""
        self.write(run_id, state="sending")

    def not_executed(self, run_id: str | None) -> None:
        self.note(run_id, state="pending")

    def created(self, run_id: str | None, task_id: str, backend: str | None) -> None:
        fields = {"task_id": task_id, "state": "running"}
        if backend:
            fields["backend"] = backend
        self.note(run_id, **fields)

    def audit(self, person: str, action: str, **detail) -> None:
        try:
            if self.store is not None:
                self.store.audit(person, action, **detail)
        except StoreError as exc:
            self.problem = str(exc)

    def thumbnail(self, run_id: str | None, photo: bytes) -> None:
        if self.store is not None and run_id:
            try:
                with self._lock:
                    self.store.keep_thumbnail(run_id, photo)
            except StoreError as exc:
                self.problem = str(exc)

    def succeeded(
        self, run_id: str | None, result: AnalysisResult, *, duration: float, units: int
    ) -> None:
        if self.store is not None and run_id:
            with self._lock:
                self.store.save_result(run_id, result, duration=duration, units=units)

    def failed(self, run_id: str | None, state: RunState, exc: BaseException | None) -> None:
        code = exc.error_code if isinstance(exc, SkinApiError) else None
        text = FIXED_MESSAGES.get(state)
        if text is None and exc is not None:
            text = one_line(str(exc), 400)
        self.note(run_id, state=state, error_code=code, error_message=text)

    def unsent(self, run_id: str | None) -> None:
        self.note(run_id, state="unsent", error_code="NotSent", error_message=NOT_SENT_MESSAGE)

    def interrupted(self, run_id: str | None, *, create_sent: bool) -> RunState:
        """A run an interruption stopped before its task_id came back: unsent when its create
        never went out (nothing was billed), unconfirmed when it did (it may have been)."""
        if create_sent:
            self.note(
                run_id,
                state="unconfirmed",
                error_code="Unconfirmed",
                error_message=UNCONFIRMED_MESSAGE,
            )
            return "unconfirmed"
        self.unsent(run_id)
        return "unsent"

    def debug(self, run_id: str | None, settings: AnalysisSettings, exchanges, phases=()) -> None:
        """What was sent and received (the key never is), for the run's debug bundle; a
        trace is a convenience, so a failure to keep it is ignored."""
        if self.store is None or not run_id:
            return
        with self._lock:
            try:
                for entry in exchanges:
                    raw = entry.pop("raw", None)
                    if raw is not None:
                        self.store.keep_raw_result(run_id, raw)
                        entry["response"]["saved_as"] = "raw_result.zip"
                stored = self.store.get(run_id)
                debug = stored.debug if stored else {}
                debug.setdefault("attempts", []).append(
                    {
                        "settings": settings.to_dict(),
                        "exchanges": exchanges,
                        "phases": _timeline(phases),
                    }
                )
                json.dumps(debug)  # fail here, not in the store, if anything is not JSON
                self.store.update(run_id, debug=debug)
            except (StoreError, OSError, TypeError, ValueError):
                pass


def _timeline(phases) -> list[dict]:
    timeline: list[dict] = []
    for p in phases:
        if not timeline or timeline[-1]["phase"] != p.phase or p.phase == "waiting":
            timeline.append(
                {
                    "phase": p.phase,
                    "at": round(p.elapsed, 3),
                    "polls": p.polls,
                    "interval": p.interval,
                    "task_status": p.task_status,
                }
            )
    return timeline


# -- a single run -------------------------------------------------------------------------


@dataclass(kw_only=True)
class Run(RunRecord):
    """A run as a session follows it: its record, the photo's bytes, and how far it got."""

    key: str
    """The session's name for it (`run_key`: the same photo, settings and backend)."""
    photo: bytes = b""
    error: dict | None = None
    """`SkinApiError.as_dict()` plus its one-line ``text``."""
    polls: int = 0
    not_saved: str | None = None
    """Why the run store does not hold this run (or its result), when it does not."""

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT_STATES

    def wait_again(self) -> None:
        """A stalled run (our deadline passed while its task still ran) is followed again by its
        task_id: back to running, for the next `run_analysis` to poll."""
        if self.state != "stalled" or not self.task_id:
            raise ValueError(f"only a stalled run with a task_id waits again, not {self.state}")
        self.state = "running"


@dataclass(frozen=True)
class Outcome:
    state: RunState
    result: AnalysisResult | None = None
    error: dict | None = None
    exception: SkinApiError | None = None
    """The error as raised, for a caller that reports it as it is (the CLI)."""
    elsewhere: bool = False
    """Another window, process or batch holds the run's lease (or, still after the wait, the
    lease on the same analysis of the same photo): nothing was sent or polled."""
    adopted: bool = False
    """Another window, process or replica ran the same analysis of the same photo at the same
    moment: this is its stored result, and nothing was sent here."""


def run_key(photo: bytes, settings: AnalysisSettings, backend: str) -> str:
    """The same photo, settings and backend give the same key: one result, paid once."""
    return hashlib.sha256((photo_hash(photo) + repr(settings) + backend).encode()).hexdigest()[:16]


def run_analysis(
    run: Run,
    client: Client,
    store: RunStore | None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    timeout: float = DEFAULT_WAIT_TIMEOUT,
) -> Outcome:
    """Run `run`, or resume it when it has a task_id; record it in `store` (None: the run
    store is unusable, so nothing is recorded). `run` is updated in place as it goes — the
    create's fate and the task_id the moment they are known — and the outcome is returned.
    While another window, process or batch holds the run's lease nothing is sent or polled, and
    the outcome is ``running`` and `elsewhere`. A new run waits while another analyses the same
    photo with the same settings on the same backend, then adopts its result (`adopted`:
    nothing sent; see same_photo). A store that fails never costs the result: it stays in the
    run, with the reason in `run.not_saved`."""
    resuming = run.task_id is not None
    run.base_url = run.base_url or client.base_url
    recorder = Recorder(store)
    fresh = not resuming and run.id is None
    run_id = new_run_id() if fresh else run.id
    # Leased before its record exists: another window never sees it unclaimed (see leases).
    with ExitStack() as stack:
        if stack.enter_context(run_lease(store, run_id)) is False:
            return Outcome("running", elsewhere=True)
        if not resuming:  # the same photo, settings and backend: one task at a time
            adopted = _claim_photo(stack, run, store, timeout, on_progress)
            if adopted is not None:
                return adopted
        try:  # before the run's record: a refused run is not one, and nothing is sent
            held = spend.reserve(store, run.person, run.settings.units) if not resuming else None
        except CapReached as exc:
            run.state, run.error = "unsent", error_dict(exc)
            return Outcome("unsent", error=run.error, exception=exc)
        if fresh:
            _begin(run, recorder, run_id)
        outcome = _drive(run, client, recorder, resuming, on_progress, timeout)
        spend.settle(store, held, outcome.state)
    if recorder.problem:
        run.not_saved = recorder.problem
    return outcome


def _claim_photo(stack: ExitStack, run: Run, store: RunStore | None, timeout: float, on_progress):
    """The lease on this analysis of this photo (see same_photo.claim): None to go on, else
    the outcome — the result adopted from whoever ran it meanwhile, or `elsewhere`."""
    if store is None:
        return None
    run.photo_hash = run.photo_hash or photo_hash(run.photo)

    def on_wait() -> None:
        if on_progress:
            on_progress(Progress("waiting", 0.0, note=same_photo.WAITING_ELSEWHERE))

    stored = same_photo.claim(stack, store, run, timeout=timeout, on_wait=on_wait)
    if stored is same_photo.ELSEWHERE:
        return Outcome("running", elsewhere=True)
    adopted = run_from_store(store, stored) if stored is not None else None
    if adopted is None or adopted.result is None:
        return None
    for f in fields(RunRecord):
        setattr(run, f.name, getattr(adopted, f.name))
    return Outcome("success", adopted.result, adopted=True)


def _begin(run: Run, recorder: Recorder, run_id: str) -> None:
    run.photo_hash = run.photo_hash or photo_hash(run.photo)
    try:
        run.id = recorder.begin(
            run_id,
            photo=run.photo,
            settings=run.settings,
            backend=run.backend,
            base_url=run.base_url,
            source=run.source,
            photo_hash=run.photo_hash,
            label=run.label,
            trial=run.trial,
            participant=run.participant,
            batch=run.batch,
            file=run.file,
            meta=run.meta,
            visit=run.visit,
            conditions=run.conditions,
            person=run.person,
            thumbnail=False,  # made while the task runs: nothing waits for it then
        )
    except StoreError as exc:
        run.not_saved = str(exc)


def _drive(run: Run, client: Client, recorder: Recorder, resuming: bool, on_progress, timeout):
    run.state = "running" if resuming else "pending"

    def sending() -> None:
        run.state = "sending"
        recorder.note(run.id, state="sending")

    def created(task_id: str) -> None:
        # No Streamlit call may come between the create's answer and this line: a rerun that
        # stops the script later still finds the task_id, in the session and in the store.
        run.task_id, run.state = task_id, "running"
        run.backend = client.answered_by or run.backend
        recorder.created(run.id, task_id, client.answered_by)
        recorder.audit(
            run.person,
            "analysis created",
            task_id=task_id,
            units=run.settings.units,
            backend=run.backend,
        )
        if not resuming:
            recorder.thumbnail(run.id, run.photo)

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
                    file_name=safe_name(posixpath.basename(run.file), fallback="photo.jpg"),
                    on_progress=progress,
                    on_task_created=created,
                    on_create_sending=sending,
                    timeout=timeout,
                )
        except SkinApiError as exc:
            state = failure_state(exc, create_sent=run.state == "sending")
            error = error_dict(exc)
            if state in ("expired", "unconfirmed"):
                error["message"] = FIXED_MESSAGES[state]
            outcome = Outcome(state, error=error, exception=exc)
        else:
            outcome = Outcome("success", result)
    run.state, run.result, run.error = outcome.state, outcome.result, outcome.error
    if not resuming and run.task_id is None:
        recorder.thumbnail(run.id, run.photo)
    recorder.debug(run.id, run.settings, trace, phases)
    if outcome.state == "success":
        run.duration = (run.duration or 0.0) + time.monotonic() - start
        run.units = run.settings.units
        try:
            recorder.succeeded(
                run.id, outcome.result, duration=run.duration, units=run.settings.units
            )
        except StoreError as exc:
            recorder.problem = str(exc)
            # The run must not stay "running" in the history when its end cannot be saved.
            recorder.note(
                run.id, state="error", error_code="NotSaved", error_message=str(exc)[:300]
            )
    else:
        if client.answered_by and client.answered_by != run.backend:  # whoever refused it
            run.backend = client.answered_by
            recorder.note(run.id, backend=run.backend)
        recorder.failed(run.id, outcome.state, outcome.exception)
    return outcome


def mark_interrupted(store: RunStore | None, run: Run | RunRecord) -> None:
    """A run an interruption stopped before its task_id came back (see Recorder.interrupted)."""
    state = Recorder(store).interrupted(run.id, create_sent=run.state == "sending")
    if isinstance(run, Run):
        run.state = state


def run_from_store(store: RunStore, stored: RunRecord) -> Run:
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
    record = {f.name: getattr(stored, f.name) for f in fields(RunRecord)}
    record["state"] = {"pending": "unsent", "sending": "unconfirmed"}.get(
        stored.state, stored.state
    )
    record["result"] = store.load_result(stored)
    return Run(key=f"stored-{stored.id}", photo=photo, error=error, **record)

"""Batch analysis at the rate limit's full speed: every photo of a plan uploaded, created, polled
and downloaded under one shared request budget, each run recorded in the run store before its
create, so that an interrupted batch resumes without paying twice. The whole API, importable
without Streamlit (OpenCV loads only when photos are checked):

    collect_photos(source) -> list[BatchPhoto]         a folder, a ZIP (path or bytes), or
                                                        (name, bytes) pairs   (batch_input)
    read_meta(source) -> MetaTable                      a CSV's path or bytes (batch_input)
    plan_batch(photos, settings, meta=None, *, on_checked=None) -> BatchPlan
        every photo pre-flighted in parallel: .sendable, .blocked, .skipped, .units (batch_plan)
    standing_of(plan, store, *, batch, backend) -> Standing
        what the store already holds for the batch: .succeeded, .in_flight (polled again by
        task_id), .lost (may have been created: never created again), .to_create, and .units
        a run may still spend (batch_ledger)
    run_batch(plan, client, store, *, batch, backend="live", rate=None, on_progress=None,
              stop=None, timeout=300.0, workers=8, person="") -> BatchSummary
        rate: RateLimits (default 5/1,250/300; RateLimits.parse("5/1,250/300")); on_progress
        gets a BatchProgress (done, running, failed, queued, requests_left_in_window, eta…)
        in the caller's thread; once `stop` is set no new task is created and the created ones
        are polled to their end. BatchSummary.to_dict() is the JSON summary, .exit_code the
        CLI's. Each run is recorded as `person`'s; each create reserves its units against
        the daily caps first (runs/spend), and photos past what the caps leave room for today
        are not sent at all. The audit trail gets "batch started" (and "batch stopped" when
        `stop` ended it early) and an "analysis created" per task.

results.csv (a row per photo × concern × region, with the meta columns) is
`skinapi.presentation.exports.batch_results_csv`.

A photo is the same one again when its batch, photo hash, settings and backend match.
Polls go first, then creates, then new uploads; a new photo is let in only while every window
but the shortest keeps enough requests to poll each task in flight to its end (a task created
with a window's last requests would wait out the window unpolled, and expire). A create that
went out with no answer is `unconfirmed` and never sent again (see runs/lifecycle.py).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .. import errors as e
from ..client import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    Client,
    engine_error,
    poll_interval,
)
from ..names import one_line
from ..store import RunStore
from . import spend
from .batch_board import BatchBoard, BatchProgress
from .batch_calls import BatchCalls, BatchRun
from .batch_input import BatchInputError, BatchPhoto, MetaTable, collect_photos, read_meta
from .batch_ledger import (
    NOT_SENT,
    BatchRecorder,
    BatchSummary,
    Failure,
    Standing,
    batch_lock,
    refuse_other_settings,
    standing_of,
    summarise,
)
from .batch_plan import BatchPlan, BlockedPhoto, PlannedPhoto, plan_batch
from .budget import RateLimits, RateWindow, RequestBudget
from .budget_share import scope_of, shared_budget
from .fates import FIXED_MESSAGES, create_fate, poll_fate, transient

__all__ = [
    "BatchInputError",
    "BatchPhoto",
    "BatchPlan",
    "BatchProgress",
    "BatchSummary",
    "BlockedPhoto",
    "MetaTable",
    "PlannedPhoto",
    "RateLimits",
    "RateWindow",
    "Standing",
    "collect_photos",
    "plan_batch",
    "read_meta",
    "refuse_other_settings",
    "run_batch",
    "standing_of",
]

MAX_ATTEMPTS = 3
"""Tries of a photo's upload, or of its create after 429s, before it counts as failed."""
MAX_POLL_FAILURES = 5
PROGRESS_EVERY = 0.25


def run_batch(
    plan: BatchPlan,
    client: Client,
    store: RunStore,
    *,
    batch: str,
    backend: str = "live",
    rate: RateLimits | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
    stop: threading.Event | None = None,
    timeout: float = DEFAULT_WAIT_TIMEOUT,
    workers: int = 8,
    person: str = "",
) -> BatchSummary:
    started = time.monotonic()
    stop = stop or threading.Event()
    with batch_lock(store, batch):
        url = client.base_url
        refuse_other_settings(store, batch, plan.settings, backend, url)
        standing = standing_of(plan, store, batch=batch, backend=backend, base_url=url)
        batch_recorder = BatchRecorder(
            store, plan.settings, batch=batch, backend=backend, base_url=url, person=person
        )
        batch_recorder.settle_earlier_runs(plan, standing)
        past_cap = _beyond_the_caps(store, person, plan, standing)
        batch_recorder.recorder.audit(
            person, "batch started", batch=batch, photos=len(standing.to_create), backend=backend
        )
        budget = RequestBudget(rate)
        scheduler = _Scheduler(plan, client, batch_recorder, standing, budget, timeout, stop)
        scheduler.board.failures.extend(past_cap)
        scheduler.board.total -= len(past_cap)
        # The key's rate limits, shared with its other batches (other processes, machines)
        with shared_budget(store, budget, scope_of(url, client.key_fingerprint)):
            scheduler.run(workers, on_progress)
        if stop.is_set():
            batch_recorder.recorder.audit(
                person, "batch stopped", batch=batch, done=scheduler.board.done
            )
    return summarise(
        plan,
        store,
        standing,
        batch=batch,
        backend=backend,
        base_url=url,
        failed=scheduler.board.failures,
        tasks_created=scheduler.board.tasks_created,
        budget=scheduler.budget,
        wall_s=time.monotonic() - started,
    )


def _beyond_the_caps(store, person: str, plan: BatchPlan, standing: Standing) -> list[Failure]:
    """Photos past what today's caps leave room for are not sent (taken out of
    `standing.to_create`): each is a failure saying why."""
    fit = spend.photos_that_fit(store, person, plan.settings.units)
    if fit is None or fit >= len(standing.to_create):
        return []
    room = spend.allowance(store, person)
    over, standing.to_create = standing.to_create[fit:], standing.to_create[:fit]
    why = (
        f"not sent: the {room.cap} daily cap of {room.limit} units leaves room for {fit} "
        "photos today; an admin can raise it (Settings → Spend caps)"
    )
    return [Failure(photo.file, why, None, 2) for photo in over]


class _Scheduler:
    """Sends what is due under the budget (polls first, then creates, then uploads) and moves
    each photo on as its answers come back, through the run lifecycle's transitions."""

    def __init__(self, plan, client, batch_recorder, standing: Standing, budget, timeout, stop):
        self.plan, self.client, self.budget = plan, client, budget
        self.calls = BatchCalls(client, budget, batch_recorder, plan.settings)
        self.recorder = batch_recorder.recorder
        self.batch_recorder = batch_recorder
        self.timeout, self.stop = timeout, stop
        self.events: queue.Queue = queue.Queue()
        self.board = BatchBoard(plan, standing, budget)
        self.refusal: e.SkinApiError | None = None

    # -- the loop --------------------------------------------------------------------------

    def run(self, workers: int, on_progress) -> None:
        self.started = time.monotonic()
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="batch")
        reported = 0.0
        finished = False
        try:
            while True:
                if self.halted:
                    self._let_go_of_unsent()
                if not self.board.active and not self.board.queued:
                    break
                wait = self._dispatch_what_can_go()
                self._handle_events(wait)
                if on_progress and time.monotonic() - reported >= PROGRESS_EVERY:
                    on_progress(self.board.progress(self.started))
                    reported = time.monotonic()
            finished = True
        finally:  # quitting (a second Ctrl-C) does not wait for the requests out
            self.pool.shutdown(wait=finished, cancel_futures=True)
        if on_progress:
            on_progress(self.board.progress(self.started))

    @property
    def halted(self) -> bool:
        return self.stop.is_set() or self.refusal is not None

    def _dispatch_what_can_go(self) -> float:
        """Send what is due as long as the budget allows; the seconds to wait for more."""
        while True:
            now = time.monotonic()
            job, kind = self._next(now)
            if job is None:
                due = min((j.next_poll for j in self.board.polls), default=now + PROGRESS_EVERY)
                return min(max(due - now, 0.0), PROGRESS_EVERY)
            ticket = self.budget.try_take()
            if ticket is None:
                return min(self.budget.wait(), PROGRESS_EVERY)
            if kind == "poll":
                self.board.polls.remove(job)
                self._submit("polled", job, lambda j=job, t=ticket: self.calls.poll(j, t))
            elif kind == "create":
                try:  # units set aside against the daily caps before anything is billed
                    job.reservation = job.reservation or self.batch_recorder.reserve()
                except (e.CapReached, e.StoreError) as exc:
                    self.budget.give_back(ticket, sent=False)
                    self.refusal = exc  # every later photo would be refused the same way
                    continue
                self.board.uploaded.popleft()
                try:  # the create's fate is on record before it goes out
                    self.recorder.sending(job.store_id)
                except e.StoreError as exc:
                    self.budget.give_back(ticket, sent=False)
                    self._fail(job, exc, state=None)
                    continue
                job.phase = "creating"
                self._submit("created", job, lambda j=job, t=ticket: self.calls.create(j, t))
            else:
                self.board.queued.popleft()
                job.phase, job.started = "reserving", time.monotonic()
                self.board.active.add(job)
                self._submit("uploaded", job, lambda j=job, t=ticket: self.calls.upload(j, t))

    def _next(self, now: float) -> tuple[BatchRun | None, str]:
        due = [j for j in self.board.polls if j.next_poll <= now]
        if due:
            return min(due, key=lambda j: j.next_poll), "poll"
        if self.halted:
            return None, ""
        if self.board.uploaded:
            return self.board.uploaded[0], "create"
        if self.board.queued and self.board.room_for_one_more():
            return self.board.queued[0], "upload"
        return None, ""

    def _submit(self, kind: str, job: BatchRun, work: Callable[[], object]) -> None:
        def run():
            with self.client.recording() as trace:
                try:
                    value, error = work(), None
                except Exception as exc:  # handed to the scheduler's thread as it is
                    value, error = None, exc
            job.exchanges.extend({k: v for k, v in x.items() if k != "raw"} for x in trace)
            self.events.put((kind, job, value, error))

        self.pool.submit(run)

    def _handle_events(self, wait: float) -> None:
        try:
            event = (
                self.events.get(timeout=max(wait, 0.0)) if wait > 0 else self.events.get_nowait()
            )
        except queue.Empty:
            return
        while True:
            kind, job, value, error = event
            getattr(self, f"_on_{kind}")(job, value, error)
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return

    # -- work done in the pool -------------------------------------------------------------

    # -- answers, in the scheduler's thread ------------------------------------------------

    def _on_uploaded(self, job: BatchRun, file_id, error) -> None:
        if error is None:
            job.file_id, job.phase = file_id, "uploaded"
            self.board.uploaded.append(job)
            return
        job.attempts += 1
        if transient(error) and job.attempts < MAX_ATTEMPTS:
            job.phase = "queued"
            self.board.active.discard(job)
            self.board.queued.appendleft(job)
            return
        if isinstance(error, e.AuthError):
            self.refusal = error
        self._fail(job, error, state=None if isinstance(error, e.StoreError) else "error")

    def _on_created(self, job: BatchRun, created, error) -> None:
        if error is None:
            self.board.tasks_created += 1
            job.task_id = created.task_id
            job.interval = self._interval(created.polling_interval, DEFAULT_POLL_INTERVAL)
            job.phase, job.waiting_since = "polling", time.monotonic()
            job.next_poll = job.waiting_since + job.interval
            self.board.polls.append(job)
            return
        fate = create_fate(error)
        if fate == "again":
            job.attempts += 1
            self.recorder.not_executed(job.store_id)
            if job.attempts < MAX_ATTEMPTS:
                job.phase = "uploaded"
                self.board.uploaded.appendleft(job)
                return
            self._fail(job, error, state="error")
        elif fate == "refused":
            if isinstance(error, (e.AuthError, e.CreditInsufficientError)) or (
                isinstance(error, e.InvalidParametersError) and not self.board.tasks_created
            ):
                self.refusal = error  # every other photo would be refused the same way
            self._fail(job, error, state="error")
        else:
            self._fail(job, error, state="unconfirmed")

    def _on_polled(self, job: BatchRun, state, error) -> None:
        now = time.monotonic()
        if error is None:
            job.polls += 1
            job.poll_failures = 0
            if state.status == "success":
                job.phase = "downloading"
                self._submit("downloaded", job, lambda: self.calls.download(job, state))
            elif state.status == "error":
                self._fail(job, engine_error(state))
            elif now - job.waiting_since > self.timeout:
                self._fail(job, _stalled(job, self.timeout), state="stalled")
            else:
                job.interval = self._interval(state.polling_interval, job.interval)
                job.next_poll = now + job.interval
                self.board.polls.append(job)
            return
        fate = poll_fate(error)
        if fate != "again":
            self._fail(job, error, state=fate)
            return
        job.poll_failures += int(not isinstance(error, e.RateLimitError))
        if job.poll_failures <= MAX_POLL_FAILURES:
            job.next_poll = now + (0 if isinstance(error, e.RateLimitError) else job.interval)
            self.board.polls.append(job)
            return
        self._fail(job, error, state="stalled")

    def _on_downloaded(self, job: BatchRun, result, error) -> None:
        if error is None:
            self.board.polls_needed.append(job.polls)
            job.phase = "done"
            self.board.active.discard(job)
            self.board.done += 1
            self.recorder.debug(job.store_id, self.plan.settings, job.exchanges)
            return
        job.downloads += 1
        if job.downloads < 2 and not isinstance(error, e.StoreError):
            job.phase, job.next_poll = "polling", time.monotonic()  # a poll hands out fresh URLs
            self.board.polls.append(job)
            return
        self._fail(job, error, state=None if isinstance(error, e.StoreError) else "stalled")

    # -- endings ---------------------------------------------------------------------------

    def _fail(self, job: BatchRun, error: BaseException, *, state: str | None = "error"):
        job.phase = "failed"
        self.board.active.discard(job)
        if not isinstance(error, e.SkinApiError):
            error = e.SkinApiError(f"unexpected {type(error).__name__}: {error}. Please report it")
        if job.task_id and not error.task_id:
            error.task_id = job.task_id
        text = one_line(str(error), 400)
        self.batch_recorder.give_back(job.reservation, state or "error")
        if state is not None:
            self.recorder.failed(job.store_id, state, error)
            self.recorder.debug(job.store_id, self.plan.settings, job.exchanges)
        if message := FIXED_MESSAGES.get(state):
            text = f"{message} ({text})"
        code = 5 if state in ("unconfirmed", "stalled", "expired") else error.exit_code
        self.board.failures.append(Failure(job.photo.file, text, job.task_id, code))

    def _let_go_of_unsent(self) -> None:
        """Once stopped or refused: photos not created yet are not sent; their records say
        nothing was billed."""
        why = f"{NOT_SENT}the batch was stopped; run it again to carry on"
        if isinstance(self.refusal, (e.CapReached, e.StoreError)):
            why = f"{NOT_SENT}{one_line(self.refusal, 200)} {self.refusal.hint or ''}".strip()
        elif self.refusal:
            why = f"{NOT_SENT}the API refused the batch ({one_line(self.refusal, 200)})"
        code = self.refusal.exit_code if self.refusal else 5
        while self.board.uploaded:
            job = self.board.uploaded.popleft()
            job.phase = "failed"
            self.batch_recorder.give_back(job.reservation, "unsent")
            self.board.active.discard(job)
            self.recorder.unsent(job.store_id)
            self.board.failures.append(Failure(job.photo.file, why, None, code))
        while self.board.queued:
            job = self.board.queued.popleft()
            self.recorder.unsent(job.store_id)
            self.board.failures.append(Failure(job.photo.file, why, None, code))

    def _interval(self, value: float | None, fallback: float) -> float:
        return poll_interval(value, fallback, self.client.min_poll_interval)


def _stalled(job: BatchRun, timeout: float) -> e.SkinApiError:
    return e.SkinApiError(
        f"the task was still running after {timeout:.0f} s",
        hint="Run the batch again: it polls the task again by its task_id.",
        task_id=job.task_id,
    )

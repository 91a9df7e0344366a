"""A running batch's board: where each photo is (queued, uploaded, waiting for its next poll, in
flight), what failed, and what the rate windows still owe the photos in flight — from which
it tells whether one more photo may start, and the progress the caller is shown."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from .batch_calls import BatchRun
from .batch_ledger import Failure, Standing
from .batch_plan import BatchPlan
from .budget import RateLimits, RequestBudget

FIRST_POLLS_GUESS = 3
"""Polls a task is expected to need before any has finished."""


@dataclass(frozen=True)
class BatchProgress:
    total: int
    """Photos to analyse (blocked ones left out)."""
    done: int
    running: int
    failed: int
    """Sent and failed."""
    queued: int
    requests: int
    rate_limited: int
    requests_left_in_window: int
    """Requests that could go out now within the longest rate window."""
    elapsed: float
    eta: float
    """Seconds still needed at the rate limit, as far as it can be told."""
    not_sent: int = 0
    """Left unsent by a stop or a refusal (counted apart: they neither failed nor cost)."""


class BatchBoard:
    def __init__(self, plan: BatchPlan, standing: Standing, budget: RequestBudget):
        self.budget = budget
        self.limits: RateLimits = budget.limits
        self.queued: deque[BatchRun] = deque()
        self.uploaded: deque[BatchRun] = deque()
        self.polls: list[BatchRun] = []
        self.active: set[BatchRun] = set()
        self.failures: list[Failure] = []
        self.tasks_created = 0
        self.polls_needed: list[int] = []
        self.done = len(standing.succeeded)
        self.total = len(plan.sendable) - len(standing.lost)
        now = time.monotonic()
        for photo in standing.to_create:
            reused = standing.reusable.get(photo.photo_hash)
            self.queued.append(BatchRun(photo, store_id=reused.id if reused else None))
        for photo in plan.sendable:
            stored = standing.in_flight.get(photo.photo_hash)
            if stored:  # first poll at once: it may have finished long ago
                job = BatchRun(photo, stored.id, "polling", stored.task_id, next_poll=now)
                job.waiting_since = job.started = now
                self.active.add(job)
                self.polls.append(job)

    def room_for_one_more(self) -> bool:
        waiting = sum(1 for j in self.active if j.phase in ("reserving", "uploaded", "creating"))
        if waiting >= self.limits.shortest.requests:
            return False
        expected = max(self.polls_needed, default=FIRST_POLLS_GUESS) + 1
        owed = sum(self.requests_left(j, expected) for j in self.active)
        # The shortest window refills within a poll interval or so; a longer one may not come
        # back before a task expires, so its last requests are kept for the tasks in flight. A
        # window smaller than one photo's requests lets a photo start once it is all free (it
        # would otherwise never let one start: `--rate 5/1,4/60` hung).
        return all(
            self.budget.headroom(w) - owed >= min(2 + expected, w.requests)
            for w in self.limits.windows
            if w is not self.limits.shortest
        )

    @staticmethod
    def requests_left(job: BatchRun, expected_polls: int) -> int:
        if job.phase in ("reserving", "uploaded"):
            return 1 + expected_polls
        if job.phase in ("creating", "polling"):
            return max(expected_polls - job.polls, 1)
        return 1  # downloading: a poll for fresh URLs if a download fails

    def progress(self, started: float) -> BatchProgress:
        not_sent = sum(not f.sent for f in self.failures)
        failed = len(self.failures) - not_sent
        queued = len(self.queued)
        running = len(self.active)
        expected = max(self.polls_needed, default=FIRST_POLLS_GUESS) + 1
        owed = queued * (2 + expected) + sum(self.requests_left(j, expected) for j in self.active)
        return BatchProgress(
            total=self.total,
            done=self.done,
            running=running,
            failed=failed,
            not_sent=not_sent,
            queued=queued,
            requests=self.budget.requests,
            rate_limited=self.budget.rate_limited,
            requests_left_in_window=self.budget.left_in_window(),
            elapsed=time.monotonic() - started,
            eta=self.limits.bound(owed),
        )

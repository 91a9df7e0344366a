"""A batch in the run store: what the store already holds for a plan's photos (the batch's
standing), the writes of a running batch (from several threads, so through one lock), and what
is reported at the end — the summary and results.csv — from what the store holds.

A photo is the same one again when its batch, photo hash, settings and backend match a stored
run: succeeded → nothing to do; in flight with a task_id → polled again; a create that may have
gone out with no task_id back, or a task that expired → never created again (it may have been
billed); recorded but never sent → recorded again in the same run; failed → created anew.
"""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from ..concerns import AnalysisSettings
from ..errors import StoreError
from ..results import AnalysisResult
from .batch_input import BatchInputError
from .batch_plan import BatchPlan, BlockedPhoto, PlannedPhoto
from .budget import RequestBudget
from .leases import batch_lock_path, take
from .runner import mark_interrupted
from .states import EXPIRED_MESSAGE, NOT_SENT_MESSAGE, UNCONFIRMED_MESSAGE
from .store import RunStore, StoredRun

NOT_AGAIN = " It is not created again: delete its run in History to analyse the photo anew."


@dataclass(frozen=True)
class Failure:
    file: str
    error: str
    task_id: str | None
    exit_code: int
    """What it means for the CLI: 3 refused, 4 the engine failed it, 5 transient, 2 input."""

    def to_dict(self) -> dict:
        return {"file": self.file, "error": self.error, "task_id": self.task_id}


@dataclass
class BatchSummary:
    batch: str
    photos: int
    blocked: list[BlockedPhoto]
    skipped: list[str]
    succeeded: int
    failed: list[Failure]
    tasks_created: int
    units: int
    """Units of every succeeded photo of the batch (these settings), as stored."""
    requests: int
    rate_limited: int
    wall_s: float
    resumed: int = 0
    """Tasks an earlier run left in flight, polled again by task_id."""
    already_done: int = 0

    @property
    def exit_code(self) -> int:
        """0 all succeeded; 3 the API refused; 5 some failed transiently (run again to resume);
        4 the engine refused photos; 2 nothing could be sent."""
        codes = {f.exit_code for f in self.failed}
        for code in (3, 5, 4, 2):
            if code in codes:
                return code
        return 2 if not self.succeeded and not self.failed else 0

    def to_dict(self) -> dict:
        return {
            "batch": self.batch,
            "photos": self.photos,
            "blocked": [b.to_dict() for b in self.blocked],
            "skipped": list(self.skipped),
            "succeeded": self.succeeded,
            "failed": [f.to_dict() for f in self.failed],
            "tasks_created": self.tasks_created,
            "units": self.units,
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "wall_s": round(self.wall_s, 3),
            "resumed": self.resumed,
            "already_done": self.already_done,
        }


@dataclass
class Standing:
    succeeded: dict[str, StoredRun] = field(default_factory=dict)
    """By photo hash, as every dict here."""
    in_flight: dict[str, StoredRun] = field(default_factory=dict)
    lost: dict[str, StoredRun] = field(default_factory=dict)
    """Created or maybe created, with no result to be had: never created again."""
    reusable: dict[str, StoredRun] = field(default_factory=dict)
    """Recorded, and nothing was sent: the next attempt is recorded in the same run."""
    to_create: list[PlannedPhoto] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    units: int = 0
    """What running the batch may still spend: units are spent on success only."""

    def lost_failures(self) -> list[Failure]:
        failures = []
        for photo_hash, run in self.lost.items():
            why = EXPIRED_MESSAGE if run.state == "expired" else UNCONFIRMED_MESSAGE
            failures.append(Failure(self.files[photo_hash], why + NOT_AGAIN, run.task_id, 5))
        return failures


def standing_of(plan: BatchPlan, store: RunStore, *, batch: str, backend: str) -> Standing:
    settings = plan.settings.to_dict()
    runs: dict[str, list[StoredRun]] = {}
    for run in store.batch_runs(batch):  # oldest first
        if run.backend == backend and run.settings.to_dict() == settings:
            runs.setdefault(run.photo_hash, []).append(run)
    standing = Standing()
    for photo in plan.sendable:
        key = photo.photo_hash
        standing.files[key] = photo.file
        stored = runs.get(key, [])
        if found := _newest(stored, lambda r: r.state == "success"):
            standing.succeeded[key] = found
        elif found := _newest(
            stored, lambda r: r.task_id and r.state in ("pending", "sending", "running", "stalled")
        ):
            standing.in_flight[key] = found
        elif found := _newest(stored, lambda r: r.state in ("sending", "unconfirmed", "expired")):
            standing.lost[key] = found
        else:
            if found := _newest(stored, lambda r: r.state in ("pending", "unsent")):
                standing.reusable[key] = found
            standing.to_create.append(photo)
    standing.units = (len(standing.to_create) + len(standing.in_flight)) * plan.settings.units
    return standing


def _newest(runs: list[StoredRun], wanted) -> StoredRun | None:
    return next((r for r in reversed(runs) if wanted(r)), None)


class Ledger:
    """A running batch's writes to the run store, one at a time."""

    def __init__(self, store: RunStore, settings: AnalysisSettings, *, batch: str, backend: str):
        self.store, self.settings = store, settings
        self.batch, self.backend = batch, backend
        self._lock = threading.Lock()

    def settle_earlier_runs(self, plan: BatchPlan, standing: Standing) -> None:
        """Before anything is sent: a create an earlier run left going out is now known to be
        unconfirmed; succeeded runs take this run's file name and meta row (a corrected CSV)."""
        with self._lock:
            for run in standing.lost.values():
                if run.state == "sending":
                    mark_interrupted(self.store, run)
                    run.state = "unconfirmed"
            if not plan.meta_columns:
                return
            for photo in plan.sendable:
                run = standing.succeeded.get(photo.photo_hash)
                if run and (run.file != photo.file or run.meta != photo.meta):
                    try:
                        self.store.update(run.id, file=photo.file, meta=photo.meta)
                    except StoreError:
                        pass  # the result stands; only its labels are older

    def begin(self, photo: PlannedPhoto, data: bytes, reuse: str | None) -> str:
        """The run's record before anything of it is sent; StoreError if it cannot be kept."""
        with self._lock:
            if reuse:
                self.store.update(
                    reuse, state="pending", file=photo.file, meta=photo.meta, error_code=None,
                    error_message=None,
                )  # fmt: skip
                return reuse
            return self.store.begin(
                photo=data, settings=self.settings, backend=self.backend, source="batch",
                photo_hash=photo.photo_hash, label=self.batch, batch=self.batch, file=photo.file,
                meta=photo.meta,
            )  # fmt: skip

    def update(self, run_id: str | None, **fields) -> None:
        """StoreError when it cannot be written."""
        if run_id:
            with self._lock:
                self.store.update(run_id, **fields)

    def note(self, run_id: str | None, **fields) -> None:
        """As far as the store allows: the batch goes on either way."""
        try:
            self.update(run_id, **fields)
        except StoreError:
            pass

    def unsent(self, run_id: str | None) -> None:
        self.note(run_id, state="unsent", error_code="NotSent", error_message=NOT_SENT_MESSAGE)

    def save_result(self, run_id: str, result: AnalysisResult, *, duration: float) -> None:
        with self._lock:
            self.store.save_result(run_id, result, duration=duration, units=self.settings.units)

    def save_debug(self, run_id: str | None, exchanges: list[dict]) -> None:
        """What was sent and received (the key never is), for the run's debug bundle."""
        if not run_id:
            return
        with self._lock:
            try:
                stored = self.store.get(run_id)
                debug = stored.debug if stored else {}
                debug.setdefault("attempts", []).append(
                    {"settings": self.settings.to_dict(), "exchanges": exchanges, "phases": []}
                )
                json.dumps(debug)
                self.store.update(run_id, debug=debug)
            except (StoreError, TypeError, ValueError):
                pass  # a debug trace is a convenience; the run itself is recorded


def summarise(
    plan: BatchPlan, store: RunStore, standing: Standing, *, batch: str, backend: str,
    failed: list[Failure], tasks_created: int, budget: RequestBudget, wall_s: float,
) -> BatchSummary:  # fmt: skip
    """The summary of a run of the batch: what succeeded and its units, as stored."""
    try:
        stored = list(standing_of(plan, store, batch=batch, backend=backend).succeeded.values())
        succeeded, units = len(stored), sum(r.units for r in stored)
    except StoreError:  # the history gave way during the run: what this run saw
        done = len(plan.sendable) - len(failed) - len(standing.lost)
        succeeded, units = done, done * plan.settings.units
    return BatchSummary(
        batch=batch, photos=plan.photos, blocked=list(plan.blocked), skipped=list(plan.skipped),
        succeeded=succeeded, failed=failed + standing.lost_failures(),
        tasks_created=tasks_created, units=units, requests=budget.requests,
        rate_limited=budget.rate_limited, wall_s=wall_s, resumed=len(standing.in_flight),
        already_done=len(standing.succeeded),
    )  # fmt: skip


def results_csv(plan: BatchPlan, store: RunStore, *, batch: str, backend: str) -> bytes:
    """results.csv: a row per photo × concern × region of the plan's succeeded runs, with the
    meta columns (the plan's, then any older runs carry)."""
    from .exports import batch_csv  # exports composites overlays: OpenCV loads only here

    standing = standing_of(plan, store, batch=batch, backend=backend)
    runs = [standing.succeeded[p.photo_hash] for p in plan.sendable if p.photo_hash in standing.succeeded]  # fmt: skip
    columns = list(plan.meta_columns)
    for run in runs:
        columns += [k for k in run.meta if k not in columns]
    return batch_csv(runs, columns)


@contextmanager
def batch_lock(store: RunStore, batch: str):
    """Held while a batch runs: the same batch started again elsewhere (a second window, the
    CLI beside the app) would find the same photos unsent and create their tasks twice. It is
    the lease of all the batch's runs (see leases)."""
    path = batch_lock_path(store, batch)
    with ExitStack() as stack:
        try:
            held = take(stack, path)
        except OSError as exc:
            raise StoreError(
                f"Cannot lock the batch in {path.parent} ({exc.strerror or exc})",
                hint="Point SKINSCOPE_DATA_DIR at a folder you can write.",
            ) from None
        if not held:
            raise BatchInputError(
                f"Batch {batch!r} is already running (another window or process)",
                hint="Wait for it to end, or give this batch another name.",
            )
        yield


def refuse_other_settings(
    store: RunStore, batch: str, settings: AnalysisSettings, backend: str
) -> None:
    """One batch, one set of settings and one backend: a cohort that mixed v2.0 and v2.1 (or
    demo and live) runs of the same photos would count each photo twice."""
    other = next(
        (r for r in store.batch_runs(batch) if r.settings != settings or r.backend != backend),
        None,
    )
    if other is not None:
        ran = f"{other.settings.quality.upper()}, {other.settings.api_version}, {other.backend}"
        raise BatchInputError(
            f"Batch {batch!r} already holds runs made with other settings ({ran})",
            hint="Give this batch another name; Batch → Paired comparison compares the two.",
        )

"""A batch in the run store: what the store already holds for a plan's photos (the batch's
standing), the writes of a running batch (from several threads, so through one lock), and what
is reported at the end — the summary and results.csv — from what the store holds.

A photo is the same one again when its batch, photo hash, settings and backend match a stored
run: succeeded → nothing to do; in flight with a task_id → polled again; a create that may have
gone out with no task_id back, or a task that expired → never created again (it may have been
billed); recorded but never sent → recorded again in the same run; failed → created anew.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from ..concerns import AnalysisSettings
from ..errors import StoreError
from ..store import Reservation, RunRecord, RunStore
from ..store.states import EXPIRED_MESSAGE, UNCONFIRMED_MESSAGE
from . import spend
from .batch_input import BatchInputError
from .batch_plan import BatchPlan, BlockedPhoto, PlannedPhoto
from .budget import RequestBudget
from .lifecycle import Recorder

NOT_AGAIN = " It is not created again: delete its run in History to analyse the photo anew."


NOT_SENT = "not sent: "
"""How a Failure's error starts for a photo the batch never sent."""


@dataclass(frozen=True)
class Failure:
    file: str
    error: str
    task_id: str | None
    exit_code: int
    """What it means for the CLI: 3 refused, 4 the engine failed it, 5 transient, 2 input."""

    @property
    def sent(self) -> bool:
        """False for a photo a stop or a refusal left unsent: nothing of it failed, or cost."""
        return not self.error.startswith(NOT_SENT)

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
    succeeded: dict[str, RunRecord] = field(default_factory=dict)
    """By photo hash, as every dict here."""
    in_flight: dict[str, RunRecord] = field(default_factory=dict)
    lost: dict[str, RunRecord] = field(default_factory=dict)
    """Created or maybe created, with no result to be had: never created again."""
    reusable: dict[str, RunRecord] = field(default_factory=dict)
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


def same_backend(run: RunRecord, backend: str, base_url: str = "") -> bool:
    """Whether `run` was answered where a batch for `backend` at `base_url` sends: a run's
    backend is what answered its create (an emulator names itself), which a caller that has
    not sent anything yet cannot know, so the same URL counts as the same backend."""
    return run.backend == backend or bool(base_url and run.base_url == base_url)


def standing_of(
    plan: BatchPlan, store: RunStore, *, batch: str, backend: str, base_url: str = ""
) -> Standing:
    settings = plan.settings.to_dict()
    runs: dict[str, list[RunRecord]] = {}
    for run in store.batch_runs(batch):  # oldest first
        if same_backend(run, backend, base_url) and run.settings.to_dict() == settings:
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


def _newest(runs: list[RunRecord], wanted) -> RunRecord | None:
    return next((r for r in reversed(runs) if wanted(r)), None)


class BatchRecorder:
    """A running batch's writes to the run store, through the lifecycle's one recorder (safe
    from the batch's threads)."""

    def __init__(
        self,
        store: RunStore,
        settings: AnalysisSettings,
        *,
        batch: str,
        backend: str,
        base_url: str = "",
        person: str = "",
    ):
        self.store, self.settings = store, settings
        self.batch, self.backend, self.base_url = batch, backend, base_url
        self.person = person
        self.recorder = Recorder(store)

    def settle_earlier_runs(self, plan: BatchPlan, standing: Standing) -> None:
        """Before anything is sent: a create an earlier run left going out is now known to be
        unconfirmed; succeeded runs take this run's file name and meta row (a corrected CSV)."""
        for run in standing.lost.values():
            if run.state == "sending":
                run.state = self.recorder.interrupted(run.id, create_sent=True)
        if not plan.meta_columns:
            return
        for photo in plan.sendable:
            run = standing.succeeded.get(photo.photo_hash)
            if run and (run.file != photo.file or run.meta != photo.meta):
                self.recorder.note(run.id, file=photo.file, meta=photo.meta)

    def begin(self, photo: PlannedPhoto, data: bytes, reuse: str | None) -> str:
        """The run's record before anything of it is sent; StoreError if it cannot be kept."""
        if reuse:
            self.recorder.reopen(reuse, file=photo.file, meta=photo.meta)
            return reuse
        return self.recorder.begin(
            photo=data,
            settings=self.settings,
            backend=self.backend,
            base_url=self.base_url,
            source="batch",
            photo_hash=photo.photo_hash,
            label=self.batch,
            batch=self.batch,
            file=photo.file,
            meta=photo.meta,
            person=self.person,
        )

    def reserve(self) -> Reservation | None:
        """One photo's units set aside against the daily caps, as `person`'s; raises
        CapReached (None when no cap applies)."""
        return spend.reserve(self.store, self.person, self.settings.units)

    def give_back(self, reservation: Reservation | None, state: str) -> None:
        """A photo that ended without being billed (`spend.RETURNED`) returns its units."""
        try:
            spend.settle(self.store, reservation, state)
        except StoreError:
            pass  # kept reserved: the cap errs on the side of spending less

    def created(self, run_id: str | None, task_id: str, answered_by: str | None) -> None:
        """The task_id on record, and who created it at what cost in the audit trail."""
        self.recorder.created(run_id, task_id, answered_by)
        self.recorder.audit(
            self.person,
            "analysis created",
            task_id=task_id,
            units=self.settings.units,
            backend=answered_by or self.backend,
            batch=self.batch,
        )


def summarise(
    plan: BatchPlan,
    store: RunStore,
    standing: Standing,
    *,
    batch: str,
    backend: str,
    base_url: str,
    failed: list[Failure],
    tasks_created: int,
    budget: RequestBudget,
    wall_s: float,
) -> BatchSummary:
    """The summary of a run of the batch: what succeeded and its units, as stored."""
    try:
        now = standing_of(plan, store, batch=batch, backend=backend, base_url=base_url)
        stored = list(now.succeeded.values())
        succeeded, units = len(stored), sum(r.units for r in stored)
    except StoreError:  # the history gave way during the run: what this run saw
        done = len(plan.sendable) - len(failed) - len(standing.lost)
        succeeded, units = done, done * plan.settings.units
    return BatchSummary(
        batch=batch,
        photos=plan.photos,
        blocked=list(plan.blocked),
        skipped=list(plan.skipped),
        succeeded=succeeded,
        failed=failed + standing.lost_failures(),
        tasks_created=tasks_created,
        units=units,
        requests=budget.requests,
        rate_limited=budget.rate_limited,
        wall_s=wall_s,
        resumed=len(standing.in_flight),
        already_done=len(standing.succeeded),
    )


@contextmanager
def batch_lock(store: RunStore, batch: str):
    """Held while a batch runs: the same batch started again elsewhere (a second window, the
    CLI beside the app) would find the same photos unsent and create their tasks twice. It is
    the lease of all the batch's runs (see leases)."""
    with ExitStack() as stack:
        try:
            held = stack.enter_context(store.leases.hold("batch", batch))
        except OSError as exc:
            raise StoreError(
                f"Cannot lock batch {batch!r} ({exc.strerror or exc})",
                hint="Point SKINSCOPE_DATA_DIR at a folder you can write.",
            ) from None
        if not held:
            raise BatchInputError(
                f"Batch {batch!r} is already running (another window or process)",
                hint="Wait for it to end, or give this batch another name.",
            )
        yield


def refuse_other_settings(
    store: RunStore, batch: str, settings: AnalysisSettings, backend: str, base_url: str = ""
) -> None:
    """One batch, one set of settings and one backend: a cohort that mixed v2.0 and v2.1 (or
    demo and live) runs of the same photos would count each photo twice."""
    other = next(
        (
            r
            for r in store.batch_runs(batch)
            if r.settings != settings or not same_backend(r, backend, base_url)
        ),
        None,
    )
    if other is not None:
        raise BatchInputError(
            f"Batch {batch!r} already holds runs made with other settings: "
            + "; ".join(_differences(other, settings, backend)),
            hint="Give this batch another name; the dashboard's Batch page (Paired "
            "comparison) compares two batches of the same photos.",
        )


def _differences(run: RunRecord, settings: AnalysisSettings, backend: str) -> list[str]:
    """What differs between a stored run of a batch and the settings asked for now, named."""
    before, now = run.settings, settings
    said = []
    if before.actions != now.actions:
        gone, added = set(before.actions) - set(now.actions), set(now.actions) - set(before.actions)
        parts = [
            f"without {', '.join(sorted(gone))}" if gone else "",
            f"with {', '.join(sorted(added))}" if added else "",
        ]
        which = ", ".join(p for p in parts if p) or "the same, in another order"
        said.append(f"its {len(before.actions)} concerns, not these {len(now.actions)} ({which})")
    for name in ("format", "api_version", "miniserver_args", "pf_camera_kit"):
        if getattr(before, name) != getattr(now, name):
            said.append(f"{name} {getattr(before, name)!r}, not {getattr(now, name)!r}")
    if run.backend != backend:
        said.append(f"the {run.backend} backend at {run.base_url}, not {backend}")
    return said or [f"another address, {run.base_url}"]

"""What every run store is: the record of one run (`RunRecord`) and the interface (`RunStore`)
that the run lifecycle, the pages and the CLI use, whichever database keeps the runs.

An implementation lives beside this module (`sqlite`: one file and a folder on this machine);
nothing above the store layer knows which one it talks to.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from ..concerns import AnalysisSettings
from ..results import AnalysisResult
from .states import RunState

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from contextlib import AbstractContextManager

    from .files import RunFiles


def default_path() -> Path:
    """$SKINSCOPE_DATA_DIR, else the per-user data folder (XDG), ``skinscope/runs.sqlite3``."""
    folder = os.environ.get("SKINSCOPE_DATA_DIR")
    if folder:
        return Path(folder) / "runs.sqlite3"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "skinscope" / "runs.sqlite3"


@dataclass(kw_only=True)
class RunRecord:
    """One run as the run store keeps it — the one record type of a run. A session's `Run`
    (skinapi.runs.lifecycle) is this record and what the session holds besides."""

    settings: AnalysisSettings
    backend: str
    """Who answered: ``emulator`` (SkinScope's own: demo scores) or ``live`` (YouCam's API)."""
    source: str
    """Where the photo came from: ``upload``, ``sample``, ``camera``, ``cli``, ``batch``."""
    id: str | None = None
    """The run's id in the run store; None while the store does not hold it."""
    created: float = field(default_factory=time.time)
    photo_hash: str = ""
    task_id: str | None = None
    state: RunState = "pending"
    result: AnalysisResult | None = None
    """A stored run's scores without masks (`RunStore.load_result` reads the masks too); a
    session's result, masks and all."""
    mask_files: dict[str, str] = field(default_factory=dict)
    """The saved mask file of each mask key, under the run's ``masks/`` folder."""
    duration: float | None = None
    units: int = 0
    """Units spent: the settings' price once the run succeeded."""
    error_code: str | None = None
    error_message: str | None = None
    label: str = ""
    note: str = ""
    trial: str = ""
    participant: str = ""
    debug: dict = field(default_factory=dict)
    batch: str = ""
    """The batch (cohort) this run belongs to, when it came from `skinapi batch` or the Batch
    page."""
    file: str = ""
    """The photo's file name (its path within its batch's input, for a batch's run)."""
    meta: dict = field(default_factory=dict)
    """The batch's meta CSV columns for this photo (group, device, …), all text."""
    visit: str = ""
    """A trial participant's visit (``baseline``, ``week 4``, …)."""
    conditions: dict = field(default_factory=dict)
    """How a trial's photo was taken (`skinapi.statistics.conditions`: camera, resolution, skin
    preparation, room and light, time of day), all text; empty outside a live trial."""
    base_url: str = ""
    """Where the run was sent (empty for runs recorded before SkinScope kept it): a task
    is resumed there and nowhere else."""
    person: str = ""
    """Who ran it: the signed-in person's e-mail (or OIDC subject), ``local user`` in
    single-user mode, the OS user for the CLI; empty for runs recorded before."""

    @property
    def api_version(self) -> str:
        return self.settings.api_version

    @property
    def actions(self) -> list[str]:
        return list(self.settings.actions)

    @property
    def quality(self) -> str:
        return self.settings.quality

    @property
    def overall(self) -> float | None:
        return self.result.overall if self.result else None


# -- what is asked of a store at team scale: which runs (filters, an order, a page), one page
# of them with the number that match, and figures over all that match — so a page or an export
# never reads the whole history to show a part of it.

Order = Literal["newest", "oldest", "overall_high", "overall_low", "label"]
ORDERS: dict[Order, str] = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "overall_high": "Highest overall first",
    "overall_low": "Lowest overall first",
    "label": "Label A–Z",
}
"""Each order a store sorts by, with what a page calls it; ties go newest first."""


@dataclass(frozen=True)
class RunQuery:
    """Which runs, in which order, and which page of them. An empty choice means "all"."""

    since: float | None = None
    """Runs created at or after this time (seconds since the epoch)."""
    until: float | None = None
    """Runs created before this time."""
    backends: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    """``sd`` and/or ``hd``."""
    versions: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    """Store states (`skinapi.store.states.RunState`)."""
    text: str = ""
    """Found in the label or the note, ignoring case."""
    label: str = ""
    """Found in the label, ignoring case."""
    concerns: tuple[str, ...] = ()
    """Concern labels (``Redness``) the run must all have analysed, in SD or HD."""
    trial: str | None = None
    """Runs of this trial only."""
    person: str = ""
    """Found in the person who ran it (``ana`` finds ``Ana@example.com``), ignoring case, as
    `AuditQuery.person`: a team types part of a name or an address, not all of it."""
    order: Order = "newest"
    offset: int = 0
    limit: int | None = None
    """At most this many runs (a page); None for every run that matches."""


@dataclass(frozen=True)
class RunPage:
    """One page of the runs a query matches, decoded, and how many match in all."""

    runs: list[RunRecord]
    total: int
    unreadable: list[str] = field(default_factory=list)
    """Ids on this page whose stored row could not be read (left out of `runs`)."""


@dataclass(frozen=True)
class RunTotals:
    """Figures over every run a query matches (its page and order aside)."""

    runs: int = 0
    succeeded: int = 0
    units: int = 0
    first: float | None = None
    """When the oldest was created; None when none match."""
    last: float | None = None


@dataclass(frozen=True)
class Tally:
    """Successful runs and units spent for one day (``YYYY-MM-DD``, local time) or label."""

    key: str
    succeeded: int
    units: int


class Leases(Protocol):
    """Who works on a run (kind ``run``, named by its id) or a batch (``batch``, by its name)
    right now: a store's leases, seen by everyone who shares the store (see `leases`)."""

    def hold(self, kind: str, name: str) -> AbstractContextManager[bool]:
        """Held while the context lasts, taken without waiting long: whether it is held.
        Raises OSError or StoreError when the store cannot hold a lease."""

    def busy(self, kind: str, name: str) -> bool:
        """Someone holds it now, in this process or another, on this machine or another."""


# -- a team's deployment: who did what (an append-only audit trail) and what each person and
# the deployment may spend in a day (units reserved before a create, atomically).

AUDIT_ACTIONS = (
    "sign-in",
    "analysis created",
    "batch started",
    "batch stopped",
    "export",
    "download",
    "delete",
    "delete at the API",
    "purge",
    "settings changed",
    "caps changed",
    "role denied",
)
"""What the audit trail records; `detail` says the rest (task_id, units, backend, run ids…)."""


@dataclass(frozen=True)
class AuditEntry:
    at: float
    """When, in seconds since the epoch."""
    person: str
    action: str
    """One of `AUDIT_ACTIONS`."""
    detail: dict = field(default_factory=dict)
    """What the action touched, as text and numbers (JSON)."""


@dataclass(frozen=True)
class AuditQuery:
    since: float | None = None
    until: float | None = None
    person: str = ""
    """Found in the person, ignoring case."""
    actions: tuple[str, ...] = ()
    limit: int | None = None
    """The newest this many; None for every entry that matches."""


@dataclass(frozen=True)
class SpendCaps:
    """Units a day (local calendar day) each person, and the whole deployment, may reserve;
    None: no cap."""

    per_person: int | None = None
    per_deployment: int | None = None


@dataclass(frozen=True)
class Reservation:
    """Units set aside for one create; returned with `release_units` when the create fails or
    is refused (a run that succeeded, or may have, keeps them)."""

    id: str
    units: int


@dataclass(frozen=True)
class Spent:
    """Units reserved today (kept or still held) by one person and by the deployment."""

    person: int
    deployment: int


class RunStore(Protocol):
    """Where runs are kept. Every method raises `StoreError` (with a hint) when the store
    cannot be used; none takes the app down."""

    unreadable: list[str]
    """Ids of runs whose stored row could not be read (left out of `list`)."""
    leases: Leases
    where: str
    """Where the runs are kept, for a page to say (a folder, or a database and a bucket; never
    a password)."""

    def close(self) -> None: ...

    def begin(
        self,
        *,
        photo: bytes,
        settings: AnalysisSettings,
        backend: str,
        source: str,
        photo_hash: str,
        base_url: str = "",
        label: str = "",
        trial: str = "",
        participant: str = "",
        batch: str = "",
        file: str = "",
        meta: dict[str, str] | None = None,
        visit: str = "",
        conditions: dict[str, str] | None = None,
        person: str = "",
        run_id: str | None = None,
        thumbnail: bool = True,
    ) -> str:
        """Record a run before anything of it is sent; returns its id. `thumbnail` False
        leaves the photo's thumbnail to `keep_thumbnail`, for a caller in a hurry."""

    def update(self, run_id: str, **fields) -> None:
        """Change a run's columns; StoreError when the run is gone."""

    def save_result(
        self, run_id: str, result: AnalysisResult, *, duration: float, units: int
    ) -> None: ...

    def delete(self, run_id: str) -> None: ...

    def purge(self) -> None: ...

    def get(self, run_id: str) -> RunRecord | None: ...

    def list(self, *, limit: int | None = None) -> list[RunRecord]:
        """Every readable run, newest first."""

    def query(self, query: RunQuery) -> RunPage:
        """The page of runs `query` asks for, in its order, and how many match in all: the
        filters, the order and the page are the database's work (indexed where it can), so
        a page costs the same in a history of a thousand runs or of a million."""

    def iterate(self, query: RunQuery) -> Iterator[RunRecord]:
        """Every readable run `query` matches (its offset and limit aside), in its order, read
        a page at a time: an export of any size in constant memory. The ids of damaged rows
        passed over are in `unreadable` as it goes."""

    def totals(self, query: RunQuery) -> RunTotals:
        """Counts, units and the span of time over every run `query` matches."""

    def tally(self, query: RunQuery, by: Literal["day", "label"]) -> list[Tally]:
        """Successful runs and units per day (newest first) or per label (A–Z)."""

    def add_runs(self, runs: Iterable[tuple[RunRecord, bytes]]) -> list[str]:
        """Record finished runs with their photos in few transactions (an import, or a
        benchmark's history); their ids, in order. Each record is written before its files."""

    def keep_copy(self, run: RunRecord, files: dict[str, bytes], thumbnail: bytes | None) -> bool:
        """Another store's run with its id, row and files (`store copy`); False when this store
        holds that id already."""

    def find_result(
        self, photo_hash: str, settings: AnalysisSettings, backend: str
    ) -> RunRecord | None:
        """The newest successful run of this photo with these settings on this backend."""

    def passed_check(self, photo_hash: str, quality: str, version: str) -> list[str] | None:
        """The warnings of these bytes' passed photo check at `quality` (checks `version`),
        or None when they have not passed it before."""

    def keep_passed_check(
        self, photo_hash: str, quality: str, version: str, warnings: list[str]
    ) -> None: ...

    def by_task(self, task_id: str) -> RunRecord | None:
        """The newest run of the task `task_id`."""

    def batch_runs(self, batch: str) -> list[RunRecord]: ...

    def batches(self) -> list[tuple[str, int, float]]: ...

    def pending(self) -> list[RunRecord]:
        """Runs an earlier session left unfinished."""

    def keep_thumbnail(self, run_id: str, photo: bytes) -> None: ...

    def thumbnails(self, run_ids: list[str]) -> dict[str, bytes]:
        """The thumbnails of these runs (a page's), by id; runs without one are left out."""

    def keep_raw_result(self, run_id: str, data: bytes) -> None:
        """The result ZIP as it came, for the run's debug bundle."""

    run_files: RunFiles
    """The runs' photos, masks and raw results: the one way to their bytes (pages, exports,
    the debug bundle), wherever they are kept."""

    def photo(self, run_id: str) -> bytes: ...

    def load_result(self, run: RunRecord) -> AnalysisResult | None: ...

    # -- audit trail (append-only) and spend caps -------------------------------------------

    def audit(self, person: str, action: str, **detail) -> None:
        """Append one entry (now, `person`, one of `AUDIT_ACTIONS`, `detail` as JSON) to the
        audit trail. The trail is append-only: no method of a store edits or removes an entry,
        and `purge` keeps them (and appends its own)."""

    def audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        """The entries `query` matches, newest first."""

    def reserve_units(self, person: str, units: int, caps: SpendCaps, *, day: str) -> Reservation:
        """Set `units` aside for `person` on `day` (``YYYY-MM-DD``), checking both caps and
        writing the reservation in one transaction that excludes every other reserver (two
        tabs, processes or replicas on the same store never overspend). Raises `CapReached`
        (which cap, how much is left) when either cap would be passed."""

    def release_units(self, reservation: Reservation) -> None:
        """Give a reservation back (its create failed or was refused); a second release of the
        same reservation changes nothing."""

    def spent(self, person: str, *, day: str) -> Spent:
        """Units reserved and kept on `day` by `person` and by the whole deployment."""

    def caps(self) -> SpendCaps | None:
        """The caps an admin set in the app (kept in the store, so every replica sees them);
        None when none were set (the configuration's apply)."""

    def set_caps(self, caps: SpendCaps) -> None: ...

    def size_on_disk(self) -> int:
        """Bytes the history takes: kept as runs are written and deleted, never measured by
        walking every run's files."""


def schema_version_of(value: object) -> int | None:
    """The schema version a store's meta table holds, or None when it is not a plain number of
    at most six ASCII digits (``str.isdigit`` also takes digits like '²' that int() refuses)."""
    text = str(value) if value is not None else ""
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else None

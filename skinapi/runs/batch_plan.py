"""A batch's plan: every photo pre-flighted before anything is sent.

plan_batch(photos, settings, meta=None, *, on_checked=None) -> BatchPlan
    reads and checks every photo in parallel across the cores (imaging.checks.check_photo,
    as `analyze` does; photos whose bytes passed before, by the store, are not checked again)
    and says what will be sent: `.sendable` (PlannedPhoto: file, photo_hash, meta,
    warnings), `.blocked` (BlockedPhoto: file, reasons), `.skipped` (not images), `.units`
    (every sendable photo on success), `.to_dict()`. A photo twice in the input (the same
    bytes) is sent once; the others are blocked, naming the first.
"""

from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from ..concerns import AnalysisSettings
from ..errors import PhotoError
from ..names import one_line
from ..store import RunStore
from ..store.ids import photo_hash
from .batch_input import BatchPhoto, MetaTable
from .photo_judging import PhotoJudge, Verdict
from .photo_verdicts import passed_before, remember_pass


@dataclass(frozen=True)
class PlannedPhoto:
    """A photo the pre-flight passed: what will be sent for it, and its meta row."""

    file: str
    photo_hash: str
    size: int
    meta: dict[str, str]
    warnings: tuple[str, ...] = ()
    upload: bytes | None = field(default=None, repr=False, compare=False)
    """The bytes to send when they are not the file as it is (a photo turned by EXIF)."""
    source: BatchPhoto | None = field(default=None, repr=False, compare=False)

    def read(self) -> bytes:
        """The bytes to upload; PhotoError when the file changed since it was checked."""
        data = self.upload if self.upload is not None else self.source.read()
        if photo_hash(data) != self.photo_hash:
            raise PhotoError(f"{self.file} changed since it was checked", hint="Run again.")
        return data


@dataclass(frozen=True)
class BlockedPhoto:
    file: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"file": self.file, "reasons": list(self.reasons)}


@dataclass
class BatchPlan:
    settings: AnalysisSettings
    sendable: list[PlannedPhoto]
    blocked: list[BlockedPhoto]
    skipped: list[str] = field(default_factory=list)
    """Files left out: not images."""
    meta_columns: tuple[str, ...] = ()
    unmatched_meta: list[str] = field(default_factory=list)
    """Meta rows that name no photo of the input."""

    @property
    def photos(self) -> int:
        return len(self.sendable) + len(self.blocked)

    @property
    def units(self) -> int:
        """What every sendable photo costs on success (a resumed batch spends less)."""
        return len(self.sendable) * self.settings.units

    def to_dict(self) -> dict:
        return {
            "photos": self.photos,
            "sendable": [p.file for p in self.sendable],
            "blocked": [b.to_dict() for b in self.blocked],
            "skipped": list(self.skipped),
            "units": self.units,
            "settings": self.settings.to_dict(),
            "meta_columns": list(self.meta_columns),
            "unmatched_meta": list(self.unmatched_meta),
        }


def plan_batch(
    photos: list[BatchPhoto],
    settings: AnalysisSettings,
    meta: MetaTable | None = None,
    *,
    on_checked: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    store: RunStore | None = None,
) -> BatchPlan:
    """Pre-flight every photo in parallel (as `analyze` does) and say what will be sent.
    `on_checked(done, total)` follows the checks, from the caller's thread. With a `store`,
    bytes that passed before are not checked again, and new passes are remembered."""
    settings.validate()
    candidates = [p for p in photos if not p.ignored]
    checked: list[PlannedPhoto | BlockedPhoto] = []
    with PhotoJudge(len(candidates), workers) as judge:
        slots: deque[_Slot] = deque()

        def collect_head() -> None:
            checked.append(slots.popleft().outcome(judge, store, settings.quality))
            if on_checked:
                on_checked(len(checked), len(candidates))

        for photo in candidates:
            slots.append(_slot(photo, settings.quality, store, judge))
            while slots and (judge.busy >= judge.ahead or slots[0].future is None):
                collect_head()
        while slots:
            collect_head()
    names = [posixpath.basename(p.file) for p in candidates]
    unique = {n for n in names if names.count(n) == 1}
    sendable, blocked, first_of = [], [], {}
    matched: set[str] = set()
    for item in checked:
        if isinstance(item, BlockedPhoto):
            blocked.append(item)
            continue
        if item.photo_hash in first_of:
            same = first_of[item.photo_hash]
            blocked.append(BlockedPhoto(item.file, (f"the same photo as {same} (sent once)",)))
            continue
        first_of[item.photo_hash] = item.file
        row = meta.row_for(item.file, unique_names=unique) if meta else None
        if row is not None:
            matched.add(item.file if item.file in meta.rows else posixpath.basename(item.file))
        sendable.append(_with_meta(item, row or {}))
    return BatchPlan(
        settings,
        sendable,
        blocked,
        skipped=[p.file for p in photos if p.ignored],
        meta_columns=meta.columns if meta else (),
        unmatched_meta=[f for f in meta.rows if f not in matched] if meta else [],
    )


def _with_meta(photo: PlannedPhoto, row: dict[str, str]) -> PlannedPhoto:
    return PlannedPhoto(
        photo.file,
        photo.photo_hash,
        photo.size,
        dict(row),
        photo.warnings,
        photo.upload,
        photo.source,
    )


@dataclass
class _Slot:
    """One photo's place in the plan: its outcome, or the check that will give it."""

    photo: BatchPhoto
    result: PlannedPhoto | BlockedPhoto | None = None
    raw_hash: str = ""
    size: int = 0
    future: Future | None = None

    def outcome(self, judge: PhotoJudge, store: RunStore | None, quality: str):
        if self.future is None:
            return self.result
        verdict: Verdict = judge.collect(self.future)
        if verdict.blocking:
            return BlockedPhoto(self.photo.file, verdict.blocking)
        if verdict.upload is None:  # sent as it is: the same bytes need no second look
            remember_pass(store, self.raw_hash, quality, list(verdict.warnings))
            return PlannedPhoto(
                self.photo.file, self.raw_hash, self.size, {}, verdict.warnings, source=self.photo
            )
        upload = verdict.upload
        return PlannedPhoto(
            self.photo.file,
            photo_hash(upload),
            len(upload),
            {},
            verdict.warnings,
            upload,
            self.photo,
        )


def _slot(photo: BatchPhoto, quality: str, store: RunStore | None, judge: PhotoJudge) -> _Slot:
    if photo.problem:
        return _Slot(photo, BlockedPhoto(photo.file, (photo.problem,)))
    try:
        raw = photo.read()
    except PhotoError as exc:
        return _Slot(photo, BlockedPhoto(photo.file, (one_line(exc, 300),)))
    except Exception as exc:  # a file that cannot be read must not end the whole batch
        return _Slot(
            photo, BlockedPhoto(photo.file, (f"cannot be checked ({type(exc).__name__})",))
        )
    digest = photo_hash(raw)
    warnings = passed_before(store, digest, quality)
    if warnings is not None:
        planned = PlannedPhoto(photo.file, digest, len(raw), {}, tuple(warnings), source=photo)
        return _Slot(photo, planned)
    return _Slot(photo, raw_hash=digest, size=len(raw), future=judge.submit(raw, quality))

"""A batch's plan: every photo pre-flighted before anything is sent.

plan_batch(photos, settings, meta=None, *, on_checked=None) -> BatchPlan
    reads and checks every photo in parallel (imaging.checks.check_photo, as `analyze`
    does) and says what will be sent: `.sendable` (PlannedPhoto: file, photo_hash, meta,
    warnings), `.blocked` (BlockedPhoto: file, reasons), `.skipped` (not images), `.units`
    (every sendable photo on success), `.to_dict()`. A photo twice in the input (the same
    bytes) is sent once; the others are blocked, naming the first.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..concerns import AnalysisSettings
from ..errors import PhotoError
from ..names import one_line
from .batch_input import BatchPhoto, MetaTable
from .lifecycle import photo_hash


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
) -> BatchPlan:
    """Pre-flight every photo in parallel (as `analyze` does) and say what will be sent.
    `on_checked(done, total)` follows the checks, from the caller's thread."""
    settings.validate()
    candidates = [p for p in photos if not p.ignored]
    workers = workers or min(4, os.cpu_count() or 2)
    checked: list[PlannedPhoto | BlockedPhoto] = []
    with ThreadPoolExecutor(workers, thread_name_prefix="batch-check") as pool:
        futures = [pool.submit(_checked, p, settings.quality) for p in candidates]
        for done, future in enumerate(futures, start=1):
            checked.append(future.result())
            if on_checked:
                on_checked(done, len(futures))
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


def _checked(photo: BatchPhoto, quality: str) -> PlannedPhoto | BlockedPhoto:
    # OpenCV loads here, when photos are checked, not when the module is imported.
    from ..imaging.checks import check_photo
    from ..imaging.photo import load_photo, upload_bytes

    if photo.problem:
        return BlockedPhoto(photo.file, (photo.problem,))
    try:
        raw = photo.read()
        loaded = load_photo(raw)
        report = check_photo(loaded, quality)
        if not report.ok:
            return BlockedPhoto(photo.file, tuple(c.message for c in report.blocking))
        data = upload_bytes(loaded)
    except PhotoError as exc:
        return BlockedPhoto(photo.file, (one_line(exc, 300),))
    except Exception as exc:  # a photo no decoder expected must not end the whole batch
        return BlockedPhoto(photo.file, (f"cannot be checked ({type(exc).__name__})",))
    return PlannedPhoto(
        photo.file,
        photo_hash(data),
        len(data),
        {},
        tuple(c.message for c in report.warnings),
        upload=data if data is not raw else None,
        source=photo,
    )

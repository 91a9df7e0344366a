"""Photos already checked: the same bytes passed the same checks before, so they are not
decoded and searched for a face again (and OpenCV is not even loaded). Only a pass is kept,
and only for bytes that are sent as they are; a blocked photo is always checked anew, so its
report (and its fixes) is always current."""

from __future__ import annotations

from ..errors import StoreError
from ..imaging import CHECKS_VERSION
from ..store import RunStore


def passed_before(store: RunStore | None, photo_hash: str, quality: str) -> list[str] | None:
    """The warnings of these bytes' earlier pass at `quality`; None when they must be checked."""
    if store is None:
        return None
    try:
        return store.passed_check(photo_hash, quality, CHECKS_VERSION)
    except StoreError:
        return None


def remember_pass(store: RunStore | None, photo_hash: str, quality: str, warnings: list[str]):
    if store is None:
        return
    try:
        store.keep_passed_check(photo_hash, quality, CHECKS_VERSION, warnings)
    except StoreError:
        pass  # a convenience: the photo is checked again next time

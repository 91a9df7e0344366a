"""The SQLite run store's failures in words: a failing file or database is a StoreError that
says where and why (see `guard`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError
from .ids import FRESH_HINT


def problem(path: Path, exc: Exception) -> StoreError | None:
    """A damaged or unwritable run store never takes the app down."""
    if isinstance(exc, sqlite3.Error):
        return StoreError(f"The run store at {path} cannot be used ({exc})", hint=FRESH_HINT)
    if isinstance(exc, OSError):
        return StoreError(
            f"The run store's files under {path.parent} cannot be written or read "
            f"({exc.strerror or exc})",
            hint="Free disk space, or point SKINSCOPE_DATA_DIR at a folder you can write.",
        )
    return None

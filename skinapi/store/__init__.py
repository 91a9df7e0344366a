"""The store: where runs are kept (`RunStore` and its SQLite implementation), their states and
leases. Uses the core only; the run lifecycle (`skinapi.runs`) sits above it."""

from __future__ import annotations

from pathlib import Path

from ..backends import BACKENDS, EMULATOR, LIVE
from .base import (
    AUDIT_ACTIONS,
    FRESH_HINT,
    ORDERS,
    AuditEntry,
    AuditQuery,
    Reservation,
    RunPage,
    RunQuery,
    RunRecord,
    RunStore,
    RunTotals,
    SpendCaps,
    Spent,
    Tally,
    default_path,
    new_run_id,
)
from .sqlite import SCHEMA_VERSION, SqliteRunStore

__all__ = [
    "AUDIT_ACTIONS",
    "AuditEntry",
    "AuditQuery",
    "Reservation",
    "SpendCaps",
    "Spent",
    "BACKENDS",
    "EMULATOR",
    "FRESH_HINT",
    "LIVE",
    "ORDERS",
    "SCHEMA_VERSION",
    "RunStore",
    "SqliteRunStore",
    "RunRecord",
    "RunPage",
    "RunQuery",
    "RunTotals",
    "Tally",
    "default_path",
    "new_run_id",
    "open_store",
]


def open_store(path: Path | str | None = None) -> RunStore:
    """The run store the configuration names (SKINSCOPE_DATA_DIR's SQLite history by default)."""
    return SqliteRunStore(path)

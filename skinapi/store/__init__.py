"""The run store: where runs are kept (the `RunStore` interface, with SQLite by default and
PostgreSQL for a team), the files of each run (a local folder, or S3), their states and leases.
Uses the core only; the run lifecycle (`skinapi.runs`) sits above it."""

from __future__ import annotations

import os
from pathlib import Path

from ..backends import BACKENDS, EMULATOR, LIVE
from ..errors import StoreError
from .base import (
    AUDIT_ACTIONS,
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
)
from .files import LocalFiles, RunFiles
from .ids import FRESH_HINT, new_run_id
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


FILES_URL = "SKINSCOPE_FILES_URL"
"""Names the shared file store (``s3://bucket/prefix``)."""
DATABASE_URL = "SKINSCOPE_DATABASE_URL"
"""Names the shared run store (``postgresql://user:password@host:port/database``)."""


def open_store(path: Path | str | None = None) -> RunStore:
    """The run store the configuration names: the team's PostgreSQL when SKINSCOPE_DATABASE_URL
    is set, else SKINSCOPE_DATA_DIR's SQLite run store (`path`'s, when given)."""
    url = os.environ.get(DATABASE_URL, "").strip()
    if not url:
        return SqliteRunStore(path, _run_files(path))
    if not url.startswith(("postgresql://", "postgres://")):
        raise StoreError(
            f"{DATABASE_URL} is not a postgresql:// address",
            hint="Write it as postgresql://user:password@host:port/database, or unset it.",
        )
    from .postgres import PostgresRunStore  # psycopg only for a shared store

    return PostgresRunStore(url, _run_files(path))


def _run_files(path: Path | str | None) -> RunFiles:
    """The file store SKINSCOPE_FILES_URL names (S3), else the data folder's ``runs/``."""
    url = os.environ.get(FILES_URL, "").strip()
    if url:
        from .files_s3 import S3Files  # boto3 only for a shared file store

        return S3Files(url)
    return LocalFiles((Path(path) if path else default_path()).parent / "runs")

"""The SQLite run store: every run in one file (standard library), its photo and masks as files.

A run is written *before* its task is created and updated as it goes, so a task_id is never lost
and an interrupted run can be resumed after a restart. The API key is never stored.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..errors import StoreError
from . import sqlite_query as queries
from . import sqlite_schema as schema
from .base import RunRecord, default_path, schema_version_of
from .files import LocalFiles, RunFiles, result_bytes, result_file_names
from .guard import guarded
from .ids import FRESH_HINT, new_run_id
from .leases import FileLeases
from .sqlite_ledger import SqliteLedger
from .sqlite_reading import SqliteReading
from .sqlite_rows import INSERT, make_thumbnail, row_of

SCHEMA_VERSION = 8
"""What `sqlite_schema` creates; older histories are upgraded in place."""
IMPORT_CHUNK = 1000
"""Runs `add_runs` writes per transaction."""


class SqliteRunStore(SqliteReading, SqliteLedger):
    """The run store in one SQLite file, with each run's photo and masks in a folder beside it."""

    def __init__(self, path: Path | str | None = None, run_files: RunFiles | None = None):
        self.path = Path(path) if path else default_path()
        self.run_files = run_files or LocalFiles(self.path.parent / "runs")
        self.files = getattr(self.run_files, "root", None)
        self.where = str(self.path.parent)
        self.leases = FileLeases(self.path.parent)
        self.unreadable: list[str] = []
        """Ids of runs whose stored row could not be read (left out of `list`)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"The data folder {self.path.parent} cannot be used ({exc.strerror or exc})",
                hint="Point SKINSCOPE_DATA_DIR at a folder (not a file) you can write.",
            ) from None
        if self.path.exists() and not self.path.is_file():
            raise StoreError(
                f"The run store {self.path} is not a file",
                hint="Move it aside, or point SKINSCOPE_DATA_DIR at another folder.",
            )
        self._open()

    def _open(self) -> None:
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            _bring_to_current_version(self._db, self.path)
            queries.prepare(self._db)
        except sqlite3.Error as exc:
            cannot_open = any(w in str(exc) for w in ("unable to open", "readonly"))
            if cannot_open and not os.access(self.path.parent, os.W_OK):  # a read-only folder
                raise StoreError(
                    f"The run store's folder {self.path.parent} cannot be written: SQLite "
                    f"keeps its journal beside the file ({exc})",
                    hint="Make the folder writable, or point SKINSCOPE_DATA_DIR at one that is.",
                ) from None
            raise StoreError(
                f"The run store at {self.path} cannot be read ({exc})", hint=FRESH_HINT
            ) from None

    def _meta(self, key: str) -> str | None:
        return schema.meta_value(self._db, key)

    @classmethod
    def fresh(cls, path: Path | str | None = None) -> SqliteRunStore:
        """Move an unusable run store aside (kept as ``*.broken-<time>``) and start anew."""
        return cls(_moved_aside(Path(path) if path else default_path()))

    @guarded
    def close(self) -> None:
        self._db.close()

    # -- writing ---------------------------------------------------------------------------

    @guarded
    def add_runs(self, runs: Iterable[tuple[RunRecord, bytes]]) -> list[str]:
        """Finished runs with their photos, `IMPORT_CHUNK` to a transaction; each chunk's
        records are committed before its files are written. A photo's thumbnail is made once
        for runs that share it."""
        ids: list[str] = []
        chunk: list[tuple[str, RunRecord, bytes]] = []
        made: dict[str, bytes | None] = {}
        for record, photo in runs:
            chunk.append((new_run_id(), record, photo))
            if len(chunk) == IMPORT_CHUNK:
                ids += self._add_chunk(chunk, made)
                chunk = []
        return ids + self._add_chunk(chunk, made) if chunk else ids

    def _add_chunk(self, chunk, made: dict[str, bytes | None]) -> list[str]:
        if len(made) > 64:
            made.clear()  # many photos: a thumbnail each, no growing memo
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for index, (run_id, record, photo) in enumerate(chunk):
                names = result_file_names(record.result) if record.result else {}
                record = replace(record, mask_files=names)
                size = len(photo) + (result_bytes(record.result) if record.result else 0)
                while True:
                    try:
                        self._db.execute(INSERT, row_of(record, run_id, size))
                        break
                    except sqlite3.IntegrityError:
                        run_id = new_run_id()
                chunk[index] = (run_id, record, photo)
                key = record.photo_hash or str(hash(photo))
                if key not in made:
                    made[key] = make_thumbnail(photo)
                self._keep_thumbnail(run_id, made[key])
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return self._write_files(chunk)

    @guarded
    def purge(self) -> None:
        """Every run and every file, gone."""
        self._db.execute("DELETE FROM runs")
        self._db.execute("DELETE FROM thumbnails")
        self._db.execute("VACUUM")
        self.run_files.purge()

    def _keep_thumbnail(self, run_id: str, jpeg: bytes | None) -> None:
        if jpeg is not None:
            self._db.execute("INSERT OR REPLACE INTO thumbnails VALUES (?, ?)", (run_id, jpeg))

    def _insert(self, row: tuple) -> bool:
        try:
            self._db.execute(INSERT, row)
        except sqlite3.IntegrityError:
            return False
        return True

    def _changed(self, statement: str, params: tuple) -> int:
        return self._db.execute(statement, params).rowcount

    def _forget(self, run_id: str) -> None:
        self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self._db.execute("DELETE FROM thumbnails WHERE run_id = ?", (run_id,))


def _moved_aside(path: Path) -> Path:
    try:
        if path.exists() or path.is_symlink():
            path.rename(path.with_name(f"{path.name}.broken-{int(time.time())}"))
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot start a fresh run store: {path.parent} does not let SkinScope move the "
            f"old file aside ({exc.strerror or exc})",
            hint="Point SKINSCOPE_DATA_DIR at a folder you can write, then reload.",
        ) from None
    return path


WAL_DEADLINE_S = 5.0


def _use_wal(db: sqlite3.Connection) -> None:
    """Write-ahead logging, which the file keeps once set. Setting it needs the file to itself,
    and SQLite answers a second process setting it at the same moment (two commands opening a
    new data folder) with an immediate "locked", not its busy wait: so it is tried again."""
    deadline = time.monotonic() + WAL_DEADLINE_S
    while True:
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _bring_to_current_version(db: sqlite3.Connection, path: Path) -> None:
    """Create a new run store, upgrade an older one, refuse what is not one."""
    _use_wal(db)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        schema.create(db, SCHEMA_VERSION)
    elif "meta" not in tables:
        raise StoreError(
            f"{path} is not a SkinScope run store",
            hint="Move it aside, or start a fresh run store.",
        )
    stored_version = schema.meta_value(db, "schema_version") or "0"
    if (number := schema_version_of(stored_version)) is None:
        raise StoreError(
            f"The run store at {path} has no readable schema version ({stored_version[:20]!r})",
            hint=FRESH_HINT,
        )
    version = schema.upgrade(db, number)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The run store at {path} has schema version {version}, from a newer SkinScope; "
            f"this one reads version {SCHEMA_VERSION}",
            hint="Run the newer SkinScope that wrote it, or point SKINSCOPE_DATA_DIR elsewhere.",
        )
    if version != SCHEMA_VERSION:
        raise StoreError(
            f"The run store at {path} has schema version {version}; this SkinScope reads "
            f"version {SCHEMA_VERSION}",
            hint=FRESH_HINT,
        )
    try:  # looking a photo up (a new tab, a restart) must not scan every run
        db.execute("CREATE INDEX IF NOT EXISTS runs_photo ON runs (photo_hash)")
        db.execute("CREATE INDEX IF NOT EXISTS runs_batch ON runs (batch)")
        db.execute("CREATE INDEX IF NOT EXISTS runs_task ON runs (task_id)")
    except sqlite3.OperationalError:
        pass  # a read-only history is still read, just without the index

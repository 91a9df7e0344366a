"""The SQLite run store's reading side: a run, the runs a query asks for (a page, every one in
order, totals, tallies), the runs left unfinished, batches, thumbnails, files and the
history's size. `SqliteRunStore` (sqlite.py) adds the writing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..errors import StoreError
from . import sqlite_guard
from . import sqlite_query as queries
from .base import RunQuery, RunRecord
from .files import RunFiles
from .guard import guarded
from .sql_store import SqlStore
from .sqlite_rows import many, one
from .states import RESUMABLE_STATES


class SqliteReading(SqlStore):
    path: Path
    run_files: RunFiles
    unreadable: list[str]
    queries = queries
    _db: sqlite3.Connection

    def problem(self, exc: Exception) -> StoreError | None:
        return sqlite_guard.problem(self.path, exc)

    @guarded
    def get(self, run_id: str) -> RunRecord | None:
        return one(self._db, "id = ?", (run_id,), f"Run {run_id} in the run store")

    @guarded
    def list(self, *, limit: int | None = None) -> list[RunRecord]:
        runs, self.unreadable = many(
            self._db, "1 ORDER BY created DESC" + (f" LIMIT {int(limit)}" if limit else "")
        )
        return runs

    def _one(self, where: str, params: tuple, what: str) -> RunRecord | None:
        return one(self._db, where, params, what)

    def _ask(self, question, *args):
        return question(self._db, *args)

    def _iterated(self, query: RunQuery, unreadable: list[str]) -> Iterator[RunRecord]:
        return queries.iterate(self._db, query, unreadable)

    @guarded
    def keep_passed_check(
        self, photo_hash: str, quality: str, version: str, warnings: list[str]
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO checked_photos VALUES (?, ?, ?, ?)",
            (photo_hash, quality, version, json.dumps(warnings)),
        )

    @guarded
    def batch_runs(self, batch: str) -> list[RunRecord]:
        """Every run of one batch, oldest first."""
        runs, self.unreadable = many(self._db, "batch = ? ORDER BY created", (batch,))
        return runs

    @guarded
    def batches(self) -> list[tuple[str, int, float]]:
        """(batch, runs, newest run's time) for every batch, newest first."""
        return [
            (str(name), int(count), float(newest))
            for name, count, newest in self._db.execute(
                "SELECT batch, COUNT(*), MAX(created) FROM runs WHERE batch != '' "
                "GROUP BY batch ORDER BY MAX(created) DESC"
            )
        ]

    @guarded
    def pending(self) -> list[RunRecord]:
        """Runs an earlier session left unfinished: to be resumed by task_id, or marked unsent.
        Asked of the state index, so a page's every rerun does not read the whole history."""
        marks = ", ".join("?" * len(RESUMABLE_STATES))
        runs, _ = many(self._db, f"state IN ({marks}) ORDER BY created DESC", RESUMABLE_STATES)
        return runs

    @guarded
    def thumbnails(self, run_ids: list[str]) -> dict[str, bytes]:
        marks = ", ".join("?" * len(run_ids))
        return dict(
            self._db.execute(
                f"SELECT run_id, jpeg FROM thumbnails WHERE run_id IN ({marks})", run_ids
            )
        )

    @guarded
    def size_on_disk(self) -> int:
        """The runs' files as each run counted them when it wrote them, and the database. Runs
        from before the count are measured once, then counted like the others."""
        for (run_id,) in self._db.execute(
            "SELECT id FROM runs WHERE file_bytes IS NULL"
        ).fetchall():
            measured = self.run_files.size(run_id)
            self._db.execute("UPDATE runs SET file_bytes = ? WHERE id = ?", (measured, run_id))
        (files,) = self._db.execute("SELECT COALESCE(SUM(file_bytes), 0) FROM runs").fetchone()
        database = [self.path, Path(f"{self.path}-wal")]
        return int(files) + sum(p.stat().st_size for p in database if p.exists())

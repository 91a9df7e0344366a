"""The SQLite run store's reading side: a run, the runs a query asks for (a page, every one in
order, totals, tallies), the runs left unfinished, batches, thumbnails, files and the
history's size. `SqliteRunStore` (sqlite.py) adds the writing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..concerns import AnalysisSettings
from ..errors import StoreError
from ..results import AnalysisResult
from . import sqlite_query as queries
from .base import RunPage, RunQuery, RunRecord, RunTotals, Tally
from .files import LocalFiles
from .sqlite_guard import guarded
from .sqlite_rows import many, one
from .states import RESUMABLE_STATES


class SqliteReading:
    path: Path
    run_files: LocalFiles
    unreadable: list[str]
    _db: sqlite3.Connection

    @guarded
    def get(self, run_id: str) -> RunRecord | None:
        return one(self._db, "id = ?", (run_id,), f"Run {run_id} in the history")

    @guarded
    def list(self, *, limit: int | None = None) -> list[RunRecord]:
        runs, self.unreadable = many(
            self._db, "1 ORDER BY created DESC" + (f" LIMIT {int(limit)}" if limit else "")
        )
        return runs

    @guarded
    def query(self, query: RunQuery) -> RunPage:
        page = queries.page(self._db, query)
        self.unreadable = page.unreadable
        return page

    def iterate(self, query: RunQuery) -> Iterator[RunRecord]:
        try:
            yield from queries.iterate(self._db, query)
        except sqlite3.Error as exc:
            raise StoreError(f"The run history at {self.path} cannot be read ({exc})") from None

    @guarded
    def totals(self, query: RunQuery) -> RunTotals:
        return queries.totals(self._db, query)

    @guarded
    def tally(self, query: RunQuery, by: str) -> list[Tally]:
        return queries.tally(self._db, query, by)

    @guarded
    def find_result(self, photo_hash: str, settings: AnalysisSettings, backend: str):
        """The newest successful run of this photo with these settings on this backend: what
        a new tab or a restart finds instead of paying for the same analysis again."""
        try:
            return one(
                self._db,
                "photo_hash = ? AND backend = ? AND settings = ? AND state = 'success' "
                "ORDER BY created DESC LIMIT 1",
                (photo_hash, backend, json.dumps(settings.to_dict())),
                "",
            )
        except StoreError:
            return None  # a damaged row is paid for again rather than shown

    @guarded
    def passed_check(self, photo_hash: str, quality: str, version: str) -> list[str] | None:
        """The warnings of these bytes' passed check at `quality`, if they passed before."""
        row = self._db.execute(
            "SELECT warnings FROM checked_photos WHERE photo_hash = ? AND quality = ? "
            "AND checks_version = ?",
            (photo_hash, quality, version),
        ).fetchone()
        if row is None:
            return None
        try:
            warnings = json.loads(row[0])
        except ValueError:
            return None
        return [str(w) for w in warnings] if isinstance(warnings, list) else None

    @guarded
    def keep_passed_check(
        self, photo_hash: str, quality: str, version: str, warnings: list[str]
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO checked_photos VALUES (?, ?, ?, ?)",
            (photo_hash, quality, version, json.dumps(warnings)),
        )

    @guarded
    def by_task(self, task_id: str) -> RunRecord | None:
        """The newest run of the task `task_id`."""
        return one(
            self._db,
            "task_id = ? ORDER BY created DESC LIMIT 1",
            (task_id,),
            f"The run of task {task_id}",
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

    def folder(self, run_id: str) -> Path:
        return self.run_files.folder(run_id)

    @guarded
    def photo(self, run_id: str) -> bytes:
        return self.run_files.photo(run_id)

    @guarded
    def load_result(self, run: RunRecord) -> AnalysisResult | None:
        """The stored result with its masks and resized photo read back from its files."""
        if run.result is None:
            return None
        return self.run_files.read_result_files(run.id, run.result, run.mask_files)

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

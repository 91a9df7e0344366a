"""The shared run store's reading side: a run, the runs a query asks for (a page, every one
in order, totals, tallies), the runs left unfinished, batches, thumbnails, files and the
store's size. `PostgresRunStore` (postgres.py) adds the writing."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..errors import StoreError
from . import postgres_connect
from . import postgres_query as queries
from .base import RunQuery, RunRecord
from .guard import guarded
from .postgres_connect import Address
from .sql_store import SqlStore
from .sqlite_rows import SELECTED, decoded, record_of
from .states import RESUMABLE_STATES


class PostgresReading(SqlStore):
    address: Address
    unreadable: list[str]
    queries = queries
    mark = "%s"

    def problem(self, exc: Exception) -> StoreError | None:
        return postgres_connect.problem(self.address, exc)

    def _rows(self, where: str, params: tuple = ()) -> list[RunRecord]:
        with self._pool.connection() as db:
            runs, self.unreadable = decoded(
                db.execute(f"SELECT {SELECTED} FROM runs WHERE {where}", params).fetchall()
            )
        return runs

    def _one(self, where: str, params: tuple, what: str) -> RunRecord | None:
        with self._pool.connection() as db:
            return record_of(
                db.execute(f"SELECT {SELECTED} FROM runs WHERE {where}", params).fetchone(), what
            )

    @guarded
    def get(self, run_id: str) -> RunRecord | None:
        return self._one("id = %s", (run_id,), f"Run {run_id} in the run store")

    @guarded
    def list(self, *, limit: int | None = None) -> list[RunRecord]:
        return self._rows("true ORDER BY created DESC LIMIT %s", (limit or None,))

    def _ask(self, question, *args):
        with self._pool.connection() as db:
            return question(db, *args)

    def _iterated(self, query: RunQuery, unreadable: list[str]) -> Iterator[RunRecord]:
        return queries.iterate(self._pool, query, unreadable)

    @guarded
    def keep_passed_check(
        self, photo_hash: str, quality: str, version: str, warnings: list[str]
    ) -> None:
        with self._pool.connection() as db:
            db.execute(
                "INSERT INTO checked_photos VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (photo_hash, quality, checks_version) "
                "DO UPDATE SET warnings = EXCLUDED.warnings",
                (photo_hash, quality, version, json.dumps(warnings)),
            )

    @guarded
    def batch_runs(self, batch: str) -> list[RunRecord]:
        """Every run of one batch, oldest first."""
        return self._rows("batch = %s ORDER BY created", (batch,))

    @guarded
    def batches(self) -> list[tuple[str, int, float]]:
        with self._pool.connection() as db:
            found = db.execute(
                "SELECT batch, COUNT(*), MAX(created) FROM runs WHERE batch != '' "
                "GROUP BY batch ORDER BY MAX(created) DESC"
            ).fetchall()
        return [(str(name), int(count), float(newest)) for name, count, newest in found]

    @guarded
    def pending(self) -> list[RunRecord]:
        """Runs any machine left unfinished (the leases say whether someone is still on them)."""
        runs = self._rows("state = ANY(%s) ORDER BY created DESC", (list(RESUMABLE_STATES),))
        self.unreadable = []
        return runs

    @guarded
    def thumbnails(self, run_ids: list[str]) -> dict[str, bytes]:
        with self._pool.connection() as db:
            found = db.execute(
                "SELECT run_id, jpeg FROM thumbnails WHERE run_id = ANY(%s)", (list(run_ids),)
            ).fetchall()
        return {run_id: bytes(jpeg) for run_id, jpeg in found}

    @guarded
    def size_on_disk(self) -> int:
        """The runs' files as each run counted them when it wrote them, and the tables."""
        with self._pool.connection() as db:
            (files, tables) = db.execute(
                "SELECT (SELECT COALESCE(SUM(file_bytes), 0) FROM runs), "
                "(SELECT SUM(pg_total_relation_size(to_regclass(name))) FROM unnest("
                "ARRAY['runs', 'thumbnails', 'checked_photos', 'meta']) AS name)"
            ).fetchone()
        return int(files) + int(tables or 0)

"""The shared run store: a team's runs in PostgreSQL (``SKINSCOPE_DATABASE_URL``), with their
leases, so replicas and CLI processes on several machines see one history and never bill a
photo twice. A second implementation of `RunStore` beside the SQLite one; its files go to the
file store the configuration names (`files`: this machine's data folder, or `files_s3`).

A run is written *before* its task is created and updated as it goes, as in the SQLite store.
The database's password is never in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..errors import StoreError
from . import postgres_connect as connecting
from . import postgres_schema as schema
from .base import RunRecord
from .files import RunFiles, result_bytes, result_file_names
from .guard import guarded
from .ids import new_run_id
from .postgres_leases import PostgresLeases
from .postgres_ledger import PostgresLedger
from .postgres_reading import PostgresReading
from .sqlite_rows import WRITTEN, make_thumbnail, row_of

SCHEMA_VERSION = schema.VERSION
IMPORT_CHUNK = 1000
INSERT = (
    f"INSERT INTO runs ({', '.join(WRITTEN)}) VALUES ({', '.join(['%s'] * len(WRITTEN))}) "
    "ON CONFLICT (id) DO NOTHING"
)
KEEP_THUMBNAIL = (
    "INSERT INTO thumbnails VALUES (%s, %s) ON CONFLICT (run_id) DO UPDATE SET jpeg = EXCLUDED.jpeg"
)


class PostgresRunStore(PostgresReading, PostgresLedger):
    """Runs in PostgreSQL, their photos and masks in `run_files`."""

    def __init__(self, url: str, run_files: RunFiles):
        self.address = connecting.Address(url)
        self.run_files = run_files
        self.where = f"{self.address}, files in {run_files.where}"
        self.unreadable: list[str] = []
        first = connecting.connect(url, self.address)
        try:
            schema.bring_to_current_version(first, self.address)
            (namespace,) = first.execute("SELECT current_schema()").fetchone()
        except StoreError:
            raise
        except Exception as exc:
            raise connecting.failure(self.address, exc) from None
        finally:
            first.close()
        self._pool = connecting.pool(url)
        self.leases = PostgresLeases(url, self.address, self._pool, namespace)

    def close(self) -> None:
        self._pool.close()

    # -- writing ---------------------------------------------------------------------------

    @guarded
    def add_runs(self, runs: Iterable[tuple[RunRecord, bytes]]) -> list[str]:
        """Finished runs with their photos, `IMPORT_CHUNK` to a transaction; each chunk's
        records are committed before its files are written."""
        ids: list[str] = []
        chunk: list[tuple[str, RunRecord, bytes]] = []
        for record, photo in runs:
            chunk.append((new_run_id(), record, photo))
            if len(chunk) == IMPORT_CHUNK:
                ids += self._add_chunk(chunk)
                chunk = []
        return ids + self._add_chunk(chunk) if chunk else ids

    def _add_chunk(self, chunk) -> list[str]:
        made: dict[str, bytes | None] = {}
        with self._pool.connection() as db, db.transaction(), db.cursor() as cursor:
            rows, thumbnails = [], []
            for index, (run_id, record, photo) in enumerate(chunk):
                names = result_file_names(record.result) if record.result else {}
                record = replace(record, mask_files=names)
                size = len(photo) + (result_bytes(record.result) if record.result else 0)
                chunk[index] = (run_id, record, photo)
                rows.append(row_of(record, run_id, size))
                key = record.photo_hash or str(hash(photo))
                if key not in made:
                    made[key] = make_thumbnail(photo)
                if made[key] is not None:
                    thumbnails.append((run_id, made[key]))
            cursor.executemany(INSERT, rows)
            cursor.executemany(KEEP_THUMBNAIL, thumbnails)
        return self._write_files(chunk)

    @guarded
    def purge(self) -> None:
        """Every run and every file, gone."""
        with self._pool.connection() as db, db.transaction():
            db.execute("DELETE FROM runs")
            db.execute("DELETE FROM thumbnails")
        self.run_files.purge()

    def _insert(self, row: tuple) -> bool:
        return bool(self._changed(INSERT, row))

    def _changed(self, statement: str, params: tuple) -> int:
        with self._pool.connection() as db:
            return db.execute(statement, params).rowcount

    def _keep_thumbnail(self, run_id: str, jpeg: bytes | None) -> None:
        if jpeg is not None:
            self._changed(KEEP_THUMBNAIL, (run_id, jpeg))

    def _forget(self, run_id: str) -> None:
        with self._pool.connection() as db, db.transaction():
            db.execute("DELETE FROM runs WHERE id = %s", (run_id,))
            db.execute("DELETE FROM thumbnails WHERE run_id = %s", (run_id,))

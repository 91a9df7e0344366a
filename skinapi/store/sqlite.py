"""The SQLite run store: every run in one file (standard library), its photo and masks as files.

A run is written *before* its task is created and updated as it goes, so a task_id is never lost
and an interrupted run can be resumed after a restart. The API key is never stored.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..concerns import AnalysisSettings
from ..errors import StoreError
from ..results import AnalysisResult
from . import sqlite_query as queries
from . import sqlite_schema as schema
from .base import FRESH_HINT, RunRecord, default_path, new_run_id
from .files import LocalFiles, result_bytes, result_file_names
from .sqlite_guard import guarded
from .sqlite_ledger import SqliteLedger
from .sqlite_reading import SqliteReading
from .sqlite_rows import INSERT, JSON_COLUMNS, WRITTEN, make_thumbnail, row_of

SCHEMA_VERSION = 7
"""What `sqlite_schema` creates; older histories are upgraded in place."""
IMPORT_CHUNK = 1000
"""Runs `add_runs` writes per transaction."""


class SqliteRunStore(SqliteReading, SqliteLedger):
    """The run store in one SQLite file, with each run's photo and masks in a folder beside it."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else default_path()
        self.run_files = LocalFiles(self.path.parent / "runs")
        self.files = self.run_files.root
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
                f"The run history {self.path} is not a file",
                hint="Move it aside, or point SKINSCOPE_DATA_DIR at another folder.",
            )
        self._open()

    def _open(self) -> None:
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            _bring_to_current_version(self._db, self.path)
            queries.prepare(self._db)
        except sqlite3.Error as exc:
            raise StoreError(
                f"The run history at {self.path} cannot be read ({exc})", hint=FRESH_HINT
            ) from None

    def _meta(self, key: str) -> str | None:
        return schema.meta_value(self._db, key)

    @classmethod
    def fresh(cls, path: Path | str | None = None) -> SqliteRunStore:
        """Move an unusable history aside (kept as ``*.broken-<time>``) and start anew."""
        return cls(_moved_aside(Path(path) if path else default_path()))

    @guarded
    def close(self) -> None:
        self._db.close()

    # -- writing ---------------------------------------------------------------------------

    @guarded
    def begin(
        self,
        *,
        photo: bytes,
        settings: AnalysisSettings,
        backend: str,
        source: str,
        photo_hash: str,
        base_url: str = "",
        label: str = "",
        trial: str = "",
        participant: str = "",
        batch: str = "",
        file: str = "",
        meta: dict[str, str] | None = None,
        visit: str = "",
        person: str = "",
        run_id: str | None = None,
        thumbnail: bool = True,
    ) -> str:
        """Record a run before anything is sent; returns its id (`run_id`, from `new_run_id`,
        when the caller needs it before the record exists). The record comes first and its
        files after it, so an id that is taken already is refused before a file of the other
        run could be overwritten; a photo that cannot be written takes its record back."""
        record = RunRecord(
            settings=settings, backend=backend, source=source, photo_hash=photo_hash,
            base_url=base_url, label=label, trial=trial, participant=participant, batch=batch,
            file=file, meta=dict(meta or {}), visit=visit, person=person,
        )  # fmt: skip
        chosen = run_id or new_run_id()
        self.folder(chosen)  # a checked id, before it is stored
        for attempt in range(3):
            try:
                self._db.execute(INSERT, row_of(record, chosen, len(photo)))
                break
            except sqlite3.IntegrityError:
                if run_id or attempt == 2:
                    raise StoreError(
                        f"Run id {chosen} is taken already in the history",
                        hint="Run it again: a new run gets a new id.",
                    ) from None
                chosen = new_run_id()
        if thumbnail:
            self._keep_thumbnail(chosen, make_thumbnail(photo))
        try:
            self.run_files.write_photo(chosen, photo)
        except OSError:
            self._forget(chosen)
            raise
        return chosen

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
        for run_id, record, photo in chunk:
            self.run_files.write_photo(run_id, photo)
            if record.result is not None:
                self.run_files.write_result_files(run_id, record.result)
        return [run_id for run_id, _, _ in chunk]

    @guarded
    def update(self, run_id: str, **fields) -> None:
        unknown = set(fields) - set(WRITTEN[1:])
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        if isinstance(fields.get("result"), dict):  # what History sorts by, beside its source
            overall = fields["result"].get("overall")
            fields.setdefault("overall", overall if isinstance(overall, int | float) else None)
        encoded = {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in fields.items()}
        assignments = ", ".join(f"{k} = ?" for k in encoded)
        changed = self._db.execute(
            f"UPDATE runs SET {assignments} WHERE id = ?", (*encoded.values(), run_id)
        ).rowcount
        if not changed:  # deleted or purged meanwhile: its task and result must not go unseen
            raise StoreError(
                f"Run {run_id} is no longer in the history (deleted or purged while it ran)",
                hint="Its task id is in the debug log and the summary; look it up there.",
            )

    @guarded
    def save_result(
        self, run_id: str, result: AnalysisResult, *, duration: float, units: int
    ) -> None:
        names = self.run_files.write_result_files(run_id, result)
        stored = result.to_dict() | {"mask_files": names}
        self.update(run_id, state="success", result=stored, duration=duration, units=units)
        self._grow(run_id, result_bytes(result))

    @guarded
    def keep_raw_result(self, run_id: str, data: bytes) -> None:
        before = self.run_files.write_raw_result(run_id, data)
        self._grow(run_id, len(data) - before)

    @guarded
    def keep_thumbnail(self, run_id: str, photo: bytes) -> None:
        self._keep_thumbnail(run_id, make_thumbnail(photo))

    @guarded
    def delete(self, run_id: str) -> None:
        self._forget(run_id)
        self.run_files.delete(run_id)

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

    def _grow(self, run_id: str, size: int) -> None:
        """Count bytes written to a run's files, so the history's size is a sum, not a walk."""
        self._db.execute(
            "UPDATE runs SET file_bytes = COALESCE(file_bytes, 0) + ? WHERE id = ?", (size, run_id)
        )

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
            f"Cannot start a fresh history: {path.parent} does not let SkinScope move the "
            f"old file aside ({exc.strerror or exc})",
            hint="Point SKINSCOPE_DATA_DIR at a folder you can write, then reload.",
        ) from None
    return path


def _bring_to_current_version(db: sqlite3.Connection, path: Path) -> None:
    """Create a new history, upgrade an older one, refuse what is not one."""
    db.execute("PRAGMA journal_mode=WAL")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        schema.create(db, SCHEMA_VERSION)
    elif "meta" not in tables:
        raise StoreError(
            f"{path} is not a SkinScope run history",
            hint="Move it aside, or start a fresh history.",
        )
    stored_version = schema.meta_value(db, "schema_version") or "0"
    if not stored_version.isdigit():
        raise StoreError(
            f"The run history at {path} has no readable schema version ({stored_version[:20]!r})",
            hint=FRESH_HINT,
        )
    version = schema.upgrade(db, int(stored_version))
    if version != SCHEMA_VERSION:
        raise StoreError(
            f"The run history at {path} has schema version {version}; this SkinScope reads "
            f"version {SCHEMA_VERSION}",
            hint=FRESH_HINT,
        )
    try:  # looking a photo up (a new tab, a restart) must not scan every run
        db.execute("CREATE INDEX IF NOT EXISTS runs_photo ON runs (photo_hash)")
        db.execute("CREATE INDEX IF NOT EXISTS runs_batch ON runs (batch)")
        db.execute("CREATE INDEX IF NOT EXISTS runs_task ON runs (task_id)")
    except sqlite3.OperationalError:
        pass  # a read-only history is still read, just without the index

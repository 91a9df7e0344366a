"""The SQLite run store: every run in one file (standard library), its photo and masks as files.

A run is written *before* its task is created and updated as it goes, so a task_id is never lost
and an interrupted run can be resumed after a restart. The API key is never stored.
"""

from __future__ import annotations

import functools
import io
import json
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

from ..concerns import AnalysisSettings
from ..errors import StoreError
from ..results import AnalysisResult
from . import sqlite_schema as schema
from .base import FRESH_HINT, RunRecord, default_path, new_run_id
from .files import LocalFiles
from .states import RESUMABLE_STATES

SCHEMA_VERSION = 5
"""What `sqlite_schema` creates; older histories are upgraded in place."""
_COLUMNS = (
    "id",
    "created",
    "backend",
    "api_version",
    "settings",
    "actions",
    "source",
    "photo_hash",
    "task_id",
    "state",
    "result",
    "duration",
    "units",
    "error_code",
    "error_message",
    "label",
    "note",
    "trial",
    "participant",
    "debug",
    "batch",
    "file",
    "meta",
    "visit",
    "base_url",
)
_SELECTED = ", ".join(_COLUMNS)
_INSERT = (
    "INSERT INTO runs (id, created, backend, api_version, settings, actions, source, "
    "photo_hash, label, trial, participant, thumbnail, batch, file, meta, visit, base_url, "
    "state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')"
)
_JSON_COLUMNS = ("result", "debug", "settings", "meta")
_TEXT_COLUMNS = ("label", "note", "trial", "participant", "batch", "file", "visit", "base_url")


def _guarded(method):
    """Any failure of the file or the database becomes a StoreError that says where and why:
    a damaged or unwritable history never takes the app down."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreError:
            raise
        except sqlite3.Error as exc:
            raise StoreError(
                f"The run history at {self.path} cannot be used ({exc})", hint=FRESH_HINT
            ) from None
        except OSError as exc:
            raise StoreError(
                f"The run history's files under {self.path.parent} cannot be written or read "
                f"({exc.strerror or exc})",
                hint="Free disk space, or point SKINSCOPE_DATA_DIR at a folder you can write.",
            ) from None

    return guarded


class SqliteRunStore:
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

    @_guarded
    def close(self) -> None:
        self._db.close()

    # -- writing ---------------------------------------------------------------------------

    @_guarded
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
        run_id: str | None = None,
        thumbnail: bool = True,
    ) -> str:
        """Record a run before anything is sent; returns its id (`run_id`, from `new_run_id`,
        when the caller needs it before the record exists). The record comes first and its
        files after it, so an id that is taken already is refused before a file of the other
        run could be overwritten; a photo that cannot be written takes its record back."""
        row = (
            time.time(), backend, settings.api_version, json.dumps(settings.to_dict()),
            ",".join(settings.actions), source, photo_hash, label, trial, participant,
            _thumbnail(photo) if thumbnail else None, batch, file, json.dumps(meta or {}), visit,
            base_url,
        )  # fmt: skip
        chosen = run_id or new_run_id()
        self.folder(chosen)  # a checked id, before it is stored
        for attempt in range(3):
            try:
                self._db.execute(_INSERT, (chosen, *row))
                break
            except sqlite3.IntegrityError:
                if run_id or attempt == 2:
                    raise StoreError(
                        f"Run id {chosen} is taken already in the history",
                        hint="Run it again: a new run gets a new id.",
                    ) from None
                chosen = new_run_id()
        try:
            self.run_files.write_photo(chosen, photo)
        except OSError:
            self._db.execute("DELETE FROM runs WHERE id = ?", (chosen,))
            raise
        return chosen

    @_guarded
    def update(self, run_id: str, **fields) -> None:
        unknown = set(fields) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        encoded = {k: json.dumps(v) if k in _JSON_COLUMNS else v for k, v in fields.items()}
        assignments = ", ".join(f"{k} = ?" for k in encoded)
        changed = self._db.execute(
            f"UPDATE runs SET {assignments} WHERE id = ?", (*encoded.values(), run_id)
        ).rowcount
        if not changed:  # deleted or purged meanwhile: its task and result must not go unseen
            raise StoreError(
                f"Run {run_id} is no longer in the history (deleted or purged while it ran)",
                hint="Its task id is in the debug log and the summary; look it up there.",
            )

    @_guarded
    def save_result(
        self, run_id: str, result: AnalysisResult, *, duration: float, units: int
    ) -> None:
        names = self.run_files.write_result_files(run_id, result)
        stored = result.to_dict() | {"mask_files": names}
        self.update(run_id, state="success", result=stored, duration=duration, units=units)

    @_guarded
    def delete(self, run_id: str) -> None:
        self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self.run_files.delete(run_id)

    @_guarded
    def purge(self) -> None:
        """Every run and every file, gone."""
        self._db.execute("DELETE FROM runs")
        self._db.execute("VACUUM")
        self.run_files.purge()

    # -- reading ---------------------------------------------------------------------------

    @_guarded
    def get(self, run_id: str) -> RunRecord | None:
        return _one(self._db, "id = ?", (run_id,), f"Run {run_id} in the history")

    @_guarded
    def list(self, *, limit: int | None = None) -> list[RunRecord]:
        runs, self.unreadable = _many(
            self._db, "1 ORDER BY created DESC" + (f" LIMIT {int(limit)}" if limit else "")
        )
        return runs

    @_guarded
    def find_result(self, photo_hash: str, settings: AnalysisSettings, backend: str):
        """The newest successful run of this photo with these settings on this backend: what
        a new tab or a restart finds instead of paying for the same analysis again."""
        try:
            return _one(
                self._db,
                "photo_hash = ? AND backend = ? AND settings = ? AND state = 'success' "
                "ORDER BY created DESC LIMIT 1",
                (photo_hash, backend, json.dumps(settings.to_dict())),
                "",
            )
        except StoreError:
            return None  # a damaged row is paid for again rather than shown

    @_guarded
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

    @_guarded
    def keep_passed_check(
        self, photo_hash: str, quality: str, version: str, warnings: list[str]
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO checked_photos VALUES (?, ?, ?, ?)",
            (photo_hash, quality, version, json.dumps(warnings)),
        )

    @_guarded
    def by_task(self, task_id: str) -> RunRecord | None:
        """The newest run of the task `task_id`."""
        return _one(
            self._db,
            "task_id = ? ORDER BY created DESC LIMIT 1",
            (task_id,),
            f"The run of task {task_id}",
        )

    @_guarded
    def batch_runs(self, batch: str) -> list[RunRecord]:
        """Every run of one batch, oldest first."""
        runs, self.unreadable = _many(self._db, "batch = ? ORDER BY created", (batch,))
        return runs

    @_guarded
    def batches(self) -> list[tuple[str, int, float]]:
        """(batch, runs, newest run's time) for every batch, newest first."""
        return [
            (str(name), int(count), float(newest))
            for name, count, newest in self._db.execute(
                "SELECT batch, COUNT(*), MAX(created) FROM runs WHERE batch != '' "
                "GROUP BY batch ORDER BY MAX(created) DESC"
            )
        ]

    @_guarded
    def pending(self) -> list[RunRecord]:
        """Runs an earlier session left unfinished: to be resumed by task_id, or marked unsent.
        Asked of the state index, so a page's every rerun does not read the whole history."""
        marks = ", ".join("?" * len(RESUMABLE_STATES))
        runs, _ = _many(self._db, f"state IN ({marks}) ORDER BY created DESC", RESUMABLE_STATES)
        return runs

    @_guarded
    def keep_thumbnail(self, run_id: str, photo: bytes) -> None:
        self._db.execute("UPDATE runs SET thumbnail = ? WHERE id = ?", (_thumbnail(photo), run_id))

    @_guarded
    def thumbnails(self) -> dict[str, bytes]:
        return dict(self._db.execute("SELECT id, thumbnail FROM runs"))

    def folder(self, run_id: str) -> Path:
        return self.run_files.folder(run_id)

    @_guarded
    def photo(self, run_id: str) -> bytes:
        return self.run_files.photo(run_id)

    @_guarded
    def load_result(self, run: RunRecord) -> AnalysisResult | None:
        """The stored result with its masks and resized photo read back from its files."""
        if run.result is None:
            return None
        return self.run_files.read_result_files(run.id, run.result, run.mask_files)

    @_guarded
    def size_on_disk(self) -> int:
        return self.run_files.size() + (self.path.stat().st_size if self.path.exists() else 0)


def _one(db: sqlite3.Connection, where: str, params: tuple, what: str) -> RunRecord | None:
    row = db.execute(f"SELECT {_SELECTED} FROM runs WHERE {where}", params).fetchone()
    if not row:
        return None
    try:
        return _stored(row)
    except _DAMAGED as exc:
        raise StoreError(f"{what} is damaged ({exc!r:.80})") from None


def _many(db: sqlite3.Connection, where: str, params: tuple = ()) -> tuple[list, list[str]]:
    """The readable runs, and the ids of the others."""
    rows = db.execute(f"SELECT {_SELECTED} FROM runs WHERE {where}", params).fetchall()
    runs, unreadable = [], []
    for row in rows:
        try:
            runs.append(_stored(row))
        except _DAMAGED:
            unreadable.append(str(row[0]))
    return runs, unreadable


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


_DAMAGED = (ValueError, KeyError, TypeError, AttributeError)
"""What decoding a damaged row raises (invalid JSON, missing keys, wrong types)."""


def _stored(row) -> RunRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    settings = AnalysisSettings.from_dict(json.loads(values["settings"] or "{}"))
    if values["api_version"] and values["api_version"] != settings.api_version:
        settings = replace(settings, api_version=values["api_version"])  # an early row's column
    values["settings"] = settings
    del values["api_version"], values["actions"]  # the settings hold both
    result = json.loads(values["result"]) if values["result"] else None
    values["result"] = AnalysisResult.from_dict(result) if result else None
    values["mask_files"] = (result or {}).get("mask_files") or {}
    values["debug"] = json.loads(values["debug"] or "{}")
    for text in _TEXT_COLUMNS:
        values[text] = values[text] or ""
    values["meta"] = _meta_columns(values["meta"])
    values["units"] = values["units"] or 0
    return RunRecord(**values)


def _meta_columns(text) -> dict[str, str]:
    """A run's meta columns; damaged ones are dropped rather than hiding the run (a run the
    store cannot read would be paid for again by the batch that looks for it)."""
    try:
        meta = json.loads(text or "{}")
    except (ValueError, TypeError):
        return {}
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def _thumbnail(photo: bytes) -> bytes | None:
    from PIL import Image  # only here: `analyze` of a photo checked before loads no Pillow

    try:
        image = Image.open(io.BytesIO(photo)).convert("RGB")
    except Exception:  # a photo the API would refuse still gets its run recorded
        return None
    image.thumbnail((160, 160))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()

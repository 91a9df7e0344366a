"""What both SQL run stores (SQLite, PostgreSQL) do alike: record a run before its files, change
its columns, keep its result's files through its file store (`run_files`) and count their bytes.
Each store supplies the few statements in its own SQL (`_insert`, `_changed`, `_grow`,
`_forget`, `_keep_thumbnail`) and names its own failures (`problem`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from ..concerns import AnalysisSettings
from ..errors import StoreError
from ..results import AnalysisResult
from .base import RunPage, RunQuery, RunRecord, RunTotals, Tally
from .files import RunFiles, result_bytes
from .guard import as_store_error, guarded
from .ids import checked_run_id, new_run_id
from .sqlite_rows import JSON_COLUMNS, WRITTEN, make_thumbnail, row_of


class SqlStore:
    run_files: RunFiles
    unreadable: list[str]
    queries: ModuleType
    """The store's `RunQuery` in its SQL: ``page``, ``totals``, ``tally`` and ``iterate``."""
    mark = "?"
    """A parameter's placeholder in this store's SQL."""

    def problem(self, exc: Exception) -> StoreError | None:
        raise NotImplementedError

    def _insert(self, row: tuple) -> bool:
        """Insert a run's row; False when its id is taken."""
        raise NotImplementedError

    def _changed(self, statement: str, params: tuple) -> int:
        """Run one statement; the rows it changed."""
        raise NotImplementedError

    def _keep_thumbnail(self, run_id: str, jpeg: bytes | None) -> None:
        raise NotImplementedError

    def _forget(self, run_id: str) -> None:
        raise NotImplementedError

    def _one(self, where: str, params: tuple, what: str) -> RunRecord | None:
        """The run of the first row `where` finds; a damaged one is a StoreError naming `what`."""
        raise NotImplementedError

    def _ask(self, question, *args):
        """`question(connection, *args)`, one of this store's query module's functions."""
        raise NotImplementedError

    def _iterated(self, query: RunQuery, unreadable: list[str]) -> Iterator[RunRecord]:
        raise NotImplementedError

    # -- reading what a query asks for (see `RunQuery`) ----------------------------------------

    @guarded
    def query(self, query: RunQuery) -> RunPage:
        page = self._ask(self.queries.page, query)
        self.unreadable = page.unreadable
        return page

    def iterate(self, query: RunQuery) -> Iterator[RunRecord]:
        self.unreadable = []
        try:
            yield from self._iterated(query, self.unreadable)
        except StoreError:
            raise
        except Exception as exc:
            raise as_store_error(self, exc) from None

    @guarded
    def totals(self, query: RunQuery) -> RunTotals:
        return self._ask(self.queries.totals, query)

    @guarded
    def tally(self, query: RunQuery, by: str) -> list[Tally]:
        return self._ask(self.queries.tally, query, by)

    @guarded
    def find_result(self, photo_hash: str, settings: AnalysisSettings, backend: str):
        """The newest successful run of this photo with these settings on this backend: what
        a new tab, a restart or another machine sharing the store finds instead of paying for
        the same analysis again."""
        mark = self.mark
        try:
            return self._one(
                f"photo_hash = {mark} AND backend = {mark} AND settings = {mark} "
                "AND state = 'success' ORDER BY created DESC LIMIT 1",
                (photo_hash, backend, json.dumps(settings.to_dict())),
                "",
            )
        except StoreError:
            return None  # a damaged row is paid for again rather than shown

    @guarded
    def by_task(self, task_id: str) -> RunRecord | None:
        """The newest run of the task `task_id`."""
        return self._one(
            f"task_id = {self.mark} ORDER BY created DESC LIMIT 1",
            (task_id,),
            f"The run of task {task_id}",
        )

    @guarded
    def passed_check(self, photo_hash: str, quality: str, version: str) -> list[str] | None:
        """The warnings of these bytes' passed check at `quality`, if they passed before."""
        mark = self.mark
        row = self._ask(
            lambda db: db.execute(
                f"SELECT warnings FROM checked_photos WHERE photo_hash = {mark} "
                f"AND quality = {mark} AND checks_version = {mark}",
                (photo_hash, quality, version),
            ).fetchone()
        )
        try:
            warnings = json.loads(row[0]) if row else None
        except ValueError:
            return None
        return [str(w) for w in warnings] if isinstance(warnings, list) else None

    # -- writing -------------------------------------------------------------------------------

    @guarded
    def begin(
        self,
        *,
        photo: bytes,
        settings: AnalysisSettings,
        backend: str,
        source: str,
        photo_hash: str,
        run_id: str | None = None,
        thumbnail: bool = True,
        **labels,
    ) -> str:
        """Record a run before anything is sent; returns its id (`run_id`, from `new_run_id`,
        when the caller needs it before the record exists). The record comes first and its
        files after it, so an id that is taken already is refused before a file of the other
        run could be overwritten; a photo that cannot be written takes its record back.
        `labels` are the record's base_url, label, trial, participant, batch, file, meta, visit
        and conditions."""
        labels["meta"] = dict(labels.get("meta") or {})
        labels["conditions"] = dict(labels.get("conditions") or {})
        record = RunRecord(
            settings=settings, backend=backend, source=source, photo_hash=photo_hash, **labels
        )
        chosen = run_id or new_run_id()
        checked_run_id(chosen)  # before it is stored
        for attempt in range(3):
            if self._insert(row_of(record, chosen, len(photo))):
                break
            if run_id or attempt == 2:
                raise StoreError(
                    f"Run id {chosen} is taken already in the run store",
                    hint="Run it again: a new run gets a new id.",
                )
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
    def update(self, run_id: str, **fields) -> None:
        unknown = set(fields) - set(WRITTEN[1:])
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        if isinstance(fields.get("result"), dict):  # what History sorts by, beside its source
            overall = fields["result"].get("overall")
            fields.setdefault("overall", overall if isinstance(overall, int | float) else None)
        encoded = {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in fields.items()}
        assignments = ", ".join(f"{k} = {self.mark}" for k in encoded)
        changed = self._changed(
            f"UPDATE runs SET {assignments} WHERE id = {self.mark}", (*encoded.values(), run_id)
        )
        if not changed:  # deleted or purged meanwhile: its task and result must not go unseen
            raise StoreError(
                f"Run {run_id} is no longer in the run store (deleted or purged while it ran)",
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
    def keep_copy(self, run: RunRecord, files: dict[str, bytes], thumbnail: bytes | None) -> bool:
        """Another store's run with its id, row and files; False (nothing written) when this
        store holds that id already."""
        size = sum(map(len, files.values()))
        if not self._insert(row_of(run, checked_run_id(run.id), size)):
            return False
        self._keep_thumbnail(run.id, thumbnail)
        for name, data in files.items():
            self.run_files.put(run.id, name, data)
        return True

    def _write_files(self, chunk: list[tuple[str, RunRecord, bytes]]) -> list[str]:
        """The photos and result files of runs whose records are committed; their ids."""
        for run_id, record, photo in chunk:
            self.run_files.write_photo(run_id, photo)
            if record.result is not None:
                self.run_files.write_result_files(run_id, record.result)
        return [run_id for run_id, _, _ in chunk]

    def _grow(self, run_id: str, size: int) -> None:
        """Count bytes written to a run's files, so the store's size is a sum, not a walk."""
        self._changed(
            f"UPDATE runs SET file_bytes = COALESCE(file_bytes, 0) + {self.mark} "
            f"WHERE id = {self.mark}",
            (size, run_id),
        )

    def folder(self, run_id: str) -> Path:
        """The run's folder, when its files are on this machine (a checked id: never a path
        outside the store)."""
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

"""Moving a history into the shared store: every run of one store copied into another with its
id, its row and its files, idempotently (a run the target holds already is left as it is), and
a checksum of the copied runs read back from each side, so the two can be compared."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .base import RunQuery, RunRecord, RunStore
from .sqlite_rows import row_of


@dataclass
class CopyReport:
    runs: int = 0
    """Runs in the source."""
    copied: int = 0
    already: int = 0
    """Runs the target held already (left as they are)."""
    files: int = 0
    """Files copied (photos, masks, raw results)."""
    source_checksum: str = ""
    target_checksum: str = ""

    @property
    def matches(self) -> bool:
        return self.source_checksum == self.target_checksum

    def to_dict(self) -> dict:
        return {
            "runs": self.runs,
            "copied": self.copied,
            "already_there": self.already,
            "files_copied": self.files,
            "source_checksum": self.source_checksum,
            "target_checksum": self.target_checksum,
            "checksums_match": self.matches,
        }


def copy_run_store(source: RunStore, target: RunStore, *, same_files: bool = False) -> CopyReport:
    """Every run of `source` into `target`; `same_files` when both keep their files in one
    place (only the rows move)."""
    report = CopyReport()
    ids = []
    for run in source.iterate(RunQuery(order="oldest")):
        report.runs += 1
        ids.append(run.id)
        names = [] if same_files else source.run_files.names(run.id)
        files = {name: source.run_files.read(run.id, name) for name in names}
        thumbnail = source.thumbnails([run.id]).get(run.id)
        if target.keep_copy(run, {k: v for k, v in files.items() if v is not None}, thumbnail):
            report.copied += 1
            report.files += len(files)
        else:
            report.already += 1
    report.source_checksum = checksum(source, ids)
    report.target_checksum = checksum(target, ids)
    return report


def checksum(store: RunStore, ids: list[str]) -> str:
    """SHA-256 over these runs' rows (as a store writes them) and their files' bytes."""
    digest = hashlib.sha256()
    for run_id in ids:
        run = store.get(run_id)
        digest.update(json.dumps(_row(run), sort_keys=True, default=str).encode())
        if run is not None:
            for name in store.run_files.names(run_id):
                digest.update(name.encode() + (store.run_files.read(run_id, name) or b""))
    return digest.hexdigest()


def _row(run: RunRecord | None) -> list | None:
    return None if run is None else list(row_of(run, run.id, 0))

"""The SQLite run store's rows: which columns a run has, reading rows back as `RunRecord`s (a
damaged row is named, never a crash), writing a record as a row, and a photo's thumbnail."""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import replace

from ..concerns import AnalysisSettings
from ..errors import StoreError
from ..results import AnalysisResult
from .base import RunRecord

COLUMNS = (
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
    "conditions",
    "person",
)
SELECTED = ", ".join(COLUMNS)
JSON_COLUMNS = ("result", "debug", "settings", "meta", "conditions")
_TEXT_COLUMNS = (
    "label",
    "note",
    "trial",
    "participant",
    "batch",
    "file",
    "visit",
    "base_url",
    "person",
)
WRITTEN = (*COLUMNS, "quality", "overall", "file_bytes")
"""What a whole record writes: its columns, and those kept for History's filters and size."""
INSERT = f"INSERT INTO runs ({', '.join(WRITTEN)}) VALUES ({', '.join('?' * len(WRITTEN))})"

DAMAGED = (ValueError, KeyError, TypeError, AttributeError)
"""What decoding a damaged row raises (invalid JSON, missing keys, wrong types)."""


def one(db: sqlite3.Connection, where: str, params: tuple, what: str) -> RunRecord | None:
    return record_of(
        db.execute(f"SELECT {SELECTED} FROM runs WHERE {where}", params).fetchone(), what
    )


def record_of(row, what: str) -> RunRecord | None:
    """The run of one row (None for none); a damaged row is a StoreError naming `what`."""
    if not row:
        return None
    try:
        return stored(row)
    except DAMAGED as exc:
        raise StoreError(f"{what} is damaged ({exc!r:.80})") from None


def many(db: sqlite3.Connection, where: str, params: tuple = ()) -> tuple[list, list[str]]:
    """The readable runs, and the ids of the others."""
    return decoded(db.execute(f"SELECT {SELECTED} FROM runs WHERE {where}", params))


def decoded(rows) -> tuple[list[RunRecord], list[str]]:
    runs, unreadable = [], []
    for row in rows:
        try:
            runs.append(stored(row))
        except DAMAGED:
            unreadable.append(str(row[0]))
    return runs, unreadable


def stored(row) -> RunRecord:
    values = dict(zip(COLUMNS, row[: len(COLUMNS)], strict=True))
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
    values["meta"] = _text_dict(values["meta"])
    values["conditions"] = _text_dict(values["conditions"])
    values["units"] = values["units"] or 0
    values["created"] = _moment(values["created"])
    return RunRecord(**values)


LAST_MOMENT = 253_402_128_000.0
"""30 Dec 9999, 00:00 UTC: a date still shows it in every time zone (local time, east of UTC,
is already 9999's last day)."""


def _moment(value) -> float:
    """A row's creation time as seconds since the epoch; a value no date can show (damage, or
    a hand edit) makes the row unreadable rather than every list of runs fail."""
    moment = float(value)
    if not 0 <= moment <= LAST_MOMENT:
        raise ValueError(f"created {value!r:.30} is not a moment a date can show")
    return moment


def row_of(run: RunRecord, run_id: str, file_bytes: int) -> tuple:
    """A whole record as the values of `INSERT`."""
    result = run.result.to_dict() | {"mask_files": run.mask_files} if run.result else None
    values = {
        "id": run_id,
        "created": run.created,
        "backend": run.backend,
        "api_version": run.api_version,
        "settings": json.dumps(run.settings.to_dict()),
        "actions": ",".join(run.actions),
        "source": run.source,
        "photo_hash": run.photo_hash,
        "task_id": run.task_id,
        "state": run.state,
        "result": json.dumps(result) if result else None,
        "duration": run.duration,
        "units": run.units,
        "error_code": run.error_code,
        "error_message": run.error_message,
        "label": run.label,
        "note": run.note,
        "trial": run.trial,
        "participant": run.participant,
        "debug": json.dumps(run.debug),
        "batch": run.batch,
        "file": run.file,
        "meta": json.dumps(run.meta),
        "visit": run.visit,
        "base_url": run.base_url,
        "conditions": json.dumps(run.conditions),
        "quality": run.quality,
        "overall": run.overall,
        "file_bytes": file_bytes,
        "person": run.person,
    }
    return tuple(values[name] for name in WRITTEN)


def _text_dict(text) -> dict[str, str]:
    """A run's meta columns or capture conditions; damaged ones are dropped rather than hiding the run (a run the
    store cannot read would be paid for again by the batch that looks for it)."""
    try:
        meta = json.loads(text or "{}")
    except (ValueError, TypeError):
        return {}
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def make_thumbnail(photo: bytes) -> bytes | None:
    from PIL import Image  # only here: `analyze` of a photo checked before loads no Pillow

    try:
        image = Image.open(io.BytesIO(photo)).convert("RGB")
    except Exception:  # a photo the API would refuse still gets its run recorded
        return None
    image.thumbnail((160, 160))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()

"""Downloads: a result as JSON, CSV (one row per concern and region) or its masks as a ZIP;
stored runs as JSON, CSV, a ZIP bundle with photos and overlays, or a debug bundle.
The offline HTML report lives in `report.py`."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

from ..concerns import label
from ..errors import StoreError
from ..imaging import overlay
from ..names import csv_cell, safe_name
from ..results import AnalysisResult, mask_file_name
from ..runs.batch_ledger import standing_of
from ..runs.batch_plan import BatchPlan
from ..store import RunQuery, RunRecord, RunStore

CSV_COLUMNS = (
    "task_id",
    "api_version",
    "concern",
    "concern_name",
    "region",
    "ui_score",
    "raw_score",
)


def result_json(result: AnalysisResult, extra: dict | None = None) -> bytes:
    return json.dumps(result.as_document() | (extra or {}), indent=2).encode()


def result_csv(result: AnalysisResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for s in result.scores:
        writer.writerow(
            _cells(
                result.task_id,
                result.api_version,
                s.type,
                label(s.type),
                s.region or "whole",
                s.ui_score,
                f"{s.raw_score:.2f}",
            )
        )
    return buffer.getvalue().encode()


def masks_zip(result: AnalysisResult) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for key, data in result.masks.items():
            archive.writestr(mask_file_name(key, data), data)
    return buffer.getvalue()


# -- stored runs -----------------------------------------------------------------------------

RUN_CSV_COLUMNS = (
    "run_id",
    "created",
    "file",
    "quality",
    "api_version",
    "backend",
    "run_label",
    "run_note",
    "state",
    "task_id",
    "concern",
    "concern_name",
    "region",
    "ui_score",
    "raw_score",
    "overall",
    "skin_age",
    "units",
    "trial",
    "participant",
    "visit",
    "person",
)


def download_name(when_: float, label: str, task_id: str | None, suffix: str) -> str:
    """A download's file name that says what it is: skinscope-<date>-<label>-<task><suffix>."""
    parts = ["skinscope", datetime.fromtimestamp(when_).strftime("%Y-%m-%d")]
    if label:
        parts.append(safe_name(label, max_length=40))
    if task_id:
        parts.append(safe_name(task_id, max_length=12))
    return "-".join(parts) + suffix


def selection_name(first: float, last: float, label: str, count: int, suffix: str) -> str:
    """An export's file name that says what was selected: the days it spans, the label they
    share (if any) and how many runs, e.g. skinscope-2026-03-01_to_2026-03-14-study_A-12-runs.csv."""
    days = [datetime.fromtimestamp(t).strftime("%Y-%m-%d") for t in (first, last)]
    parts = ["skinscope", days[0] if days[0] == days[1] else "_to_".join(days)]
    if label and (tag := safe_name(label, fallback="", max_length=40)):
        parts.append(tag)
    parts.append(f"{count}-run{'' if count == 1 else 's'}")
    return "-".join(parts) + suffix


def runs_name(runs: list[RunRecord], suffix: str) -> str:
    """The file name of chosen runs: one run's date, label and task (`download_name`); several
    runs' first and last day, the label they share and their count (`selection_name`)."""
    if len(runs) == 1 and runs[0].task_id:
        return download_name(runs[0].created, runs[0].label, runs[0].task_id, suffix)
    created = [r.created for r in runs]
    labels = {r.label for r in runs}
    shared = labels.pop() if len(labels) == 1 else ""
    return selection_name(min(created), max(created), shared, len(runs), suffix)


def query_name(query: RunQuery, count: int, suffix: str) -> str:
    """`selection_name` of every run a History query matches: the days its dates span (`until`
    is the midnight after the last), the label text it looks for, how many runs."""
    if query.since is None or query.until is None:
        return f"skinscope-all-{count}-run{'' if count == 1 else 's'}{suffix}"
    last = max(query.since, query.until - 1)  # the last second of the last day
    return selection_name(query.since, last, query.label or query.text, count, suffix)


def _cells(*values) -> list:
    """A CSV row no spreadsheet runs as a formula, whatever a server or a user typed."""
    return [csv_cell(v) for v in values]


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).isoformat(timespec="seconds")


def runs_json(runs: Iterable[RunRecord]) -> bytes:
    return b"".join(runs_json_chunks(runs))


def runs_json_chunks(runs: Iterable[RunRecord]) -> Iterator[bytes]:
    """Runs as stored, minus the debug traces (those go in the debug bundle): a JSON array
    written a run at a time."""
    yield b"["
    for index, r in enumerate(runs):
        document = {
            "run_id": r.id,
            "created": when(r.created),
            "backend": r.backend,
            "state": r.state,
            "label": r.label,
            "note": r.note,
            "file": r.file,
            "participant": r.participant,
            "visit": r.visit,
            "person": r.person,
            "settings": r.settings.to_dict(),
            "task_id": r.task_id,
            "duration": r.duration,
            "units": r.units,
            "error_code": r.error_code,
            "error_message": r.error_message,
            "result": r.result.as_document() if r.result else None,
        }
        yield (b",\n" if index else b"\n") + json.dumps(document, indent=2).encode()
    yield b"\n]\n"


def runs_csv(runs: Iterable[RunRecord]) -> bytes:
    return b"".join(runs_csv_chunks(runs))


def runs_csv_chunks(runs: Iterable[RunRecord]) -> Iterator[bytes]:
    """One row per run × concern × region, written a run at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RUN_CSV_COLUMNS)
    for r in runs:
        writer.writerows(_score_rows(r))
        if buffer.tell() > 64_000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _score_rows(r: RunRecord) -> list[list]:
    if r.result is None:
        return []
    return [
        _cells(
            r.id, when(r.created), r.file, r.quality.upper(), r.api_version, r.backend,
            r.label, r.note, r.state, r.task_id, s.type, label(s.type), s.region or "whole",
            s.ui_score, f"{s.raw_score:.2f}", r.result.overall, r.result.skin_age, r.units,
            r.trial, r.participant, r.visit, r.person,
        )
        for s in r.result.scores
    ]  # fmt: skip


BATCH_CSV_COLUMNS = (
    "batch",
    "file",
    "run_id",
    "created",
    "backend",
    "api_version",
    "state",
    "task_id",
    "concern",
    "concern_name",
    "region",
    "ui_score",
    "raw_score",
    "skin_type",
    "overall",
    "skin_age",
    "units",
)


def batch_csv(runs: list[RunRecord], meta_columns: list[str]) -> bytes:
    """A batch's results.csv: one row per photo × concern × region (skin types name their
    label), then the meta columns; a meta column named like one of ours gets a ``meta_``
    prefix."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = [f"meta_{c}" if c in BATCH_CSV_COLUMNS else c for c in meta_columns]
    writer.writerow([*BATCH_CSV_COLUMNS, *(csv_cell(h) for h in header)])
    for r in runs:
        if r.result is None:
            continue
        head = (
            r.batch,
            r.file,
            r.id,
            when(r.created),
            r.backend,
            r.api_version,
            r.state,
            r.task_id,
        )
        tail = (
            r.result.overall,
            r.result.skin_age,
            r.units,
            *(r.meta.get(c, "") for c in meta_columns),
        )
        for s in r.result.scores:
            cells = (
                s.type,
                label(s.type),
                s.region or "whole",
                s.ui_score,
                f"{s.raw_score:.2f}",
                "",
            )
            writer.writerow(_cells(*head, *cells, *tail))
        skin_type = next((a for a in r.settings.actions if a.endswith("skin_type")), "skin_type")
        for zone in r.result.skin_types:
            cells = (skin_type, label(skin_type), zone.region, "", "", zone.label)
            writer.writerow(_cells(*head, *cells, *tail))
    return buffer.getvalue().encode()


def batch_results_csv(
    plan: BatchPlan, store: RunStore, *, batch: str, backend: str, base_url: str = ""
) -> bytes:
    """results.csv: a row per photo × concern × region of the plan's succeeded runs, with the
    meta columns (the plan's, then any older runs carry)."""
    standing = standing_of(plan, store, batch=batch, backend=backend, base_url=base_url)
    succeeded = standing.succeeded
    runs = [succeeded[p.photo_hash] for p in plan.sendable if p.photo_hash in succeeded]
    columns = list(plan.meta_columns)
    for run in runs:
        columns += [k for k in run.meta if k not in columns]
    return batch_csv(runs, columns)


def bundle_zip(store: RunStore, runs: Iterable[RunRecord]) -> bytes:
    buffer = io.BytesIO()
    write_bundle_zip(store, runs, buffer)
    return buffer.getvalue()


def write_bundle_zip(store: RunStore, runs: Iterable[RunRecord], out: BinaryIO) -> None:
    """Photo, masks, a composited overlay and the scores of each run, in one ZIP written to
    `out` as the runs come (their JSON and CSV wait in temporary files, not in memory); a run
    whose files are gone is listed in MISSING.txt instead of failing the whole export."""
    missing = []
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        tempfile.TemporaryFile() as as_json,
        tempfile.TemporaryFile() as as_csv,
    ):
        rows = io.TextIOWrapper(as_csv, encoding="utf-8", newline="")
        writer = csv.writer(rows)
        writer.writerow(RUN_CSV_COLUMNS)

        def written(r: RunRecord) -> RunRecord:
            writer.writerows(_score_rows(r))
            missing.extend(_bundle_files(store, r, archive))
            return r

        for chunk in runs_json_chunks(map(written, runs)):
            as_json.write(chunk)
        rows.detach()  # flushed; `as_csv` stays open for the copy below
        for name, part in (("runs.json", as_json), ("scores.csv", as_csv)):
            part.seek(0)
            with archive.open(name, "w") as entry:
                shutil.copyfileobj(part, entry)
        if missing:
            archive.writestr("MISSING.txt", "\n".join(missing) + "\n")


def _bundle_files(store: RunStore, r: RunRecord, archive: zipfile.ZipFile) -> list[str]:
    files = store.run_files
    try:
        names = files.names(r.id)
    except StoreError:
        return [f"{r.id}: not an id SkinScope writes; its files were not read"]
    if "photo.jpg" not in names:
        return [f"{r.id}: its photo and masks are no longer in {files.where}"]
    for name in names:
        data = files.read(r.id, name) if name.endswith((".jpg", ".png")) else None
        if data is not None:
            archive.writestr(f"{r.id}/{name}", data)
    overlay_jpeg = run_overlay(store, r)
    if overlay_jpeg:
        archive.writestr(f"{r.id}/overlay.jpg", overlay_jpeg)
    return []


def run_layers(store: RunStore, run: RunRecord, max_side: int | None = None):
    """The run's photo and its masks decoded once, ready to composite: (RGB array, layers), or
    None when the run has no masks or its files are gone."""
    try:
        result = store.load_result(run)
        if result is None or not result.masks:
            return None
        return overlay.prepare(result.resized_image or store.photo(run.id), result.masks, max_side)
    except (StoreError, OSError, ValueError):
        return None


def run_overlay(
    store: RunStore, run: RunRecord, keys: list[str] | None = None, max_side: int | None = None
) -> bytes | None:
    """The photo with the run's masks (all raw masks, or `keys`) blended on; None when the run
    has no masks or its files are gone."""
    prepared = run_layers(store, run, max_side)
    if prepared is None:
        return None
    base, layers = prepared
    chosen = keys or [
        k for k, layer in layers.items() if layer.alpha is not None and k.endswith(":whole")
    ]
    return overlay.to_jpeg(overlay.composite(base, layers, chosen, {}, 0.6))


def debug_bundle(store: RunStore, run: RunRecord) -> bytes:
    """What was sent and received for a run — request bodies (no key), task_id, request ids,
    poll timeline, the raw answers and phase timings — to file a precise report."""
    buffer = io.BytesIO()
    attempts = run.debug.get("attempts", [])
    request_ids = [
        e.get("request_id") for a in attempts for e in a["exchanges"] if e.get("request_id")
    ]
    polls = [
        {
            "at": e["at"],
            "status": e.get("status"),
            "task_status": (e.get("response") or {}).get("data", {}).get("task_status")
            if isinstance(e.get("response"), dict)
            else None,
            "elapsed": e["elapsed"],
        }
        for a in attempts
        for e in a["exchanges"]
        if e["method"] == "GET" and "/task/" in e["url"]
    ]
    summary = {
        "run_id": run.id,
        "task_id": run.task_id,
        "state": run.state,
        "backend": run.backend,
        "settings": run.settings.to_dict(),
        "error_code": run.error_code,
        "error_message": run.error_message,
        "x_request_ids": request_ids,
        "poll_timeline": polls,
        "phases": [a["phases"] for a in attempts],
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.json", json.dumps(summary, indent=2))
        archive.writestr("exchanges.json", json.dumps(attempts, indent=2))
        try:
            raw = store.run_files.read(run.id, "raw_result.zip")
        except StoreError:
            raw = None
        if raw is not None:
            archive.writestr("raw_result.zip", raw)
    return buffer.getvalue()

"""Downloads of a result: JSON, CSV (one row per concern and region), masks as a ZIP."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import zipfile
from datetime import datetime

import numpy as np

from .concerns import CONCERNS
from .results import AnalysisResult
from .store import RunStore, StoredRun

CSV_COLUMNS = ("task_id", "api_version", "concern", "label", "region", "ui_score", "raw_score")


def result_json(result: AnalysisResult, extra: dict | None = None) -> bytes:
    return json.dumps(result.to_dict() | (extra or {}), indent=2).encode()


def result_csv(result: AnalysisResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for s in result.scores:
        concern = CONCERNS.get(s.type)
        writer.writerow(
            [
                result.task_id,
                result.api_version,
                s.type,
                concern.label if concern else s.type,
                s.region or "whole",
                s.ui_score,
                f"{s.raw_score:.2f}",
            ]
        )
    return buffer.getvalue().encode()


def masks_zip(result: AnalysisResult) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for key, data in result.masks.items():
            suffix = ".png" if data[:4] == b"\x89PNG" else ".jpg"
            archive.writestr(key.replace(":", "_") + suffix, data)
    return buffer.getvalue()


# -- stored runs -----------------------------------------------------------------------------

RUN_CSV_COLUMNS = (
    "run_id", "created", "mode", "api_version", "label", "state", "task_id", "concern",
    "label_text", "region", "ui_score", "raw_score", "overall", "skin_age", "units", "trial",
    "participant",
)  # fmt: skip


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).isoformat(timespec="seconds")


def runs_json(runs: list[StoredRun]) -> bytes:
    """Runs as stored, minus the debug traces (those go in the debug bundle)."""
    return json.dumps(
        [
            {
                "run_id": r.id,
                "created": _when(r.created),
                "mode": r.mode,
                "state": r.state,
                "label": r.label,
                "note": r.note,
                "settings": r.settings,
                "task_id": r.task_id,
                "duration": r.duration,
                "units": r.units,
                "error_code": r.error_code,
                "error_message": r.error_message,
                "result": {k: v for k, v in (r.result or {}).items() if k != "mask_files"} or None,
            }
            for r in runs
        ],
        indent=2,
    ).encode()


def runs_csv(runs: list[StoredRun]) -> bytes:
    """One row per run × concern × region."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RUN_CSV_COLUMNS)
    for r in runs:
        result = r.result or {}
        for c in result.get("concerns", []):
            concern = CONCERNS.get(c["type"])
            writer.writerow(
                [
                    r.id, _when(r.created), r.mode, r.api_version, r.label, r.state, r.task_id,
                    c["type"], concern.label if concern else c["type"], c["region"] or "whole",
                    c["ui_score"], f"{c['raw_score']:.2f}", result.get("overall"),
                    result.get("skin_age"), r.units, r.trial, r.participant,
                ]
            )  # fmt: skip
    return buffer.getvalue().encode()


def bundle_zip(store: RunStore, runs: list[StoredRun]) -> bytes:
    """Photo, masks, a composited overlay and the scores of each run, in one ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("runs.json", runs_json(runs))
        archive.writestr("scores.csv", runs_csv(runs))
        for r in runs:
            folder = store.files / r.id
            for path in sorted(folder.rglob("*")) if folder.exists() else []:
                if path.is_file() and path.suffix in (".jpg", ".png"):
                    archive.write(path, f"{r.id}/{path.relative_to(folder)}")
            overlay_jpeg = run_overlay(store, r)
            if overlay_jpeg:
                archive.writestr(f"{r.id}/overlay.jpg", overlay_jpeg)
    return buffer.getvalue()


def run_overlay(store: RunStore, run: StoredRun, keys: list[str] | None = None) -> bytes | None:
    """The photo with the run's masks (all raw masks, or `keys`) blended on."""
    from PIL import Image

    from . import overlay

    result = store.load_result(run)
    if result is None or not result.masks:
        return None
    base_bytes = result.resized_image or store.photo(run.id)
    base = np.asarray(Image.open(io.BytesIO(base_bytes)).convert("RGB"))
    layers = overlay.decode_layers(result.masks, (base.shape[1], base.shape[0]))
    chosen = keys or [
        k for k, layer in layers.items() if layer.alpha is not None and k.endswith(":whole")
    ]
    return overlay.to_jpeg(overlay.composite(base, layers, chosen, {}, 0.6))


def radar_svg(scores: list[tuple[str, float]], size: int = 420) -> str:
    """A self-contained SVG radar of (label, ui score) pairs: no JavaScript, opens offline."""
    centre, radius = size / 2, size / 2 - 90
    count = max(len(scores), 1)

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        return centre + radius * value / 100 * math.cos(
            angle
        ), centre + radius * value / 100 * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" font-family="sans-serif" font-size="11">'
    ]
    for ring in (25, 50, 75, 100):
        ring_points = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(count))
        )
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="#ccc"/>')
    shape = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, (_, v) in enumerate(scores))
    )
    parts.append(
        f'<polygon points="{shape}" fill="#6C4CF1" fill-opacity="0.35" stroke="#6C4CF1" stroke-width="2"/>'
    )
    for i, (name, value) in enumerate(scores):
        x, y = point(i, 118)
        anchor = "middle" if abs(x - centre) < 10 else ("start" if x > centre else "end")
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{html.escape(name)} {value:.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def html_report(store: RunStore, run: StoredRun) -> bytes:
    """One HTML file with the photo, the radar, the overlay and the table, all inline."""
    result = run.result or {}
    photo = base64.b64encode(store.photo(run.id)).decode()
    overlay_jpeg = run_overlay(store, run)
    headline = {}
    for c in result.get("concerns", []):
        if c["type"] not in headline or (c["region"] or "whole") == "whole":
            headline[c["type"]] = c
    radar = radar_svg(
        [(CONCERNS[t].label if t in CONCERNS else t, c["ui_score"]) for t, c in headline.items()]
    )
    rows = "".join(
        f"<tr><td>{html.escape(CONCERNS[c['type']].label if c['type'] in CONCERNS else c['type'])}</td>"
        f"<td>{html.escape(c['region'] or 'whole')}</td><td>{c['ui_score']}</td><td>{c['raw_score']:.1f}</td></tr>"
        for c in result.get("concerns", [])
    )
    skin_types = ", ".join(
        f"{z['region']}: {html.escape(z['label'])}" for z in result.get("skin_types", [])
    )
    demo = (
        "<p class=demo>Demo mode: scores from SkinScope's demo engine, not from YouCam's AI.</p>"
        if run.mode == "demo"
        else ""
    )
    overlay_img = (
        f'<img src="data:image/jpeg;base64,{base64.b64encode(overlay_jpeg).decode()}" alt="masks">'
        if overlay_jpeg
        else ""
    )
    page = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>SkinScope report {html.escape(run.id)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#1e1b2e}}
.row{{display:flex;gap:2em;flex-wrap:wrap}} img{{max-width:300px;border-radius:8px}}
table{{border-collapse:collapse}} td,th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}}
.demo{{background:#eef4ff;padding:8px 12px;border-radius:6px}}</style>
<h1>SkinScope report</h1>{demo}
<p>Run {html.escape(run.id)} · {_when(run.created)} · {run.mode} · {html.escape(run.api_version or "")} ·
task {html.escape(run.task_id or "—")} · {run.units} units · label {html.escape(run.label or "—")}</p>
<p><b>Overall {result.get("overall", "—")}</b> · skin age {result.get("skin_age", "—")} · skin type {skin_types or "—"}</p>
<div class=row><img src="data:image/jpeg;base64,{photo}" alt="photo">{overlay_img}{radar}</div>
<h2>Scores</h2><table><tr><th>Concern</th><th>Region</th><th>Score</th><th>Raw</th></tr>{rows}</table>
</html>"""
    return page.encode()


def debug_bundle(store: RunStore, run: StoredRun) -> bytes:
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
        "mode": run.mode,
        "settings": run.settings,
        "error_code": run.error_code,
        "error_message": run.error_message,
        "x_request_ids": request_ids,
        "poll_timeline": polls,
        "phases": [a["phases"] for a in attempts],
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.json", json.dumps(summary, indent=2))
        archive.writestr("exchanges.json", json.dumps(attempts, indent=2))
        raw = store.files / run.id / "raw_result.zip"
        if raw.exists():
            archive.write(raw, "raw_result.zip")
    return buffer.getvalue()

"""The offline HTML report of a run: photo, overlay, an SVG radar and the scores in one file,
with no JavaScript and nothing fetched when it opens."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Iterator

from ..backends import EMULATOR
from ..concerns import BRAND_COLOUR, colour_hex, label, region_label
from ..errors import StoreError
from ..imaging import overlay
from ..store import RunRecord, RunStore
from .exports import run_layers, when


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
        f'<polygon points="{shape}" fill="{BRAND_COLOUR}" fill-opacity="0.35" '
        f'stroke="{BRAND_COLOUR}" stroke-width="2"/>'
    )
    for i, (name, value) in enumerate(scores):
        x, y = point(i, 118)
        anchor = "middle" if abs(x - centre) < 10 else ("start" if x > centre else "end")
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{html.escape(name)} {value:.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#1e1b2e}
.row{display:flex;gap:2em;flex-wrap:wrap} img{max-width:300px;border-radius:8px}
table{border-collapse:collapse} td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}
.demo{background:#eef4ff;padding:8px 12px;border-radius:6px}
.note{background:#f4f2fb;padding:8px 12px;border-radius:6px;white-space:pre-wrap}
.masks{display:flex;gap:1em;flex-wrap:wrap} .masks figure{margin:0;width:160px}
.masks img{width:160px} .chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
section{border-top:2px solid BRAND;margin-top:2em}</style>""".replace("BRAND", BRAND_COLOUR)
DEMO = "<p class=demo>Demo mode: scores from SkinScope's demo engine, not from YouCam's AI.</p>"


def html_report(store: RunStore, run: RunRecord) -> bytes:
    """One HTML file with the photo, the radar, the overlay and the table, all inline."""
    if run.result is None:
        raise ValueError(f"run {run.id} has no result to report")
    demo = DEMO if run.backend == EMULATOR else ""
    page = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>SkinScope report {html.escape(run.id)}</title>{STYLE}
<h1>SkinScope report</h1>{demo}{run_section(store, run, gallery=True)}</html>"""
    return page.encode()


def selection_report(store: RunStore, runs: list[RunRecord]) -> bytes:
    """The report of any selection in one file: one run's is `html_report`; several runs get
    a table of them all (photo, participant, visit, SD/HD, version, backend, person, state),
    then each finished run's photo, radar and scores (its masks are in its own report)."""
    if len(runs) == 1 and runs[0].result is not None:
        return html_report(store, runs[0])
    finished = [r for r in runs if r.result is not None]
    demo = DEMO if any(r.backend == EMULATOR for r in runs) else ""
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in _facts(r)) + "</tr>"
        for r in runs
    )
    heads = "".join(f"<th>{h}</th>" for h in FACTS)
    sections = "".join(
        f"<section>{run_section(store, r, gallery=False, level=2)}</section>" for r in finished
    )
    unfinished = len(runs) - len(finished)
    left_out = (
        f"<p>{unfinished} run{'' if unfinished == 1 else 's'} without a result: listed above only.</p>"
        if unfinished
        else ""
    )
    page = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>SkinScope report · {len(runs)} runs</title>{STYLE}
<h1>SkinScope report · {len(runs)} runs</h1>{demo}
<table><tr>{heads}</tr>{rows}</table>{left_out}{sections}</html>"""
    return page.encode()


FACTS = (
    "When",
    "Photo",
    "Participant",
    "Visit",
    "Quality",
    "Version",
    "Backend",
    "Person",
    "Label",
    "State",
    "Overall",
)


def _facts(run: RunRecord) -> tuple:
    overall = "" if run.overall is None else f"{run.overall:.0f}"
    return (
        when(run.created),
        run.file or "—",
        run.participant or "—",
        run.visit or "—",
        run.quality.upper(),
        run.api_version,
        run.backend,
        run.person or "—",
        run.label or "—",
        run.state,
        overall,
    )


def run_section(store: RunStore, run: RunRecord, *, gallery: bool, level: int = 1) -> str:
    """One finished run: what it was (photo file, settings, person), the photo beside the
    radar, the mask gallery when asked for, the scores."""
    result = run.result
    try:
        photo_img = (
            f'<img src="data:image/jpeg;base64,{base64.b64encode(store.photo(run.id)).decode()}"'
            f' alt="photo {html.escape(run.file or run.id)}">'
        )
    except StoreError:
        photo_img = "<p>The photo of this run is no longer on this machine.</p>"
    radar = radar_svg([(label(s.type), s.ui_score) for s in result.headline_scores()])
    rows = "".join(
        f"<tr><td>{html.escape(label(s.type))}</td>"
        f"<td>{html.escape(region_label(s.region))}</td><td>{s.ui_score}</td><td>{s.raw_score:.1f}</td></tr>"
        for s in result.scores
    )
    skin_types = ", ".join(
        f"{html.escape(region_label(z.region))}: {html.escape(z.label)}" for z in result.skin_types
    )
    masks = mask_gallery(store, run, level + 1) if gallery else ""
    # Rounded as the app shows them.
    overall = "—" if result.overall is None else f"{result.overall:.0f}"
    skin_age = "—" if result.skin_age is None else f"{result.skin_age:.0f}"
    note = f"<p class=note>{html.escape(run.note)}</p>" if run.note else ""
    title = (
        f"<h{level + 1}>{html.escape(run.file or 'Run ' + run.id)}</h{level + 1}>"
        if level > 1
        else ""
    )
    people = " · ".join(
        f"{name} {html.escape(value)}"
        for name, value in (
            ("photo", run.file),
            ("participant", run.participant),
            ("visit", run.visit),
            ("run by", run.person),
        )
        if value
    )
    return f"""{title}<p>Run {html.escape(run.id)} · {when(run.created)} · {html.escape(str(run.backend))} ·
{html.escape(run.quality.upper())} · {html.escape(run.api_version or "")} ·
task {html.escape(run.task_id or "—")} · {html.escape(str(run.units))} units · label {html.escape(run.label or "—")}</p>
{f"<p>{people}</p>" if people else ""}{note}<p><b>Overall {overall}</b> · skin age {skin_age} · skin type {skin_types or "—"}</p>
<div class=row>{photo_img}{radar}</div>{masks}
<h{level + 1}>Scores</h{level + 1}><table><tr><th>Concern</th><th>Region</th><th>Score</th><th>Raw</th></tr>{rows}</table>"""


def mask_gallery(store: RunStore, run: RunRecord, level: int = 2) -> str:
    """Each whole-face concern's mask on its own thumbnail, captioned with its colour and name:
    one blend of sixteen masks says nothing, sixteen small ones do."""
    prepared = run_layers(store, run, max_side=320)  # decoded once for every thumbnail
    if prepared is None:
        return ""
    base, layers = prepared
    figures = []
    for score in run.result.headline_scores():
        if score.mask_key not in layers or layers[score.mask_key].alpha is None:
            continue
        jpeg = overlay.to_jpeg(overlay.composite(base, layers, [score.mask_key], {}, 0.6))
        chip = f'<span class=chip style="background:{colour_hex(score.type)}"></span>'
        figures.append(
            f'<figure><img src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}" '
            f'alt="{html.escape(score.label)} mask"><figcaption>{chip}'
            f"{html.escape(score.label)} · {score.ui_score}</figcaption></figure>"
        )
    return (
        f"<h{level}>Where each concern shows</h{level}><div class=masks>{''.join(figures)}</div>"
        if figures
        else ""
    )


def runs_report_chunks(runs: Iterable[RunRecord]) -> Iterator[bytes]:
    """An offline HTML table of many runs — when, photo, participant, visit, SD/HD, version,
    backend, person, label, state, overall, skin age, units and each concern's score — written
    a run at a time, for a selection of any size."""
    heads = "".join(f"<th>{h}</th>" for h in (*FACTS, "Skin age", "Units", "Scores (ui)"))
    yield (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>SkinScope runs</title>'
        "<style>body{font-family:sans-serif;margin:2em;color:#1e1b2e}"
        "table{border-collapse:collapse;font-size:13px}"
        "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
        f"</style><h1>SkinScope runs</h1><table><tr>{heads}</tr>"
    ).encode()
    for run in runs:
        result = run.result
        scores = ", ".join(
            f"{html.escape(label(s.type))} {s.ui_score}"
            for s in (result.headline_scores() if result else [])
        )
        skin_age = "" if result is None or result.skin_age is None else f"{result.skin_age:.0f}"
        cells = (*_facts(run), skin_age, str(run.units))
        yield (
            "<tr>"
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
            + f"<td>{scores}</td></tr>\n"
        ).encode()
    yield b"</table></html>\n"

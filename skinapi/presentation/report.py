"""The offline HTML report of a run: photo, overlay, an SVG radar and the scores in one file,
with no JavaScript and nothing fetched when it opens."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Iterator

from ..backends import EMULATOR
from ..concerns import colour_hex, label, region_label
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


def html_report(store: RunStore, run: RunRecord) -> bytes:
    """One HTML file with the photo, the radar, the overlay and the table, all inline."""
    result = run.result
    if result is None:
        raise ValueError(f"run {run.id} has no result to report")
    try:
        photo_img = (
            f'<img src="data:image/jpeg;base64,{base64.b64encode(store.photo(run.id)).decode()}"'
            ' alt="photo">'
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
    gallery = mask_gallery(store, run)
    demo = (
        "<p class=demo>Demo mode: scores from SkinScope's demo engine, not from YouCam's AI.</p>"
        if run.backend == EMULATOR
        else ""
    )
    # Rounded as the app shows them.
    overall = "—" if result.overall is None else f"{result.overall:.0f}"
    skin_age = "—" if result.skin_age is None else f"{result.skin_age:.0f}"
    note = f"<p class=note>{html.escape(run.note)}</p>" if run.note else ""
    page = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>SkinScope report {html.escape(run.id)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#1e1b2e}}
.row{{display:flex;gap:2em;flex-wrap:wrap}} img{{max-width:300px;border-radius:8px}}
table{{border-collapse:collapse}} td,th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}}
.demo{{background:#eef4ff;padding:8px 12px;border-radius:6px}}
.note{{background:#f4f2fb;padding:8px 12px;border-radius:6px;white-space:pre-wrap}}
.masks{{display:flex;gap:1em;flex-wrap:wrap}} .masks figure{{margin:0;width:160px}}
.masks img{{width:160px}} .chip{{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}}</style>
<h1>SkinScope report</h1>{demo}
<p>Run {html.escape(run.id)} · {when(run.created)} · {html.escape(str(run.backend))} · {html.escape(run.api_version or "")} ·
task {html.escape(run.task_id or "—")} · {html.escape(str(run.units))} units · label {html.escape(run.label or "—")}</p>
{note}<p><b>Overall {overall}</b> · skin age {skin_age} · skin type {skin_types or "—"}</p>
<div class=row>{photo_img}{radar}</div>{gallery}
<h2>Scores</h2><table><tr><th>Concern</th><th>Region</th><th>Score</th><th>Raw</th></tr>{rows}</table>
</html>"""
    return page.encode()


def mask_gallery(store: RunStore, run: RunRecord) -> str:
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
        f"<h2>Where each concern shows</h2><div class=masks>{''.join(figures)}</div>"
        if figures
        else ""
    )


def runs_report_chunks(runs: Iterable[RunRecord]) -> Iterator[bytes]:
    """An offline HTML table of many runs — when, label, settings, state, overall, skin age,
    units and each concern's score — written a run at a time, for a selection of any size."""
    yield (
        b'<!doctype html><html lang="en"><meta charset="utf-8"><title>SkinScope runs</title>'
        b"<style>body{font-family:sans-serif;margin:2em;color:#1e1b2e}"
        b"table{border-collapse:collapse;font-size:13px}"
        b"td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
        b"</style><h1>SkinScope runs</h1><table><tr><th>When</th><th>Label</th><th>Backend</th>"
        b"<th>Settings</th><th>State</th><th>Overall</th><th>Skin age</th><th>Units</th>"
        b"<th>Scores (ui)</th></tr>"
    )
    for run in runs:
        result = run.result
        scores = ", ".join(
            f"{html.escape(label(s.type))} {s.ui_score}"
            for s in (result.headline_scores() if result else [])
        )
        overall = "" if run.overall is None else f"{run.overall:.0f}"
        skin_age = "" if result is None or result.skin_age is None else f"{result.skin_age:.0f}"
        cells = (
            when(run.created), run.label, run.backend,
            f"{run.quality.upper()} × {len(run.actions)} · {run.api_version}", run.state,
            overall, skin_age, str(run.units),
        )  # fmt: skip
        yield (
            "<tr>"
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
            + f"<td>{scores}</td></tr>\n"
        ).encode()
    yield b"</table></html>\n"

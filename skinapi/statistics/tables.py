"""Tables and statistics over stored runs, for History, Compare and trials: the history's rows,
deltas between runs, the spread of a repeat series, the units ledger, trial means."""

from __future__ import annotations

import base64
import statistics
from collections import defaultdict
from datetime import datetime

from ..backends import EMULATOR, LIVE
from ..concerns import family, family_label, label, region_label
from ..names import shown_moment
from ..results import ConcernScore
from ..store import RunRecord, Tally
from ..store.states import STATE_LABELS
from . import conditions


def scores_of(run: RunRecord) -> list[ConcernScore]:
    return run.result.scores if run.result else []


def headline_of(run: RunRecord) -> list[ConcernScore]:
    return run.result.headline_scores() if run.result else []


def run_title(run: RunRecord) -> str:
    """What tells runs apart first (label, photo, settings), then when: a phone cuts the end
    off."""
    when = shown_moment(run.created, seconds=True)
    tag = f"{run.label} · " if run.label else ""
    photo = f"{run.file.rsplit('/', 1)[-1]} · " if run.file else ""
    score = f" · overall {run.overall:.0f}" if run.overall is not None else ""
    settings = f"{run.quality.upper()} × {len(run.actions)} · {run.api_version}"
    return f"{tag}{photo}{settings}{score} · {when}"


BACKEND_LABELS = {EMULATOR: "emulator (demo scores)", LIVE: "live"}


def table_rows(runs: list[RunRecord], thumbnails: dict[str, bytes | None]) -> list[dict]:
    rows = []
    for run in runs:
        thumb = thumbnails.get(run.id)
        rows.append(
            {
                "Photo": "data:image/jpeg;base64," + base64.b64encode(thumb).decode()
                if thumb
                else None,
                "File": run.file,
                "When": datetime.fromtimestamp(run.created),
                # What a person scans for first, before a laptop's table runs out of width.
                "State": STATE_LABELS.get(run.state, run.state),
                # None, not "": one column of one type (a mixed one failed Arrow on every render).
                "Overall": None if run.overall is None else round(run.overall),
                "Backend": BACKEND_LABELS.get(run.backend, run.backend),
                "Quality": run.quality.upper(),
                "Concerns": len(run.actions),
                "Label": run.label,
                "Version": run.api_version,
                "Format": run.settings.format,
                "Participant": run.participant,
                "Visit": run.visit,
                "Person": run.person,
                "Trial": run.trial,
                "Conditions": conditions.summary(run.conditions),
                "Source": run.source,
                "Note": run.note,
                "Units": run.units,
                "Task": run.task_id or "",
                "Run": run.id,
            }
        )
    return rows


def concern_key(score: ConcernScore) -> tuple[str, str]:
    """Comparable across SD and HD: the concern's family and the region."""
    return family(score.type), score.region or "whole"


def deltas(runs: list[RunRecord], kinds: tuple[str, ...] = ("raw", "ui")) -> list[dict]:
    """Per concern and region: the change of each run from the first (raw and ui, or the
    `kinds` asked for) — the point of the table, so those columns come first — then each run's
    scores; largest change first. A score a run does not have is None."""
    per_run = [{concern_key(s): s for s in scores_of(r)} for r in runs]
    keys = sorted({k for scores in per_run for k in scores})
    rows = []
    for key in keys:
        first = per_run[0].get(key)
        row: dict = {"Concern": family_label(key[0]), "Region": region_label(key[1])}
        changes = []
        for index, scores in enumerate(per_run[1:], start=2):
            s = scores.get(key)
            both = s is not None and first is not None
            if "raw" in kinds:
                row[f"Δ raw {index}−1"] = round(s.raw_score - first.raw_score, 1) if both else None
            if "ui" in kinds:
                row[f"Δ score {index}−1"] = s.ui_score - first.ui_score if both else None
            if both:  # ordered by the change the table shows first
                shown = "raw" if "raw" in kinds else "ui"
                changes.append(abs(getattr(s, f"{shown}_score") - getattr(first, f"{shown}_score")))
        for index, scores in enumerate(per_run, start=1):
            s = scores.get(key)
            if "ui" in kinds:
                row[f"Run {index} score"] = s.ui_score if s else None
            if "raw" in kinds:
                row[f"Run {index} raw"] = round(s.raw_score, 1) if s else None
        row["_largest"] = max(changes, default=-1.0)  # a concern only one run has: last
        rows.append(row)
    rows.sort(key=lambda r: r["_largest"], reverse=True)
    for row in rows:
        del row["_largest"]
    return rows


def blanks(rows: list[dict]) -> list[dict]:
    """Rows for people: a value that does not exist is "—" (not analysed), not None. A
    column with a blank becomes text throughout: numbers and text in one column failed Arrow's
    conversion (a traceback in the log on every render of SD beside HD)."""
    gappy = {k for row in rows for k, v in row.items() if v is None}
    return [
        {k: "—" if v is None else _said(k, v) if k in gappy else v for k, v in row.items()}
        for row in rows
    ]


def _said(column: str, value: float) -> str:
    """A number as text; a change (a Δ column) with its sign, as the number columns show it."""
    return f"{value:+g}" if column.startswith("Δ") else f"{value:g}"


def mixing_warnings(runs: list[RunRecord]) -> list[str]:
    warnings = []
    if len({r.quality for r in runs}) > 1:
        warnings.append(
            "These runs mix SD and HD: HD scores come from a different model and finer masks."
        )
    if len({r.api_version for r in runs}) > 1:
        warnings.append(
            "These runs mix API versions (v2.0 and v2.1): scores may not be on the same scale."
        )
    if len({r.backend for r in runs}) > 1:
        warnings.append("These runs mix demo and live results: demo scores are not YouCam's.")
    return warnings


def spread(runs: list[RunRecord]) -> list[dict]:
    """Per concern and region over repeated runs: mean, min–max and standard deviation."""
    values: dict[tuple[str, str], list[ConcernScore]] = defaultdict(list)
    for run in runs:
        for s in scores_of(run):
            values[(s.type, s.region or "whole")].append(s)
    rows = []
    for (type_, region), scores in sorted(values.items()):
        ui = [s.ui_score for s in scores]
        raw = [s.raw_score for s in scores]
        rows.append(
            {
                "Concern": label(type_),
                "Region": region_label(region),
                "Runs": len(scores),
                "ui mean": round(statistics.fmean(ui), 1),
                "ui min–max": f"{min(ui)}–{max(ui)}",
                "ui sd": round(statistics.pstdev(ui), 2),
                "raw mean": round(statistics.fmean(raw), 2),
                "raw min–max": f"{min(raw):.1f}–{max(raw):.1f}",
                "raw sd": round(statistics.pstdev(raw), 3),
            }
        )
    return rows


def ledger(by_day: list[Tally], by_label: list[Tally]) -> dict[str, list[dict]]:
    """Units spent per day and per label (trial), from the store's tallies."""
    return {
        "day": [{"Day": t.key, "Successful runs": t.succeeded, "Units": t.units} for t in by_day],
        "label": [
            {"Label": t.key or "(no label)", "Successful runs": t.succeeded, "Units": t.units}
            for t in by_label
        ],
    }


def trial_scores(runs: list[RunRecord]) -> list[tuple[str, int]]:
    """(concern label, ui score) for every participant's whole-face scores."""
    return [(label(s.type), s.ui_score) for run in runs for s in headline_of(run)]


def mean_scores(runs: list[RunRecord]) -> list[ConcernScore]:
    """The mean ui and raw score per concern over runs, as scores for a radar."""
    grouped: dict[str, list[ConcernScore]] = defaultdict(list)
    for run in runs:
        for s in headline_of(run):
            grouped[s.type].append(s)
    return [
        ConcernScore(
            type_,
            "whole",
            round(statistics.fmean(s.raw_score for s in scores), 2),
            round(statistics.fmean(s.ui_score for s in scores)),
        )
        for type_, scores in grouped.items()
    ]

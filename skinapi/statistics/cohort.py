"""Cohort statistics over stored runs: score rows, group means with Student's t confidence
intervals, Tukey outliers, paired changes between two batches of the same photos or between a
trial's visits, and their CSV exports. Standard library only."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from ..concerns import family, family_label, region_label
from ..names import csv_cell
from ..store import RunRecord
from .stats import Estimate, mean_ci
from .tables import concern_key

Score = Literal["ui", "raw"]


def score_of(item, score: Score) -> float:
    """The ui or raw score of a ConcernScore or a ScoreRow."""
    if score not in ("ui", "raw"):
        raise ValueError(f"score must be 'ui' or 'raw', not {score!r}")
    return item.ui_score if score == "ui" else item.raw_score


def concern_label(concern: str, region: str) -> str:
    """What people read for a concern or family and region: "Pores", "Pores · Forehead"."""
    name = family_label(family(concern))
    return name if region == "whole" else f"{name} · {region_label(region)}"


@dataclass(frozen=True)
class ScoreRow:
    """One concern's score in one region of one successful run."""

    run_id: str
    file: str
    """The photo's path within its batch ('' outside a batch)."""
    batch: str
    concern: str
    """The API's concern name, e.g. ``hd_redness``."""
    family: str
    """The concern without its quality: ``redness`` for SD and HD."""
    region: str
    """``whole`` or the region (``forehead``…)."""
    ui_score: int
    raw_score: float
    meta: dict[str, str] = field(default_factory=dict)
    participant: str = ""
    visit: str = ""
    mask_key: str | None = None
    """The concern's mask in the run's stored result, for an overlay of this row."""

    @property
    def label(self) -> str:
        return concern_label(self.concern, self.region)


def cohort_scores(runs: list[RunRecord]) -> list[ScoreRow]:
    """One row per successful run × concern × region, in the runs' order; runs without a
    result (failed, pending) are skipped."""
    return [
        ScoreRow(
            run.id,
            run.file,
            run.batch,
            s.type,
            family(s.type),
            s.region or "whole",
            s.ui_score,
            s.raw_score,
            dict(run.meta),
            run.participant,
            run.visit,
            s.mask_key,
        )
        for run in runs
        if run.state == "success" and run.result is not None
        for s in run.result.scores
        if _number(s.ui_score) and _number(s.raw_score)  # a damaged stored score is no score
    ]


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def meta_columns(rows: list[ScoreRow]) -> list[str]:
    """The meta columns any row has, sorted: what a cohort can be split by."""
    return sorted({key for row in rows for key in row.meta})


def _by_concern(rows: list[ScoreRow]) -> dict[tuple[str, str], list[ScoreRow]]:
    """Rows per concern and region, SD and HD apart (different models), in first-seen order."""
    grouped: dict[tuple[str, str], list[ScoreRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.concern, row.region)].append(row)
    return grouped


@dataclass(frozen=True)
class GroupMean:
    """One concern's mean score in one group, with its confidence interval."""

    concern: str
    region: str
    group: str
    """The group's value of the meta column; '' without a column or for rows that lack it."""
    estimate: Estimate

    @property
    def label(self) -> str:
        return concern_label(self.concern, self.region)


def group_means(
    rows: list[ScoreRow], by: str | None = None, score: Score = "ui"
) -> list[GroupMean]:
    """Per concern and region, and per value of meta column `by` when given: the n, mean, sd
    and 95% confidence interval of the `score`; concerns in first-seen order, groups sorted."""
    means = []
    for (concern, region), concern_rows in _by_concern(rows).items():
        groups: dict[str, list[float]] = defaultdict(list)
        for row in concern_rows:
            groups[row.meta.get(by, "") if by else ""].append(score_of(row, score))
        means += [GroupMean(concern, region, g, mean_ci(groups[g])) for g in sorted(groups)]
    return means


@dataclass(frozen=True)
class Outlier:
    """A row beyond its concern's Tukey fences."""

    row: ScoreRow
    side: Literal["low", "high"]
    value: float
    low_fence: float
    """Q1 − k·IQR of the row's concern and region."""
    high_fence: float
    """Q3 + k·IQR."""


def outliers(rows: list[ScoreRow], k: float = 1.5, score: Score = "ui") -> list[Outlier]:
    """Per concern and region, the rows below Q1 − k·IQR or above Q3 + k·IQR (quartiles by
    linear interpolation, as numpy's default and R's type 7), farthest first within a concern.
    A concern with fewer than four values has no quartiles worth fencing and is skipped."""
    found = []
    for concern_rows in _by_concern(rows).values():
        values = [score_of(row, score) for row in concern_rows]
        if len(values) < 4:
            continue
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        beyond = [
            Outlier(row, "low" if v < low else "high", v, low, high)
            for row, v in zip(concern_rows, values, strict=True)
            if v < low or v > high
        ]
        found += sorted(beyond, key=lambda o: -max(o.low_fence - o.value, o.value - o.high_fence))
    return found


@dataclass(frozen=True)
class PairedChange:
    """One concern's paired change (b − a, or follow-up − baseline) over the photos or
    participants measured both times: what the forest plot draws."""

    family: str
    """The concern family, so SD ``redness`` pairs with HD ``hd_redness``."""
    region: str
    estimate: Estimate
    """Of the differences b − a: n pairs, mean, sd and 95% confidence interval."""
    mean_a: float
    mean_b: float
    unmatched_a: int = 0
    unmatched_b: int = 0
    """Photos (participants) scored for this concern in a (baseline), b (follow-up) only."""
    pairs: tuple[tuple[str, float, float], ...] = ()
    """(photo file or participant, a, b) for each pair."""

    @property
    def label(self) -> str:
        return concern_label(self.family, self.region)


def _pair(a: dict, b: dict, score: Score, names: dict[str, str]) -> list[PairedChange]:
    """Paired changes per concern family and region between two {key: run} maps."""
    values: dict = defaultdict(lambda: ({}, {}))
    for side, runs in enumerate((a, b)):
        for key, run in runs.items():
            for s in run.result.scores:
                values[concern_key(s)][side][key] = score_of(s, score)
    changes = []
    for (family_, region), (in_a, in_b) in values.items():
        pairs = tuple((names[k], in_a[k], in_b[k]) for k in in_a if k in in_b)
        if pairs:
            changes.append(
                PairedChange(
                    family_,
                    region,
                    mean_ci([after - before for _, before, after in pairs]),
                    statistics.fmean(p[1] for p in pairs),
                    statistics.fmean(p[2] for p in pairs),
                    len(in_a) - len(pairs),
                    len(in_b) - len(pairs),
                    pairs,
                )
            )
    return changes


def paired_differences(
    runs_a: list[RunRecord],
    runs_b: list[RunRecord],
    score: Score = "ui",
    by: Literal["photo_hash", "file"] = "photo_hash",
):
    """list[PairedChange]: two batches of the same photos (v2.0 vs v2.1, SD vs HD, overlay
    on/off), per concern family and region the paired difference b − a with its 95% CI.
    Photos pair by `photo_hash` by default: the hash of the photo's bytes is its identity, so a
    renamed file still pairs and two different photos never do; ``by="file"`` pairs by the path
    within the batch, for copies re-encoded or resized (other bytes, same photo). A photo run
    twice in a batch counts once, by its newest successful run. Concerns with no pair are left
    out; photos without a partner are counted in `unmatched_a` / `unmatched_b`."""
    chosen: tuple[dict[str, RunRecord], dict[str, RunRecord]] = ({}, {})
    for side, runs in zip(chosen, (runs_a, runs_b), strict=True):
        for run in runs:
            key = run.photo_hash if by == "photo_hash" else run.file
            if run.state == "success" and run.result and key:
                if key not in side or run.created > side[key].created:
                    side[key] = run
    names = {k: run.file or k for side in chosen[::-1] for k, run in side.items()}
    return _pair(*chosen, score, names)


@dataclass(frozen=True)
class ParticipantChange:
    """One participant's change in one concern from the baseline to the follow-up visit."""

    trial: str
    participant: str
    family: str
    region: str
    baseline_visit: str
    follow_up_visit: str
    baseline_run: str
    follow_up_run: str
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class MissingParticipant:
    """A participant left out of the changes, and why."""

    trial: str
    participant: str
    visits: tuple[str, ...]
    """The visits with a successful run."""
    reason: str


@dataclass(frozen=True)
class TrialChange:
    """A trial's change from baseline: per participant and concern, and per concern the mean
    paired change with its 95% confidence interval."""

    participants: list[ParticipantChange]
    summary: list[PairedChange]
    """Over the participants with both visits (unmatched: the concern scored at one only)."""
    missing: list[MissingParticipant]
    """Participants without both visits, also those with no successful run at all."""


def visit_changes(
    runs: list[RunRecord],
    baseline: str = "baseline",
    follow_up: str | None = None,
    score: Score = "ui",
) -> TrialChange:
    """Each participant's change per concern family and region from their `baseline` visit to
    `follow_up` (default: their latest other visit by run time, as names like "week 4" do not
    sort). Several runs at one visit: the newest successful one counts; runs without a visit
    name are no visit. Participants lacking either visit are `missing`, with the reason."""
    if follow_up == baseline:
        raise ValueError("the follow-up visit must differ from the baseline")
    visits: dict[tuple[str, str], dict[str, RunRecord]] = defaultdict(dict)
    baselines: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for run in (r for r in runs if r.participant):
        at = visits[(run.trial, run.participant)]  # one with no successful run is missing too
        if run.visit and run.state == "success" and run.result is not None:
            if run.visit not in at or run.created > at[run.visit].created:
                at[run.visit] = run
            if run.visit == baseline:
                baselines[(run.trial, run.participant)].append(run)
    starts, ends, rows, missing = {}, {}, [], []
    for (trial, participant), at in visits.items():
        later = [r for v, r in at.items() if v != baseline]
        end = at.get(follow_up) if follow_up else max(later, key=lambda r: r.created, default=None)
        start = _baseline_before(baselines[(trial, participant)], end)
        reasons = [f"no successful {baseline!r} run"] if start is None else []
        if end is None:
            reasons.append(f"no successful {follow_up!r} run" if follow_up else "no follow-up")
        if reasons:
            missing.append(MissingParticipant(trial, participant, tuple(at), "; ".join(reasons)))
            continue
        starts[(trial, participant)], ends[(trial, participant)] = start, end
        before = {concern_key(s): s for s in start.result.scores}
        rows += [
            ParticipantChange(
                trial,
                participant,
                *concern_key(s),
                baseline,
                end.visit,
                start.id,
                end.id,
                score_of(before[concern_key(s)], score),
                score_of(s, score),
            )
            for s in end.result.scores
            if concern_key(s) in before
        ]
    names = {key: run.participant for key, run in starts.items()}
    return TrialChange(rows, _pair(starts, ends, score, names), missing)


def _baseline_before(runs: list[RunRecord], end: RunRecord | None) -> RunRecord | None:
    """The newest baseline taken before the follow-up (a baseline retaken after it is no
    baseline for it); the first one when none was."""
    if not runs:
        return None
    before = [r for r in runs if end is None or r.created <= end.created]
    return max(before, key=lambda r: r.created) if before else min(runs, key=lambda r: r.created)


def _csv(header: tuple[str, ...], rows) -> str:
    """CSV text whose cells no spreadsheet runs as a formula; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell("" if v is None else v) for v in row] for row in rows)
    return buffer.getvalue()


def _r(value: float | None):
    return None if value is None else round(value, 3)


def _estimate_cells(e: Estimate) -> list:
    return [e.n, _r(e.mean), _r(e.sd), _r(e.low), _r(e.high), e.level]


_SCORE_COLUMNS = (
    "run_id",
    "batch",
    "file",
    "participant",
    "visit",
    "concern",
    "concern_name",
    "family",
    "region",
    "ui_score",
    "raw_score",
)
_ESTIMATE_COLUMNS = ("n", "mean", "sd", "ci_low", "ci_high", "level")


def scores_csv(rows: list[ScoreRow]) -> str:
    """CSV text, one line per run × concern × region, then the meta columns (one that shares a
    name with a fixed column is written as ``meta_<name>``)."""
    extra = meta_columns(rows)
    return _csv(
        _SCORE_COLUMNS + tuple(f"meta_{c}" if c in _SCORE_COLUMNS else c for c in extra),
        (
            [
                r.run_id,
                r.batch,
                r.file,
                r.participant,
                r.visit,
                r.concern,
                r.label,
                r.family,
                r.region,
                r.ui_score,
                f"{r.raw_score:.2f}",
                *(r.meta.get(c, "") for c in extra),
            ]
            for r in rows
        ),
    )


def group_means_csv(means: list[GroupMean], by: str | None = None) -> str:
    """CSV text, one line per concern × group: n, mean, sd and the confidence interval."""
    return _csv(
        ("concern", "concern_name", "region", by or "group", *_ESTIMATE_COLUMNS),
        ([m.concern, m.label, m.region, m.group, *_estimate_cells(m.estimate)] for m in means),
    )


def outliers_csv(found: list[Outlier], score: Score = "ui") -> str:
    """CSV text, one line per outlier: the run, the concern, the value, side and fences."""
    return _csv(
        (
            "run_id",
            "batch",
            "file",
            "concern",
            "concern_name",
            "region",
            f"{score}_score",
            "side",
            "low_fence",
            "high_fence",
        ),
        (
            [
                o.row.run_id,
                o.row.batch,
                o.row.file,
                o.row.concern,
                o.row.label,
                o.row.region,
                o.value,
                o.side,
                _r(o.low_fence),
                _r(o.high_fence),
            ]
            for o in found
        ),
    )


def changes_csv(changes: list[PairedChange]) -> str:
    """CSV text, one line per concern: the change's n, mean, sd and confidence interval, the
    means of a (baseline) and b (follow-up), and the unmatched counts."""
    return _csv(
        (
            "family",
            "concern_name",
            "region",
            *_ESTIMATE_COLUMNS,
            "mean_a",
            "mean_b",
            "unmatched_a",
            "unmatched_b",
        ),
        (
            [
                c.family,
                c.label,
                c.region,
                *_estimate_cells(c.estimate),
                _r(c.mean_a),
                _r(c.mean_b),
                c.unmatched_a,
                c.unmatched_b,
            ]
            for c in changes
        ),
    )


def visit_changes_csv(trial: TrialChange) -> str:
    """CSV text, one line per participant × concern with the change, then one per missing
    participant with the reason and blank scores."""
    return _csv(
        (
            "trial",
            "participant",
            "family",
            "concern_name",
            "region",
            "baseline_visit",
            "follow_up_visit",
            "before",
            "after",
            "change",
            "baseline_run",
            "follow_up_run",
            "missing",
        ),
        [
            *(
                [
                    p.trial,
                    p.participant,
                    p.family,
                    concern_label(p.family, p.region),
                    p.region,
                    p.baseline_visit,
                    p.follow_up_visit,
                    p.before,
                    p.after,
                    _r(p.change),
                    p.baseline_run,
                    p.follow_up_run,
                    "",
                ]
                for p in trial.participants
            ),
            *([m.trial, m.participant, *[""] * 10, m.reason] for m in trial.missing),
        ],
    )

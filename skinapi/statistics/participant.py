"""One trial participant over their visits: the run of each visit, the change per concern from
their baseline in words, each concern over the visits, and the trial's CSV (a row per participant
× visit × concern, with the capture conditions)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from ..concerns import family_label
from ..names import csv_cell
from ..store import RunRecord
from .conditions import CONDITIONS
from .tables import concern_key, headline_of

BASELINE = "baseline"
SAME_WITHIN = 3
"""A change of at most this many ui-score points is "about the same": the emulator's and the
API's repeat photos of one face move by about this much (Compare's repeatability spread)."""


def visit_runs(runs: list[RunRecord], participant: str) -> list[RunRecord]:
    """The participant's latest successful run of each visit, the baseline first and the others
    in the order they were taken."""
    latest: dict[str, RunRecord] = {}
    for run in runs:
        if run.participant != participant or run.state != "success" or run.result is None:
            continue
        visit = run.visit or "(no visit)"
        if visit not in latest or run.created > latest[visit].created:
            latest[visit] = run
    return sorted(latest.values(), key=lambda r: (r.visit != BASELINE, r.created))


def returning(runs: list[RunRecord], visit: str) -> dict[str, RunRecord]:
    """The participants still due at `visit` (no successful run of it yet), each with the run
    they are recognised by: their baseline, else their first; in the order they joined."""
    first: dict[str, RunRecord] = {}
    seen_at_visit = set()
    for run in sorted(runs, key=lambda r: r.created):
        if not run.participant or run.state != "success":
            continue
        if run.visit == visit:
            seen_at_visit.add(run.participant)
        known = first.get(run.participant)
        if known is None or (run.visit == BASELINE and known.visit != BASELINE):
            first[run.participant] = run
    return {p: run for p, run in first.items() if p not in seen_at_visit}


@dataclass(frozen=True)
class ConcernChange:
    """One concern's whole-face ui score at the baseline and at a follow-up."""

    family: str
    label: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before

    @property
    def change_text(self) -> str:
        """ "+6", "-16", "0"."""
        return f"{self.change:+d}" if self.change else "0"

    @property
    def direction(self) -> str:
        """In words, by the ui score's scale, on which a higher score is healthier skin for every
        concern: "better", "worse" or "about the same" (within `SAME_WITHIN` points)."""
        if abs(self.change) <= SAME_WITHIN:
            return "about the same"
        return "better" if self.change > 0 else "worse"


def concern_changes(before: RunRecord, after: RunRecord) -> list[ConcernChange]:
    """Each whole-face concern both runs scored (SD meets HD by family), in `after`'s order."""
    start = {concern_key(s)[0]: s for s in headline_of(before)}
    return [
        ConcernChange(key, family_label(key), start[key].ui_score, s.ui_score)
        for s in headline_of(after)
        if (key := concern_key(s)[0]) in start
    ]


def concern_lines(visits: list[RunRecord]) -> dict[str, list[tuple[str, int]]]:
    """Per concern (its label), its whole-face ui score at each visit that scored it."""
    lines: dict[str, list[tuple[str, int]]] = {}
    for run in visits:
        for s in headline_of(run):
            lines.setdefault(family_label(concern_key(s)[0]), []).append((run.visit, s.ui_score))
    return lines


TRIAL_CSV_COLUMNS = (
    "trial",
    "participant",
    "visit",
    "run_id",
    "created",
    "backend",
    "concern",
    "concern_name",
    "ui_score",
    "raw_score",
    *CONDITIONS,
)


def trial_csv(runs: list[RunRecord]) -> bytes:
    """One row per participant × visit × concern (whole face; a visit's latest successful run),
    with the run's capture conditions; no spreadsheet runs a cell as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TRIAL_CSV_COLUMNS)
    for participant in dict.fromkeys(r.participant for r in runs):
        for run in visit_runs(runs, participant):
            writer.writerows(
                [
                    csv_cell(cell)
                    for cell in (
                        run.trial,
                        run.participant,
                        run.visit,
                        run.id,
                        datetime.fromtimestamp(run.created).isoformat(timespec="seconds"),
                        run.backend,
                        s.type,
                        family_label(concern_key(s)[0]),
                        s.ui_score,
                        f"{s.raw_score:.2f}",
                        *(run.conditions.get(k, "") for k in CONDITIONS),
                    )
                ]
                for s in headline_of(run)
            )
    return buffer.getvalue().encode()

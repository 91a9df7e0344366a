"""A participant's report as a PDF to hand them (fpdf2): their ID and visits, the photos, their
baseline and latest radars overlaid (drawn natively, no renderer), the change per concern in
words and the capture conditions — and the demo label when the scores are the emulator's. Only
this participant's runs go in."""

from __future__ import annotations

import io
import math

from fpdf import FPDF

from ..backends import EMULATOR
from ..concerns import family_label
from ..errors import StoreError
from ..names import shown_day
from ..statistics import conditions, participant
from ..statistics.tables import concern_key, headline_of
from ..store import RunRecord, RunStore
from .charts import TRACE_COLOURS

DEMO_LABEL = "Demo scores from SkinScope's emulator - not YouCam's AI."
PAGE_WIDTH = 180
"""mm between the margins of an A4 page."""


def _text(value: object) -> str:
    """What the PDF's built-in font can write (Latin-1): other characters become '?'."""
    return str(value).replace("→", "->").encode("latin-1", "replace").decode("latin-1")


def _when(run: RunRecord) -> str:
    return f"{run.visit} ({shown_day(run.created)})"


def participant_report(store: RunStore, visits: list[RunRecord]) -> bytes:
    """The PDF of one participant's `visits` (the baseline first); ValueError when they are not
    all one participant's, or there are none."""
    people = {(r.trial, r.participant) for r in visits}
    if len(people) != 1:
        raise ValueError("a participant report is of one participant's visits")
    before, after = visits[0], visits[-1]
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, 15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(
        0,
        10,
        _text(f"Skin report - participant {after.participant}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, _text(f"Trial: {after.trial}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 6, _text("Visits: " + ", ".join(_when(r) for r in visits)), new_x="LMARGIN", new_y="NEXT"
    )
    if any(r.backend == EMULATOR for r in visits):
        pdf.set_text_color(180, 60, 0)
        pdf.cell(0, 6, DEMO_LABEL, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    _photos(pdf, store, visits[:4])
    _radar(pdf, [(_when(before), before), (_when(after), after)])
    _changes(pdf, participant.concern_changes(before, after), before, after)
    _conditions(pdf, before, after)
    return bytes(pdf.output())


def _photos(pdf: FPDF, store: RunStore, runs: list[RunRecord]) -> None:
    width = (PAGE_WIDTH - 5 * (len(runs) - 1)) / len(runs)
    width = min(width, 42)
    top = pdf.get_y() + 3
    tallest = 0.0
    for index, run in enumerate(runs):
        x = 15 + index * (width + 5)
        try:
            shown = pdf.image(io.BytesIO(store.photo(run.id)), x=x, y=top, w=width)
            height = shown.rendered_height
        except (StoreError, OSError, ValueError, RuntimeError):
            height = 10  # the photo is gone: its caption still says which visit it was
        pdf.set_xy(x, top + height + 1)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(width, 5, _text(_when(run)), align="C")
        tallest = max(tallest, height + 6)
    pdf.set_xy(15, top + tallest + 3)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _radar(pdf: FPDF, traces: list[tuple[str, RunRecord]]) -> None:
    """Both visits' whole-face ui scores on one radar, each in its colour, with a legend."""
    scores = [{concern_key(s)[0]: s.ui_score for s in headline_of(run)} for _, run in traces]
    axes = [family for family in scores[0] if all(family in one for one in scores)]
    if len(axes) < 3:
        return  # a radar of fewer axes is no shape; the table below has the scores
    if pdf.get_y() + 95 > pdf.h - 15:
        pdf.add_page()
    radius, cx = 33, 15 + PAGE_WIDTH / 2
    cy = pdf.get_y() + 8 + radius

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / len(axes)
        return cx + radius * value / 100 * math.cos(angle), cy + radius * value / 100 * math.sin(
            angle
        )

    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.2)
    for ring in (25, 50, 75, 100):
        pdf.polygon([point(i, ring) for i in range(len(axes))], style="D")
    pdf.set_font("Helvetica", "", 7)
    for i, family in enumerate(axes):
        x, y = point(i, 118)
        pdf.set_xy(x - 15, y - 2)
        pdf.cell(30, 4, _text(family_label(family)), align="C")
    pdf.set_line_width(0.6)
    for index, ((name, _), values) in enumerate(zip(traces, scores, strict=True)):
        pdf.set_draw_color(*_rgb(TRACE_COLOURS[index]))
        pdf.polygon([point(i, values[f]) for i, f in enumerate(axes)], style="D")
        pdf.set_xy(cx - 40 + index * 45, cy + radius + 12)
        pdf.set_fill_color(*_rgb(TRACE_COLOURS[index]))
        pdf.rect(pdf.get_x(), pdf.get_y() + 1, 4, 3, style="F")
        pdf.set_x(pdf.get_x() + 5)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(38, 5, _text(name))
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_line_width(0.2)
    pdf.set_xy(15, cy + radius + 20)


def _changes(pdf: FPDF, changes: list, before: RunRecord, after: RunRecord) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(
        0, 8, _text(f"Change from {_when(before)} to {_when(after)}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0,
        5,
        "ui score 0-100: higher is healthier skin for every concern; a change of "
        f"{participant.SAME_WITHIN} points or less is about the same.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    with pdf.table(col_widths=(60, 25, 25, 25, 45), text_align="LEFT") as table:
        table.row(["Concern", "Before", "After", "Change", "In words"])
        for c in changes:
            table.row([_text(c.label), str(c.before), str(c.after), c.change_text, c.direction])


def _conditions(pdf: FPDF, before: RunRecord, after: RunRecord) -> None:
    rows = conditions.compare(before.conditions, after.conditions)
    if not rows:
        return
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Capture conditions", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(col_widths=(35, 65, 65, 15), text_align="LEFT") as table:
        table.row(["", _text(before.visit), _text(after.visit), ""])
        for r in rows:
            table.row(
                [
                    r.label,
                    _text(r.before or "-"),
                    _text(r.after or "-"),
                    "differs" if r.differs else "",
                ]
            )

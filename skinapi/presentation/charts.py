"""Plotly figures: radar charts of the concern scores, a trial's strip plot, a repeat series,
a cohort's score distributions and a forest plot of paired changes."""

from __future__ import annotations

import html
import math

import plotly.graph_objects as go

from ..concerns import BRAND_COLOUR, CONCERNS, family, label, region_label
from ..names import one_line
from ..results import AnalysisResult, ConcernScore
from ..statistics.cohort import PairedChange, ScoreRow, score_of

TRACE_COLOURS = (BRAND_COLOUR, "#F15B4C", "#1FA37A", "#F1A21F")
GROUP_COLOURS = (*TRACE_COLOURS, "#2B8CBE", "#8E44AD", "#7F8C8D", "#D35400")
"""One per group of a split distribution; the first four are the radar's."""
SCORE_AXIS = {"range": [-4, 104], "tickvals": [0, 25, 50, 75, 100]}
"""Scores run 0–100; the margin keeps markers at 0 and 100 whole instead of cut in half."""


CONCERN_ORDER = {family(name): rank for rank, name in reversed(list(enumerate(CONCERNS)))}
"""Each concern family's place in the API's list (its first action's), the order radars go in."""
TEXT_COLOUR = "#4a4560"
"""Every chart's text: 9:1 on white. Streamlit's theme greys axis labels to #808495, 3.7:1,
under the 4.5:1 WCAG AA asks of text this small (measured on the cohort's screenshot)."""


def _legible(figure: go.Figure) -> go.Figure:
    if any(trace.type == "scatterpolar" for trace in figure.data):
        figure.update_polars(
            angularaxis_tickfont_color=TEXT_COLOUR, radialaxis_tickfont_color=TEXT_COLOUR
        )
    else:  # axes named on a polar chart would add an empty cartesian one beside it
        figure.update_xaxes(tickfont_color=TEXT_COLOUR, title_font_color=TEXT_COLOUR)
        figure.update_yaxes(tickfont_color=TEXT_COLOUR, title_font_color=TEXT_COLOUR)
    figure.update_layout(font_color=TEXT_COLOUR, legend_font_color=TEXT_COLOUR)
    return figure


def plain(text: object, limit: int = 120) -> str:
    """A user's or a file's text (a label, a meta value, a column or file name) as Plotly shows
    it: one line, with its markup escaped — Plotly draws <a href>, <span style> and <b> in any
    legend, hover or title, and `%{…}` in a hover template."""
    return html.escape(one_line(str(text), limit)).replace("%", "&#37;")


LEGEND_LINE = 44
"""Characters on a legend line: a run's title in one line ran off a phone's screen."""


def _legend_lines(title: str) -> str:
    """`plain(title)` broken at its " · " into lines of about LEGEND_LINE characters."""
    lines: list[str] = []
    for part in one_line(title, 120).split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= LEGEND_LINE:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return "<br>".join(plain(line) for line in lines)


def _closed(values: list) -> list:
    return values + values[:1] if values else values


def radar(
    traces: list[tuple[str, list[ConcernScore]]],
    *,
    use_raw: bool = False,
    by_region: bool = False,
    height: int = 440,
) -> go.Figure:
    """One trace per (name, scores); axes are the union of concerns in the order first seen."""
    axes: list[str] = []
    rank: dict[str, int] = {}
    for _, scores in traces:
        for s in scores:
            axis = region_label(s.region) if by_region else label(s.type)
            if axis not in axes:
                axes.append(axis)
                rank[axis] = CONCERN_ORDER.get(family(s.type), len(CONCERN_ORDER))
    if not by_region:  # the API's order, as Results shows a full run, whichever run is first
        axes.sort(key=rank.__getitem__)
    figure = go.Figure()
    for index, (raw_name, scores) in enumerate(traces):
        name = _legend_lines(raw_name)
        by_axis = {(region_label(s.region) if by_region else label(s.type)): s for s in scores}
        colour = TRACE_COLOURS[index % len(TRACE_COLOURS)]
        # A run without some concerns is drawn over every axis with gaps where it has no
        # score: joined across them, its outline read as low scores it never had.
        partial = len(by_axis) < len(axes)
        shown = axes if partial else [a for a in axes if a in by_axis]
        values = [
            (by_axis[a].raw_score if use_raw else by_axis[a].ui_score) if a in by_axis else None
            for a in shown
        ]
        figure.add_trace(
            go.Scatterpolar(
                r=_closed(values),
                theta=_closed(shown),
                # On a line of its own: beside a run's title, the legend ran past the chart.
                name=name + (f"<br>({len(by_axis)} of {len(axes)} concerns)" if partial else ""),
                fill="none" if partial else "toself",
                mode="lines+markers",
                connectgaps=False,
                line={"color": colour, "width": 2, "dash": "dot" if partial else "solid"},
                opacity=0.85,
                customdata=_closed(
                    [
                        [by_axis[a].ui_score, by_axis[a].raw_score]
                        if a in by_axis
                        else [None, None]
                        for a in shown
                    ]
                ),
                hovertemplate="<b>%{theta}</b><br>ui score %{customdata[0]}"
                "<br>raw score %{customdata[1]:.1f}<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(
        polar={
            # The tick labels sit between the first two axes, clear of their labels; none at
            # the rim, where a healthy score's point covered "100" (the rim is 100: captions).
            "radialaxis": {
                "range": [0, 100],
                "tickvals": [25, 50, 75],
                "angle": 90 - 180 / max(len(axes), 1),
                "tickangle": 0,
                "tickfont": {"size": 12, "color": TEXT_COLOUR},
            },
            "angularaxis": {"direction": "clockwise"},
            "bgcolor": "rgba(0,0,0,0)",
        },
        showlegend=len(traces) > 1,
        legend={"orientation": "h", "y": -0.1},
        # Room for the longest label ("Between the brows" for regions, "Lower eyelids" for
        # concerns) beside a circle as wide as its column: at 80 px, Compare cut it at 1400 px.
        margin={"l": 115 if by_region else 95, "r": 115 if by_region else 95, "t": 30, "b": 30},
        height=height,
        paper_bgcolor="rgba(0,0,0,0)",
        font={"size": 13},
    )
    return _legible(figure)


def radar_text(
    traces: list[tuple[str, list[ConcernScore]]], *, use_raw: bool = False, by_region: bool = False
) -> str:
    """What a radar shows, in words, for a screen reader: each trace's scores by axis."""

    def reading(s: ConcernScore) -> str:
        axis = region_label(s.region) if by_region else label(s.type)
        return f"{axis} {s.raw_score:.0f}" if use_raw else f"{axis} {s.ui_score}"

    parts = [
        f"{one_line(str(name), 120)}: {', '.join(map(reading, scores))}." for name, scores in traces
    ]
    kind = "raw" if use_raw else "ui"
    return f"Radar chart of {kind} scores, 1 to 100, higher is healthier. " + " ".join(parts)


def result_radar(
    result: AnalysisResult, *, use_raw: bool = False, name: str = "This photo", height: int = 440
):
    return radar([(name, result.headline_scores())], use_raw=use_raw, height=height)


def clickable_radar(
    result: AnalysisResult, *, use_raw: bool = False, height: int = 440, focus: str | None = None
) -> go.Figure:
    """The result's radar drawn on cartesian axes, so that a click on a concern's point is a
    selection Streamlit reports (it reports none from a polar chart). Looks like `radar`: rings
    at 25–100 (labelled to 75: the rim is 100), a spoke per concern clockwise from the top,
    the outer edge healthier. Each point's customdata holds its score key; `focus` (a score
    key) is drawn larger."""
    scores = result.headline_scores()
    count = max(len(scores), 1)
    angles = [math.pi / 2 - 2 * math.pi * i / count for i in range(count)]
    values = [s.raw_score if use_raw else s.ui_score for s in scores]
    xs = [v / 100 * math.cos(a) for v, a in zip(values, angles, strict=True)]
    ys = [v / 100 * math.sin(a) for v, a in zip(values, angles, strict=True)]
    figure = go.Figure()
    ring = [2 * math.pi * k / 96 for k in range(97)]
    for level in (0.25, 0.5, 0.75, 1.0):
        figure.add_trace(
            go.Scatter(
                x=[level * math.cos(t) for t in ring],
                y=[level * math.sin(t) for t in ring],
                mode="lines",
                line={"color": "#d9d6e6" if level < 1 else "#4a4560", "width": 1},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    for angle in angles:
        figure.add_trace(
            go.Scatter(
                x=[0, math.cos(angle)],
                y=[0, math.sin(angle)],
                mode="lines",
                line={"color": "#d9d6e6", "width": 1},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    colour = TRACE_COLOURS[0]
    figure.add_trace(
        go.Scatter(
            x=_closed(xs),
            y=_closed(ys),
            mode="lines",
            fill="toself",
            hoverinfo="skip",
            line={"color": colour, "width": 2},
            fillcolor=_rgba(colour, 0.35),
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            name="concerns",
            marker={
                "color": colour,
                "size": [16 if s.key == focus else 11 for s in scores],
                "line": {"color": "white", "width": 1.5},
            },
            customdata=[[s.key, s.label, s.ui_score, s.raw_score] for s in scores],
            hovertemplate="<b>%{customdata[1]}</b><br>ui score %{customdata[2]}"
            "<br>raw score %{customdata[3]:.1f}<br>click: show its mask<extra></extra>",
            showlegend=False,
        )
    )
    for s, angle in zip(scores, angles, strict=True):
        figure.add_annotation(
            x=1.08 * math.cos(angle),
            y=1.08 * math.sin(angle),
            text=html.escape(s.label),
            showarrow=False,
            font={"size": 13, "color": "#4a4560"},
            # Labels grow away from the circle: beside it sideways, above or below it at the
            # top and bottom, so neighbours at the bottom do not run into each other.
            xanchor="center"
            if abs(math.cos(angle)) < 0.1
            else ("left" if math.cos(angle) > 0 else "right"),
            yanchor="middle"
            if abs(math.sin(angle)) < 0.5
            else ("bottom" if math.sin(angle) > 0 else "top"),
        )
    between = math.pi / 2 - math.pi / count  # the ticks sit between the first two spokes
    for level in (25, 50, 75):  # none at the rim, where a healthy score's point covered it
        figure.add_annotation(
            x=level / 100 * math.cos(between),
            y=level / 100 * math.sin(between),
            text=str(level),
            showarrow=False,
            font={"size": 11, "color": "#4a4560"},
        )
    hidden = {"visible": False, "range": [-1.7, 1.7], "fixedrange": True}  # room for labels
    figure.update_layout(
        xaxis=hidden,
        yaxis=hidden | {"scaleanchor": "x", "range": [-1.25, 1.25]},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=height,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 13},
        hovermode="closest",
        clickmode="event+select",
        dragmode=False,
    )
    return _legible(figure)


def regional_radar(result: AnalysisResult, concern: str, *, use_raw: bool = False):
    scores = [s for s in result.scores if s.type == concern]
    return radar([(label(concern), scores)], use_raw=use_raw, by_region=True, height=340)


def strip_plot(points: list[tuple[str, int]], height: int = 380) -> go.Figure:
    """Each participant's ui score per concern: the distribution of a trial at a glance."""
    return visit_strip_plot([("", points)], height)


def visit_strip_plot(
    by_visit: list[tuple[str, list[tuple[str, int]]]], height: int = 380
) -> go.Figure:
    """A strip plot per visit, side by side under each concern: visits are never mixed."""
    figure = go.Figure()
    for index, (visit, points) in enumerate(by_visit):
        colour = TRACE_COLOURS[index % len(TRACE_COLOURS)]
        figure.add_trace(
            _strip(
                [plain(name) for name, _ in points],
                [value for _, value in points],
                colour,
                7,
                name=plain(visit),
                hovertemplate="%{x}: %{y}<extra>" + plain(visit) + "</extra>",
            )
        )
    figure.update_layout(
        height=height,
        yaxis={**SCORE_AXIS, "title": "score"},
        margin={"t": 20, "b": 80},
        paper_bgcolor="rgba(0,0,0,0)",
        boxmode="group",
        showlegend=len(by_visit) > 1,
        legend={"orientation": "h", "y": 1.08},
    )
    return _legible(figure)


def visit_lines(lines: dict[str, list[tuple[str, int]]], height: int = 360) -> go.Figure:
    """A line per concern over a participant's visits (ui score)."""
    figure = go.Figure()
    for index, (name, points) in enumerate(lines.items()):
        figure.add_trace(
            go.Scatter(
                x=[plain(visit) for visit, _ in points],
                y=[value for _, value in points],
                name=plain(name),
                mode="lines+markers",
                line={"color": GROUP_COLOURS[index % len(GROUP_COLOURS)], "width": 2},
            )
        )
    figure.update_layout(
        height=height,
        yaxis={**SCORE_AXIS, "title": "ui score"},
        xaxis={"title": "visit", "type": "category"},
        margin={"t": 20, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return _legible(figure)


def series_chart(series: list[list[ConcernScore]], *, use_raw: bool = False) -> go.Figure:
    """Each run of a repeat series as one row of markers per concern: the noise at a glance."""
    figure = go.Figure()
    for index, scores in enumerate(series):
        figure.add_trace(
            go.Scatter(
                x=[label(s.type) for s in scores],
                y=[s.raw_score if use_raw else s.ui_score for s in scores],
                mode="markers",
                name=f"run {index + 1}",
                marker={"size": 10, "opacity": 0.7},
            )
        )
    figure.update_layout(
        height=360,
        yaxis={**SCORE_AXIS, "title": "raw score" if use_raw else "ui score"},
        margin={"t": 20},
    )
    return _legible(figure)


def _strip(x: list, y: list, colour: str, size: int, **trace) -> go.Box:
    """A box with every point drawn over it, in one colour."""
    return go.Box(
        x=x,
        y=y,
        boxpoints="all",
        jitter=0.4,
        pointpos=0,
        marker={"color": colour, "size": size, "opacity": 0.7},
        line={"color": colour},
        fillcolor=_rgba(colour, 0.12),
        **trace,
    )


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def cohort_distribution(
    rows: list[ScoreRow], score: str = "ui", by: str | None = None, height: int = 440
) -> go.Figure:
    """A box per concern (and region) with every run's point, concerns in first-seen order;
    with `by`, one trace per value of that meta column, side by side and coloured (runs that
    lack the column are "(none)"). Hovering a point names its photo."""
    groups: dict[str, list[ScoreRow]] = {}
    for row in rows:
        groups.setdefault(row.meta.get(by, "") if by else "", []).append(row)
    figure = go.Figure()
    for index, (group, members) in enumerate(sorted(groups.items())):
        colour = GROUP_COLOURS[index % len(GROUP_COLOURS)]
        figure.add_trace(
            _strip(
                [row.label for row in members],
                [score_of(row, score) for row in members],
                colour,
                6,
                name=plain(group or "(none)") if by else "all runs",
                offsetgroup=str(index),
                customdata=[[plain(row.file or row.run_id)] for row in members],
                hovertemplate="%{x}: %{y}<br>%{customdata[0]}<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(
        height=height,
        boxmode="group",
        showlegend=by is not None,
        legend={"orientation": "h", "y": 1.08, "title": {"text": plain(by or "")}},
        xaxis={
            "categoryorder": "array",
            "categoryarray": list(dict.fromkeys(r.label for r in rows)),
        },
        yaxis={**SCORE_AXIS, "title": f"{score} score"},
        margin={"t": 30, "b": 100},
        paper_bgcolor="rgba(0,0,0,0)",
        font={"size": 13},
    )
    return _legible(figure)


def _interval_words(e) -> str:
    if e.low is None:
        return "none (one pair)"
    return (
        "none (every pair changed alike)" if e.low == e.high else f"{e.low:+.2f} to {e.high:+.2f}"
    )


def forest_plot(
    changes: list[PairedChange], *, x_title: str = "mean change (b − a)", height: int | None = None
) -> go.Figure:
    """One row per concern, top to bottom in the given order, labelled with its n: a point at
    the mean paired change and a bar for its 95% confidence interval, and a line at zero (no
    change). A concern with one pair, or whose pairs all changed alike (no spread: an interval
    of zero width would read as certainty), has no interval and shows as an open marker."""
    figure = go.Figure()
    labels = [f"{plain(c.label)}  (n = {c.estimate.n})" for c in changes]

    def estimable(c: PairedChange) -> bool:
        return c.estimate.low is not None and c.estimate.high != c.estimate.low

    with_ci = [i for i, c in enumerate(changes) if estimable(c)]
    single = [i for i, c in enumerate(changes) if not estimable(c)]
    for chosen, name, symbol in (
        (with_ci, "mean, 95% CI", "circle"),
        (single, "no interval: one pair, or no spread", "circle-open"),
    ):
        if not chosen:
            continue
        estimates = [changes[i].estimate for i in chosen]
        figure.add_trace(
            go.Scatter(
                x=[e.mean for e in estimates],
                y=[labels[i] for i in chosen],
                mode="markers",
                name=name,
                marker={"color": TRACE_COLOURS[0], "size": 10, "symbol": symbol},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [0 if e.high is None else e.high - e.mean for e in estimates],
                    "arrayminus": [0 if e.low is None else e.mean - e.low for e in estimates],
                    "color": TRACE_COLOURS[0],
                    "thickness": 2,
                    "width": 6,
                    "visible": symbol == "circle",
                },
                text=[_interval_words(e) for e in estimates],
                hovertemplate="<b>%{y}</b><br>mean change %{x:+.2f}<br>95% CI %{text}"
                "<extra></extra>",
            )
        )
    reach = [
        abs(v)
        for c in changes
        for v in (c.estimate.mean, c.estimate.low, c.estimate.high)
        if v is not None
    ]
    span = max(reach, default=1.0) * 1.15 or 1.0
    figure.add_vline(x=0, line={"color": "#4a4560", "width": 1, "dash": "dash"})
    figure.update_layout(
        height=height or 110 + 34 * max(len(changes), 1),
        showlegend=bool(single) and bool(with_ci),
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis={"range": [-span, span], "title": plain(x_title), "zeroline": False},
        # The first concern on top, with room above and below the outer rows.
        yaxis={
            "categoryorder": "array",
            "categoryarray": labels,
            "range": [len(labels) - 0.4, -0.6],
        },
        margin={"l": 20, "r": 20, "t": 40, "b": 50},
        paper_bgcolor="rgba(0,0,0,0)",
        font={"size": 13},
    )
    return _legible(figure)

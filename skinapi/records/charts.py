"""Plotly figures: radar charts of the concern scores, a trial's strip plot, a repeat series."""

from __future__ import annotations

import plotly.graph_objects as go

from ..concerns import label, region_label
from ..results import AnalysisResult, ConcernScore

TRACE_COLOURS = ("#6C4CF1", "#F15B4C", "#1FA37A", "#F1A21F")


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
    for _, scores in traces:
        for s in scores:
            axis = region_label(s.region) if by_region else label(s.type)
            if axis not in axes:
                axes.append(axis)
    figure = go.Figure()
    for index, (name, scores) in enumerate(traces):
        by_axis = {(region_label(s.region) if by_region else label(s.type)): s for s in scores}
        present = [a for a in axes if a in by_axis]
        values = [by_axis[a].raw_score if use_raw else by_axis[a].ui_score for a in present]
        colour = TRACE_COLOURS[index % len(TRACE_COLOURS)]
        figure.add_trace(
            go.Scatterpolar(
                r=_closed(values),
                theta=_closed(present),
                name=name,
                fill="toself",
                line={"color": colour, "width": 2},
                opacity=0.85,
                customdata=_closed([[by_axis[a].ui_score, by_axis[a].raw_score] for a in present]),
                hovertemplate="<b>%{theta}</b><br>ui score %{customdata[0]}"
                "<br>raw score %{customdata[1]:.1f}<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(
        polar={
            # The tick labels sit between the first two axes, clear of their labels.
            "radialaxis": {
                "range": [0, 100],
                "tickvals": [25, 50, 75, 100],
                "angle": 90 - 180 / max(len(axes), 1),
                "tickangle": 0,
                "tickfont": {"size": 12, "color": "#4a4560"},
            },
            "angularaxis": {"direction": "clockwise"},
            "bgcolor": "rgba(0,0,0,0)",
        },
        showlegend=len(traces) > 1,
        legend={"orientation": "h", "y": -0.1},
        margin={"l": 80, "r": 80, "t": 30, "b": 30},
        height=height,
        paper_bgcolor="rgba(0,0,0,0)",
        font={"size": 13},
    )
    return figure


def result_radar(
    result: AnalysisResult, *, use_raw: bool = False, name: str = "This photo", height: int = 440
):
    return radar([(name, result.headline_scores())], use_raw=use_raw, height=height)


def regional_radar(result: AnalysisResult, concern: str, *, use_raw: bool = False):
    scores = [s for s in result.scores if s.type == concern]
    return radar([(label(concern), scores)], use_raw=use_raw, by_region=True, height=340)


def strip_plot(points: list[tuple[str, int]], height: int = 380) -> go.Figure:
    """Each participant's ui score per concern: the distribution of a trial at a glance."""
    figure = go.Figure(
        go.Box(
            x=[name for name, _ in points],
            y=[value for _, value in points],
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
            marker={"color": TRACE_COLOURS[0], "size": 7, "opacity": 0.7},
            line={"color": TRACE_COLOURS[0]},
            fillcolor="rgba(108,76,241,0.12)",
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    figure.update_layout(
        height=height,
        yaxis={"range": [0, 100], "title": "score"},
        margin={"t": 20, "b": 80},
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return figure


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
        yaxis={"range": [0, 100], "title": "raw score" if use_raw else "ui score"},
        margin={"t": 20},
    )
    return figure

"""The Compare page's parts: the runs on one radar beside their deltas, masks side by side, and
the spread of a repeat series."""

from __future__ import annotations

import streamlit as st

from ..backends import EMULATOR
from ..concerns import family_label, region_label
from ..names import markdown_text
from ..presentation import charts, exports
from ..statistics import tables
from ..store import RunRecord, RunStore
from .messages import RAW_SCORES_HELP


def pick_runs(done: list[RunRecord]) -> list[RunRecord]:
    by_id = {r.id: r for r in done}
    if series := st.session_state.pop("compare_series_new", None):
        # Straight from "Run N times": that series is what the user came to see.
        st.session_state["compare_ids"] = [r.id for r in done if r.label == series][:4]
    # By default the two newest, the older first: a change then reads newer minus older.
    wanted = [i for i in st.session_state.get("compare_ids", []) if i in by_id] or [
        r.id for r in reversed(done[:2])
    ]
    chosen_ids = st.multiselect(
        "Runs to compare (2–4)",
        list(by_id),
        default=wanted[:4],
        max_selections=4,
        format_func=lambda i: tables.run_title(by_id[i]),
        key="compare_runs",
    )
    st.session_state["compare_ids"] = chosen_ids
    return [by_id[i] for i in chosen_ids]


def radar_and_deltas(chosen: list[RunRecord]) -> bool:
    """The overlaid radars and the delta table; whether raw scores are shown."""
    chart_column, table_column = st.columns([1, 1.2], gap="large")
    with chart_column:
        use_raw = st.toggle("Raw scores", key="compare_raw", help=RAW_SCORES_HELP)
        traces = [
            (f"Run {i + 1}: {tables.run_title(r)}", tables.headline_of(r))
            for i, r in enumerate(chosen)
        ]
        st.plotly_chart(
            charts.radar(traces, use_raw=use_raw, height=520),
            alt=charts.radar_text(traces, use_raw=use_raw),
            key="compare_radar",
            config={"displayModeBar": False},
        )
        st.caption("Every score of this radar is in the table of changes.")
    with table_column:
        st.markdown("**Changes from run 1, then each run's scores** (largest change first)")
        rows = tables.blanks(tables.deltas(chosen, ("raw",) if use_raw else ("ui",)))
        if all(row["Region"] == "Whole face" for row in rows):
            rows = [{k: v for k, v in row.items() if k != "Region"} for row in rows]
        # One kind of score (the toggle's) and no Region column when every row is the whole
        # face: four runs' changes and scores then fit beside the radar at 1440 px.
        # As tall as its rows: a fixed height left empty rows below two runs that share a
        # few concerns, and the radar's height cut the 16th row in half behind a scroll bar.
        # Right-aligned throughout: a column with a blank is text (see `blanks`), which
        # Streamlit aligns left, beside numbers aligned right in the next column.
        numbers = {
            name: _number_column(name, rows[0][name])
            for name in (rows[0] if rows else {})
            if name not in ("Concern", "Region")
        }
        st.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            height=38 + 35 * len(rows),
            column_config=numbers,
        )
    return use_raw


def _number_column(name: str, value):
    """Right-aligned; a change is signed (+3, not 3) with the decimals of its kind."""
    if isinstance(value, str):  # a column with a blank is text, signed by `tables.blanks`
        return st.column_config.Column(alignment="right")
    change = "%+.1f" if "raw" in name else "%+d"
    return st.column_config.NumberColumn(
        alignment="right", format=change if name.startswith("Δ") else None
    )


def masks_side_by_side(store: RunStore, chosen: list[RunRecord]) -> None:
    """One concern's masks, run beside run: one choice per concern family and region, so an SD
    run's wrinkles sit beside an HD run's."""
    st.header("Masks side by side")
    keys_per_run = [{tables.concern_key(s): s.key for s in tables.scores_of(r)} for r in chosen]
    shared = set.intersection(*(set(keys) for keys in keys_per_run))
    options = sorted(shared) + sorted(set().union(*keys_per_run) - shared)
    if not options:
        return
    picked = st.selectbox(
        "Concern",
        options,
        key="compare_mask_family",
        format_func=lambda k: f"{family_label(k[0])} · {region_label(k[1])}",
    )
    columns = st.columns(max(len(chosen), 3))
    for column, (index, run), keys in zip(columns, enumerate(chosen), keys_per_run, strict=False):
        score_key = keys.get(picked)
        image = exports.run_overlay(store, run, [score_key]) if score_key else None
        name = f"Run {index + 1} · {run.file or 'photo'} · {run.quality.upper()}"
        with column:
            if image:
                st.image(
                    image,
                    caption=name,
                    width="stretch",
                    alt=f"{name}: the photo with its {family_label(picked[0])} mask",
                )
            else:
                st.caption(f"{markdown_text(name)} has no mask for this concern.")


def repeatability(done: list[RunRecord], use_raw: bool) -> None:
    st.header("Repeatability")
    st.caption(
        "How much of a difference between two runs is noise: run one photo and settings several times (Analyse → Run N times), then look at the spread."
    )
    series = sorted({r.label for r in done if r.label.startswith("repeat ")}, reverse=True)
    if not series:
        st.caption("No repeat series yet.")
        return
    picked = st.selectbox("Repeat series", series, key="compare_series")
    repeated = [r for r in done if r.label == picked]
    if all(r.backend == EMULATOR for r in repeated) and not any(
        row["ui sd"] for row in tables.spread(repeated)
    ):
        st.info(
            "No spread: the demo engine is deterministic, so one photo always scores the same. "
            "Run the series against the live API to measure its noise.",
            icon=":material/science:",
        )
    st.plotly_chart(
        charts.series_chart([tables.headline_of(r) for r in repeated], use_raw=use_raw),
        key="compare_spread_chart",
        config={"displayModeBar": False},
    )
    st.dataframe(tables.spread(repeated), hide_index=True, width="stretch")

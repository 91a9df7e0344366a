"""Compare: 2–4 runs on one radar, a delta table, overlays side by side, and repeatability."""

import plotly.graph_objects as go
import streamlit as st

from skinapi import charts, compare, exports, ui
from skinapi.concerns import label, region_label

ui.routed_by_app()

st.title("Compare runs")
store = ui.history()
if store is None:
    st.error("The run history cannot be opened; see the History page.")
    st.stop()
done = [r for r in store.list() if r.state == "success"]
if len(done) < 2:
    st.info(
        "Compare needs at least two finished runs. Analyse a photo with different settings, then come back.",
        icon=":material/compare:",
    )
    st.page_link("pages/analyse.py", label="Analyse a photo", icon=":material/photo_camera:")
    st.stop()

by_id = {r.id: r for r in done}
wanted = [i for i in st.session_state.get("compare_ids", []) if i in by_id] or [
    r.id for r in done[:2]
]
chosen_ids = st.multiselect(
    "Runs to compare (2–4)",
    list(by_id),
    default=wanted[:4],
    max_selections=4,
    format_func=lambda i: compare.run_title(by_id[i]),
    key="compare_runs",
)
st.session_state["compare_ids"] = chosen_ids
chosen = [by_id[i] for i in chosen_ids]
if len(chosen) < 2:
    st.info("Pick at least two runs.")
    st.stop()

if any(r.mode == ui.DEMO for r in chosen):
    st.info(ui.DEMO_NOTICE, icon=":material/science:")
for warning in compare.mixing_warnings(chosen):
    st.warning(warning, icon=":material/warning:")

chart_column, table_column = st.columns([1, 1.2], gap="large")
with chart_column:
    use_raw = st.toggle("Raw scores", key="compare_raw")
    traces = [
        (f"Run {i + 1}: {compare.run_title(r)}", compare.headline_of(r))
        for i, r in enumerate(chosen)
    ]
    st.plotly_chart(
        charts.radar(traces, use_raw=use_raw, height=520),
        key="compare_radar",
        config={"displayModeBar": False},
    )
with table_column:
    st.markdown("**Scores and changes from run 1** (largest change first)")
    st.dataframe(compare.deltas(chosen), hide_index=True, width="stretch", height=480)

st.subheader("Masks side by side")
keys_per_run = [{s.key for s in compare.scores_of(r)} for r in chosen]
shared = set.intersection(*keys_per_run)
options = sorted(shared) + sorted(set.union(*keys_per_run) - shared)
if options:
    concern_key = st.selectbox(
        "Concern",
        options,
        key="compare_mask",
        format_func=lambda k: f"{label(k.split(':')[0])} · {region_label(k.split(':')[1])}",
    )
    for column, (index, run) in zip(
        st.columns(max(len(chosen), 3)), enumerate(chosen), strict=False
    ):
        image = (
            exports.run_overlay(store, run, [concern_key])
            if concern_key in {s.key for s in compare.scores_of(run)}
            else None
        )
        with column:
            if image:
                st.image(image, caption=f"Run {index + 1}", width="stretch")
            else:
                st.caption(f"Run {index + 1} has no mask for this concern.")

st.divider()
st.subheader("Repeatability")
st.caption(
    "How much of a difference between two runs is noise: run one photo and settings several times (Analyse → Run N times), then look at the spread."
)
series = sorted({r.label for r in done if r.label.startswith("repeat ")}, reverse=True)
if not series:
    st.caption("No repeat series yet.")
else:
    picked_series = st.selectbox("Repeat series", series, key="compare_series")
    repeated = [r for r in done if r.label == picked_series]
    spread = compare.spread(repeated)
    figure = go.Figure()
    for run_index, run in enumerate(repeated):
        scores = compare.headline_of(run)
        figure.add_trace(
            go.Scatter(
                x=[label(s.type) for s in scores],
                y=[s.raw_score if use_raw else s.ui_score for s in scores],
                mode="markers",
                name=f"run {run_index + 1}",
                marker={"size": 10, "opacity": 0.7},
            )
        )
    figure.update_layout(
        height=360,
        yaxis={"range": [0, 100], "title": "raw score" if use_raw else "ui score"},
        margin={"t": 20},
    )
    st.plotly_chart(figure, key="compare_spread_chart", config={"displayModeBar": False})
    st.dataframe(spread, hide_index=True, width="stretch")

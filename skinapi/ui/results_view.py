"""The Results page's parts: the run's header, headline numbers, the radar with its concerns
weakest first, regional radars, the score table and the downloads (the masks: mask_view)."""

from __future__ import annotations

import streamlit as st

from ..backends import EMULATOR
from ..concerns import CONCERNS, label, region_label
from ..names import markdown_text, shown_moment, task_end
from ..presentation import charts, exports
from ..runs.lifecycle import Run
from . import audit_log
from .mask_view import IMAGE_HEIGHT
from .messages import RAW_SCORES_HELP
from .state import remembered


def run_header(run: Run) -> None:
    """Which run this is: label, date, source, participant, task, and whose scores they are."""
    when = shown_moment(run.created)
    parts = [f"**{markdown_text(run.label)}**"] if run.label else []
    parts += [when, SOURCES.get(run.source, run.source)]
    if run.participant:
        parts.append(f"participant {markdown_text(run.participant)}")
    parts.append(f"task `{task_end(run.task_id)}`")
    if run.backend == EMULATOR:
        parts.append(":material/science: demo engine scores, not YouCam's AI")
    st.caption(" · ".join(parts))


SOURCES = {"camera": "camera photo", "upload": "uploaded photo", "sample": "sample photo"}


FIRST_SCREEN_ON_A_PHONE = """<style>
[class*='st-key-results_focus'] [role='radiogroup'] { flex-wrap: wrap; overflow: visible; }
@media (max-width: 640px) {
  .st-key-results_headline [data-testid='stMetricValue'] { font-size: 1.6rem; }
  .st-key-results_first_screen [data-testid='stHorizontalBlock'] { flex-wrap: nowrap; gap: 0.5rem; }
  .st-key-results_first_screen [data-testid='stColumn'] {
    flex: 1 1 50% !important; min-width: 0 !important; width: 50% !important;
  }
  .st-key-results_first_screen g.annotation { display: none; }
  .st-key-results_mask_controls [data-testid='stHorizontalBlock'] { flex-wrap: wrap; }
  .st-key-results_mask_controls [data-testid='stColumn'] {
    flex: 1 1 100% !important; width: 100% !important;
  }
}
</style>"""
"""On a phone the radar and the masked photo stay side by side, so both are on the first
screen (stacked, the photo began at ~1,180 px); the radar's labels, cut at half a phone's
width, give way to its points, whose names and scores are listed weakest first below it. In
the photo's half, the mask picker and Display go one under the other (side by side, the picker
showed a sliver of one chip and Display read "D…")."""


def headline(run: Run) -> None:
    """Three numbers people look for, and one line on how the result was made: compact on a
    desktop, and on a phone the radar is still near the top."""
    result = run.result
    skin_type = {z.region: z.label for z in result.skin_types}
    zones = " · ".join(f"{region_label(r)}: {t}" for r, t in skin_type.items() if r != "whole")
    # A horizontal container stays one row on a phone, where columns would stack the three
    # numbers into a screenful.
    st.html(FIRST_SCREEN_ON_A_PHONE)
    with st.container(horizontal=True, gap="medium", key="results_headline"):
        st.metric(
            "Overall",
            f"{result.overall:.0f}" if result.overall is not None else "—",
            help="1–100, higher is healthier",
            width="content",
        )
        st.metric(
            "Skin age",
            f"{result.skin_age:.0f}" if result.skin_age is not None else "—",
            width="content",
        )
        st.metric("Skin type", skin_type.get("whole", "—"), help=zones or None, width="content")
    # A run picked up by task_id has no duration of its own to show (it read 0.0 s).
    duration = f" · {run.duration:.1f} s" if run.duration and run.duration >= 0.05 else ""
    actions = run.settings.actions
    # Skin type is a concern the radar cannot draw: a label, not a score.
    labelled = sum(CONCERNS[a].is_skin_type for a in actions)
    scored = f" ({len(actions) - labelled} scored, skin type as a label)" if labelled else ""
    st.caption(
        f"{run.settings.quality.upper()} · {result.api_version} · {len(actions)} concerns"
        f"{scored}{duration} · cost {run.units} units (charged only when a task succeeds)"
    )


def radar_column(run: Run) -> tuple[bool, str | None]:
    """The radar and its concerns weakest first, each a choice that highlights its mask:
    (whether raw scores are shown, the score key of the concern chosen, if any)."""
    result = run.result
    use_raw = remembered(
        st.toggle,
        "Raw scores",
        key="results_raw",
        help=RAW_SCORES_HELP,
    )
    focus_key, radar_key = f"results_focus_{run.key}", f"results_radar_{run.key}"

    def picked_on_radar() -> None:
        """A click on a concern's point chooses it, as its button below would."""
        event = st.session_state.get(radar_key) or {}
        points = (event.get("selection") or {}).get("points") or []
        keys = [p["customdata"][0] for p in points if p.get("customdata")]
        if keys:
            st.session_state[focus_key] = keys[0]

    st.plotly_chart(
        charts.clickable_radar(
            result, use_raw=use_raw, height=IMAGE_HEIGHT, focus=st.session_state.get(focus_key)
        ),
        alt=charts.radar_text([("This photo", result.headline_scores())], use_raw=use_raw),
        key=radar_key,
        config={"displayModeBar": False},
        on_select=picked_on_radar,
        selection_mode="points",
    )
    st.caption("1–100 on every axis; the outer edge is healthier. Click a point to see its mask.")
    ranked = sorted(result.headline_scores(), key=lambda s: s.raw_score)
    names = {
        s.key: f"{s.label} · {s.raw_score:.0f}" if use_raw else f"{s.label} · {s.ui_score}"
        for s in ranked
    }
    focus = st.pills(
        "Weakest first: choose one to highlight its mask",
        [s.key for s in ranked],
        format_func=names.get,
        selection_mode="single",
        key=focus_key,
    )
    return use_raw, focus


def regional(run: Run, use_raw: bool) -> None:
    result = run.result
    concerns = [c for c in ("hd_pore", "hd_wrinkle") if result.regional_scores(c)]
    if not concerns:
        return
    st.header("By region")
    for column, concern in zip(st.columns(len(concerns)), concerns, strict=True):
        with column:
            st.markdown(f"**{label(concern)}**")
            traces = [(label(concern), [s for s in result.scores if s.type == concern])]
            st.plotly_chart(
                charts.regional_radar(result, concern, use_raw=use_raw),
                alt=charts.radar_text(traces, use_raw=use_raw, by_region=True),
                key=f"results_regional_{concern}",
                config={"displayModeBar": False},
            )


def score_table(run: Run) -> None:
    st.header("All scores")
    st.dataframe(
        [
            {
                "Concern": label(s.type),
                "Region": region_label(s.region),
                "Score": s.ui_score,
                "Raw score": round(s.raw_score, 1),
                "What it measures": CONCERNS[s.type].description if s.type in CONCERNS else "",
            }
            for s in run.result.scores
        ],
        hide_index=True,
        width="stretch",
        height=38 + 35 * len(run.result.scores),  # every row, no scroll box within the page
        column_config={
            "Score": st.column_config.ProgressColumn(
                "Score", min_value=0, max_value=100, format="%d"
            ),
            # One decimal on every row: 89 beside 68.3 made a ragged column.
            "Raw score": st.column_config.NumberColumn("Raw score", format="%.1f"),
        },
    )


def downloads(run: Run) -> None:
    result = run.result
    st.caption(f"Task id (for support or the API): `{result.task_id}`")
    extra = {"settings": run.settings.to_dict(), "backend": run.backend}
    files = (
        (
            "Result (JSON)",
            lambda: exports.result_json(result, extra),
            ".json",
            "application/json",
            "do_download_json",
        ),
        ("Scores (CSV)", lambda: exports.result_csv(result), ".csv", "text/csv", "do_download_csv"),
        (
            "All masks (ZIP)",
            lambda: exports.masks_zip(result),
            "-masks.zip",
            "application/zip",
            "do_download_masks",
        ),
    )
    for column, (title, data, suffix, kind, key) in zip(st.columns(3), files, strict=True):
        column.download_button(
            title,
            audit_log.audited("download", data, file=title, run=run.id, task_id=result.task_id),
            exports.download_name(run.created, run.label, result.task_id, suffix),
            kind,
            key=key,
            width="stretch",
            on_click="ignore",
        )

"""The Live trial's parts: the trial and participant setup, analysing a captured photo as the
participant's (once), the participant's large result view, and the trial's summary."""

from __future__ import annotations

import base64
import html
import uuid

import numpy as np
import streamlit as st

from ..concerns import AnalysisSettings, preset_actions
from ..errors import PhotoError
from ..imaging import live
from ..imaging.photo import apply_fixes, load_photo
from ..records import charts, exports, tables
from ..records.runner import Run
from .connection import Connection
from .history import read_runs
from .media import overlay_image
from .runflow import execute
from .state import remembered, runs

PRESET_TITLES = {
    "all": "All 16",
    "tone": "Tone & glow",
    "texture": "Texture & pores",
    "eyes": "Eyes",
}


def new_participant_id() -> str:
    return f"P-{uuid.uuid4().hex[:5].upper()}"


def next_participant() -> None:
    """Clear the screen for the next person: new ID, consent unticked, no result shown.

    The widgets are given their new values rather than dropped: a dropped key is filled again
    from the value the browser still holds."""
    st.session_state["live_participant"] = new_participant_id()
    st.session_state["live_consent"] = False
    for key in ("live_run", "live_capture_error"):
        st.session_state.pop(key, None)
    if "live_state" in st.session_state:
        st.session_state["live_state"].withdraw()


def setup_panel() -> tuple[str, str, bool, AnalysisSettings]:
    """Trial, participant, consent and concerns: (trial, participant, consent, settings)."""
    st.subheader("Trial")
    trial = remembered(
        st.text_input,
        "Trial name",
        value="",
        key="live_trial",
        placeholder="e.g. Serum study, week 1",
    )
    if "live_participant" not in st.session_state:
        st.session_state["live_participant"] = new_participant_id()
    participant = st.text_input(
        "Participant ID", key="live_participant", help="Typed, or the generated one."
    )
    consent = st.checkbox("Consent to photo and analysis given", key="live_consent")
    preset = remembered(
        st.selectbox, "Concerns", list(PRESET_TITLES), key="live_preset",
        format_func=PRESET_TITLES.get,
    )  # fmt: skip
    settings = AnalysisSettings.build(preset_actions(preset, "sd"))
    st.caption(
        f"SD · {len(settings.actions)} concerns · {settings.units} units per participant. Live capture is SD: a 16:9 webcam frame, cut to a portrait photo, cannot reach HD's 1080 px."
    )
    st.button(
        "Next participant",
        key="do_next_participant",
        icon=":material/person_add:",
        width="stretch",
        on_click=next_participant,
    )
    return trial.strip(), participant.strip(), consent, settings


def current_participant_run() -> Run | None:
    return runs().get(st.session_state.get("live_run", ""))


def analyse_photo(
    data: bytes, trial: str, participant: str, settings, conn: Connection, check_framing=False
) -> bool:
    """Crop a camera photo to a portrait of the face and run it as this participant's. With
    `check_framing`, an automatic capture must still be framed well (the participant may have
    moved while it was taken). The camera's JPEG is used as it is: no second compression."""
    try:
        photo = load_photo(data)
        if check_framing and not (guidance := live.assess_frame(np.asarray(photo.image))).ready:
            st.session_state["live_capture_error"] = (
                f"Moved as the photo was taken: {guidance.hint()}"
            )
            return False
        photo = apply_fixes(photo, ["crop"], "sd")
    except PhotoError as exc:
        st.session_state["live_capture_error"] = f"{exc} Try again."
        return False
    run = Run(
        f"live-{uuid.uuid4().hex[:8]}", photo.data, "live.jpg", "camera", settings, conn.backend,
        label=trial, trial=trial, participant=participant,
    )  # fmt: skip
    runs()[run.key] = run
    st.session_state["live_run"] = run.key
    st.session_state.pop("live_capture_error", None)
    execute(run, conn.client)
    return True


def still_bytes(still: dict) -> bytes | None:
    """The JPEG of a still from the browser's photo camera (base64), or None if unreadable."""
    try:
        return base64.b64decode(still["jpeg"], validate=True)
    except (ValueError, TypeError, KeyError):
        st.session_state["live_capture_error"] = (
            "The photo camera sent an unreadable photo. Try again."
        )
        return None


def trial_summary(trial: str) -> None:
    st.divider()
    st.subheader(f"Trial summary · {trial}")
    trial_runs = [r for r in read_runs() or [] if r.trial == trial and r.state == "success"]
    if not trial_runs:
        st.caption("No analysed participants in this trial yet.")
        return
    st.markdown(
        f"**{len(trial_runs)} participant{'s' if len(trial_runs) != 1 else ''} analysed** · {sum(r.units for r in trial_runs)} units"
    )
    summary, radar = st.columns([1.4, 1])
    summary.plotly_chart(
        charts.strip_plot(tables.trial_scores(trial_runs)),
        key="live_strip",
        config={"displayModeBar": False},
    )
    radar.plotly_chart(
        charts.radar([("Trial mean", tables.mean_scores(trial_runs))], height=380),
        key="live_mean_radar",
        config={"displayModeBar": False},
    )
    st.download_button(
        "Export the trial (CSV)",
        lambda: exports.runs_csv(trial_runs),
        f"trial-{trial}.csv",
        "text/csv",
        key="do_export_trial",
        on_click="ignore",
    )


def kiosk_view(run: Run) -> None:
    """Large, high-contrast results for the participant: three numbers, the radar, the masks."""
    result = run.result
    skin_type = next((z.label for z in result.skin_types if z.region == "whole"), "—")
    numbers = [
        ("Overall", f"{result.overall:.0f}" if result.overall is not None else "—"),
        ("Skin age", f"{result.skin_age:.0f}" if result.skin_age is not None else "—"),
        ("Skin type", skin_type),
    ]
    if run.participant:
        numbers.insert(0, ("Participant", run.participant))
    cells = "".join(
        f'<div style="flex:1;background:#1E1B2E;color:#fff;border-radius:16px;padding:18px 24px">'
        f'<div style="font-size:22px;opacity:.8">{html.escape(name)}</div>'
        f'<div style="font-size:64px;font-weight:700;line-height:1.1">{html.escape(value)}</div></div>'
        for name, value in numbers
    )
    st.markdown(
        f'<div style="display:flex;gap:16px;margin-bottom:24px">{cells}</div>',
        unsafe_allow_html=True,
    )
    chart, photo = st.columns([1.2, 1])
    figure = charts.result_radar(result)
    # Labels readable from a metre away need room beside the circle, or the side ones are cut.
    figure.update_layout(font={"size": 18}, height=560, margin={"l": 130, "r": 130})
    chart.plotly_chart(figure, key=f"kiosk_radar_{run.key}", config={"displayModeBar": False})
    ranked = sorted(result.headline_scores(), key=lambda s: s.raw_score)
    keys = [s.key for s in ranked if s.mask_key in result.masks][:2]
    if keys:
        photo.image(
            overlay_image(run.task_id, tuple(keys), (), 0.6, run),
            width="stretch",
            caption="Where to look first: " + ", ".join(s.label for s in ranked[:2]),
        )

"""The Live trial's parts: the trial, visit and participant setup, analysing a captured photo
as the participant's (once), and the participant's large result view."""

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
from ..names import markdown_text, one_line
from ..presentation import charts
from ..runs.lifecycle import Run
from ..store import RunQuery
from .connection import Connection
from .history import read_runs
from .media import overlay_image
from .runflow import execute
from .state import remembered, runs

VISITS = ["baseline", "week 2", "week 4", "week 8", "week 12"]
"""Offered visit names; any other can be typed."""
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
    st.session_state["live_camera_round"] = st.session_state.get("live_camera_round", 0) + 1
    for key in ("live_run", "live_capture_error"):
        st.session_state.pop(key, None)
    if "live_state" in st.session_state:
        st.session_state["live_state"].withdraw()


def setup_panel() -> tuple[str, str, str, bool, AnalysisSettings]:
    """Trial, visit, participant, consent and concerns: (trial, visit, participant, consent,
    settings)."""
    st.header("Trial")
    trial = remembered(
        st.text_input,
        "Trial name",
        value="",
        key="live_trial",
        placeholder="e.g. Serum study, week 1",
    )
    visit = remembered(
        st.selectbox,
        "Visit",
        VISITS,
        key="live_visit",
        accept_new_options=True,
        help="Baseline for a participant's first photo; a follow-up visit for the next ones "
        "(type any other name). The trial summary shows each participant's change.",
    )
    visit = visit_name(visit)
    if "live_participant" not in st.session_state:
        st.session_state["live_participant"] = new_participant_id()
    if visit != VISITS[0] and trial.strip():
        returning_picker(trial.strip(), visit)
    participant = st.text_input(
        "Participant ID",
        key="live_participant",
        help="Typed, the generated one, or a returning participant chosen above.",
    )
    consent = st.checkbox("Consent to photo and analysis given", key="live_consent")
    preset = remembered(
        st.selectbox,
        "Concerns",
        list(PRESET_TITLES),
        key="live_preset",
        format_func=PRESET_TITLES.get,
    )
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
    return trial.strip(), visit, participant.strip(), consent, settings


def visit_name(typed: str | None) -> str:
    """A visit as typed, one line and bounded; "Baseline " and "BASELINE" are the baseline."""
    name = one_line(typed or "", 40) or VISITS[0]
    return VISITS[0] if name.casefold() == VISITS[0] else name


def returning_picker(trial: str, visit: str) -> None:
    """At a follow-up visit, the trial's participants not yet seen at it, to pick from."""
    stored = read_runs(RunQuery(trial=trial, states=("success",)))
    if stored is None:
        st.caption(
            "The history cannot be read, so returning participants cannot be listed: "
            "type the participant's ID."
        )
        return
    seen: dict[str, set[str]] = {}
    for run in stored:
        if run.participant:
            seen.setdefault(run.participant, set()).add(run.visit)
    due = sorted(p for p, visits in seen.items() if visit not in visits)
    if not due:
        st.caption(f"Every participant of this trial has a {markdown_text(visit)} photo.")
        return

    def adopt() -> None:
        if chosen := st.session_state.get("live_returning"):
            next_participant()
            st.session_state["live_participant"] = chosen

    st.selectbox(
        f"Returning participant ({len(due)} due at {markdown_text(visit)})",
        due,
        index=None,
        placeholder="Choose one to take their photo",
        key="live_returning",
        on_change=adopt,
    )


def current_participant_run() -> Run | None:
    return runs().get(st.session_state.get("live_run", ""))


def analyse_photo(
    data: bytes,
    trial: str,
    visit: str,
    participant: str,
    settings,
    conn: Connection,
    check_framing=False,
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
        key=f"live-{uuid.uuid4().hex[:8]}",
        photo=photo.data,
        file="live.jpg",
        source="camera",
        settings=settings,
        backend=conn.backend,
        label=trial,
        trial=trial,
        participant=participant,
        visit=visit,
    )
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
        f'<div style="font-size:clamp(28px,4.2vw,64px);font-weight:700;line-height:1.1;'
        f'white-space:nowrap">{html.escape(value)}</div></div>'
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
            alt="The participant's photo with masks: " + ", ".join(s.label for s in ranked[:2]),
        )

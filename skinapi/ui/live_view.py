"""The Live trial's parts: the trial, visit and participant setup, analysing a captured photo
as the participant's (once), and the participant's large result view."""

from __future__ import annotations

import base64
import html
import uuid
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ..concerns import AnalysisSettings, preset_actions
from ..errors import PhotoError
from ..imaging import live
from ..imaging.overlay import default_colour
from ..imaging.photo import apply_fixes, load_photo
from ..names import one_line
from ..presentation import charts
from ..runs.lifecycle import Run
from . import access, spend_view
from .connection import Connection
from .live_conditions import at_capture, conditions_panel
from .live_participants import next_participant, participant_field
from .mask_view import legend
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


@dataclass(frozen=True)
class Setup:
    """What the facilitator set for the next photo."""

    trial: str
    visit: str
    participant: str
    """'' until given (typed at a baseline, chosen at a follow-up)."""
    consent: bool
    settings: AnalysisSettings
    conditions: dict[str, str]
    """The facilitator's capture conditions (skin, room); the rest is added at capture."""


def setup_panel() -> Setup:
    """Trial, visit, participant, consent, capture conditions and concerns."""
    st.header("Trial")
    trial = remembered(
        st.text_input,
        "Trial name",
        value="",
        key="live_trial",
        placeholder="e.g. Serum study, week 1",
    ).strip()
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
    participant = participant_field(trial, visit, current_participant_run())
    consent = st.checkbox("Consent to photo and analysis given", key="live_consent")
    with st.expander("Capture conditions", icon=":material/light_mode:"):
        conditions = conditions_panel(trial)
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
    spend_view.left_today(settings.units)
    st.button(
        "Next participant",
        key="do_next_participant",
        icon=":material/person_add:",
        width="stretch",
        on_click=next_participant,
        help="A new ID, consent unticked and the screen cleared for the next person, whether "
        "or not this one was photographed.",
    )
    return Setup(trial, visit, participant, consent, settings, conditions)


def missing(setup: Setup) -> list[str]:
    """What capture still waits for, in words; empty when it may capture."""
    follow_up = setup.visit != VISITS[0]
    room = spend_view.allowance()
    capped = room is not None and room.left < setup.settings.units
    return [
        words
        for words, given in (
            ("name the trial", setup.trial),
            (
                "choose the participant" if follow_up else "set the participant ID",
                setup.participant,
            ),
            ("tick consent", setup.consent),
            (f"ask an admin to raise the {room.cap} daily cap" if capped else "", not capped),
        )
        if not given
    ]


def visit_name(typed: str | None) -> str:
    """A visit as typed, one line and bounded; "Baseline " and "BASELINE" are the baseline."""
    name = one_line(typed or "", 40) or VISITS[0]
    return VISITS[0] if name.casefold() == VISITS[0] else name


def current_participant_run() -> Run | None:
    return runs().get(st.session_state.get("live_run", ""))


def analyse_photo(data: bytes, setup: Setup, conn: Connection, check_framing=False) -> bool:
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
        conditions = at_capture(setup.conditions, photo.image.size)
        photo = apply_fixes(photo, ["crop"], "sd")
    except PhotoError as exc:
        st.session_state["live_capture_error"] = f"{exc} Try again."
        return False
    run = Run(
        key=f"live-{uuid.uuid4().hex[:8]}",
        photo=photo.data,
        file="live.jpg",
        source="camera",
        settings=setup.settings,
        backend=conn.backend,
        label=setup.trial,
        trial=setup.trial,
        participant=setup.participant,
        visit=setup.visit,
        conditions=conditions,
        person=access.person().name,
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
    shown = [s for s in ranked if s.mask_key in result.masks][:2]
    if shown:
        keys = [s.key for s in shown]
        with photo:
            legend(keys, {k: default_colour(k) for k in keys}, {s.key: s.label for s in shown})
            st.image(
                overlay_image(run.task_id, tuple(keys), (), 0.6, run),
                width="stretch",
                caption="Where to look first: " + ", ".join(s.label for s in shown),
                alt="The participant's photo with masks: " + ", ".join(s.label for s in shown),
            )

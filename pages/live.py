"""Live trial: a camera with real-time framing guidance and auto-capture, participants with
consent, a large results view for the participant, and the trial's summary."""

import base64
import os
import uuid

import numpy as np
import streamlit as st

from skinapi import charts, compare, exports, live, ui
from skinapi.concerns import AnalysisSettings, preset_actions
from skinapi.errors import PhotoError
from skinapi.photo import apply_fixes, load_photo

ui.routed_by_app()

conn = ui.connection()
st.title("Live trial")
if conn.mode == ui.DEMO:
    st.info(ui.DEMO_NOTICE, icon=":material/science:")


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


participant_view = st.container()
setup, camera_column = st.columns([1, 1.6], gap="large")
with setup:
    st.subheader("Trial")
    trial = ui.remembered(
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
    preset = ui.remembered(
        st.selectbox,
        "Concerns",
        ["all", "tone", "texture", "eyes"],
        key="live_preset",
        format_func=lambda p: {
            "all": "All 16",
            "tone": "Tone & glow",
            "texture": "Texture & pores",
            "eyes": "Eyes",
        }[p],
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

state: live.LiveState = st.session_state.setdefault("live_state", live.LiveState())
ready_to_capture = bool(trial.strip() and participant.strip() and consent)
current = ui.runs().get(st.session_state.get("live_run", ""))
with state.lock:
    state.armed = ready_to_capture and current is None


def analyse_photo(data: bytes, check_framing: bool = False) -> bool:
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
    run = ui.Run(
        f"live-{uuid.uuid4().hex[:8]}",
        photo.data,
        "live.jpg",
        "camera",
        settings,
        conn.mode,
        label=trial.strip(),
        trial=trial.strip(),
        participant=participant.strip(),
    )
    ui.runs()[run.key] = run
    st.session_state["live_run"] = run.key
    st.session_state.pop("live_capture_error", None)
    ui.execute(run, conn.client)
    return True


def take_still(still: dict, check_framing: bool) -> bool:
    """Analyse a still from the browser's photo camera (a base64 JPEG)."""
    try:
        data = base64.b64decode(still["jpeg"], validate=True)
    except (ValueError, TypeError):
        st.session_state["live_capture_error"] = (
            "The photo camera sent an unreadable photo. Try again."
        )
        return False
    return analyse_photo(data, check_framing)


with camera_column:
    st.subheader("Camera")
    if not ready_to_capture:
        st.warning(
            "Name the trial, set the participant ID and tick consent: capture stays off until then.",
            icon=":material/lock:",
        )
    simple = st.toggle(
        "Simple camera (no live guidance)",
        value=os.environ.get("SKINSCOPE_SIMPLE_CAMERA") == "1",
        key="live_simple",
        help="A still photo at 720p instead of the live video; SKINSCOPE_SIMPLE_CAMERA=1 makes it the default.",
    )
    streamer = None if simple else ui.live_camera(state)
    if streamer is None:
        shot = st.camera_input(
            "Take the photo",
            resolution="720p",
            key="photo_live_camera",
            disabled=not ready_to_capture,
        )
        if shot and current is None and ready_to_capture:
            if analyse_photo(shot.getvalue()):
                st.rerun()
    else:
        camera = (
            ui.photo_camera(state.open_request, camera_known=state.photo_size is not None)
            if streamer.state.playing
            else None
        )
        if camera is None:
            state.withdraw()  # the camera was stopped: nothing can answer an open ask
        st.session_state["live_request_shown"] = state.open_request
        if camera is not None:
            if camera.size:
                with state.lock:
                    state.photo_size = camera.size
            if camera.label:
                st.caption(f"Photos are taken at full resolution from: {camera.label}")
            if camera.error:
                st.error(
                    f"The photo camera could not open ({camera.error}). Allow the camera in the "
                    "browser, close other apps using it, or switch on the simple camera.",
                    icon=":material/no_photography:",
                )
            still = camera.still
            # One photo per participant: a still that arrives once a run exists is not used.
            if (
                still
                and current is None
                and ready_to_capture
                and state.still_arrived(still["request"])
                and take_still(still, check_framing=not state.manual)
            ):
                st.rerun()

        @st.fragment(run_every=0.5)
        def guidance_panel():
            if state.overdue():
                st.session_state["live_capture_error"] = (
                    "The photo camera did not answer. Try Capture now, or the simple camera."
                )
                st.rerun(scope="app")
            if state.open_request != st.session_state.get("live_request_shown"):
                st.rerun(scope="app")  # the browser takes the still when the page hands it the ask
            with state.lock:
                guidance, frames, armed = state.guidance, state.frames, state.armed
                photo_size, pending = state.photo_size, state.pending
            st.caption(
                f"{frames} frames · {state.frame_ms:.0f} ms per frame · capture "
                + ("taking the photo…" if pending else "armed" if armed else "off")
                + (f" · photo camera {photo_size[0]}×{photo_size[1]}" if photo_size else "")
            )
            if guidance is None:
                st.caption("Start the camera: guidance appears on the picture and here.")
                return
            cells = st.columns(len(guidance.checks))
            for cell, check in zip(cells, guidance.checks, strict=True):
                cell.markdown(
                    f"{':green[:material/check_circle:]' if check.ok else ':red[:material/cancel:]'} **{check.label}**  \n{check.value}"
                )
            if current is not None:
                st.info("Photo taken: the results are at the top. Next participant when ready.")
                return
            (st.success if guidance.ready else st.warning)(
                guidance.hint()
                if not guidance.ready or ready_to_capture
                else "Ready — tick consent to capture."
            )

        guidance_panel()
        st.button(
            "Capture now",
            key="do_capture",
            disabled=not ready_to_capture or current is not None or camera is None,
            on_click=state.request_capture,
            help="Take the photo now, without waiting for every check to pass.",
        )
    if error := st.session_state.get("live_capture_error"):
        st.error(error, icon=":material/crop:")

current = ui.runs().get(st.session_state.get("live_run", ""))
if current is not None:
    # The participant's result goes first, large, where they look; the camera stays below.
    with participant_view:
        if current.state == "success":
            ui.kiosk_view(current)
        elif current.error:
            ui.show_error(current.error)
        st.button(
            "Next participant",
            key="do_next_participant_top",
            icon=":material/person_add:",
            type="primary",
            on_click=next_participant,
        )
        st.divider()

if trial.strip():
    st.divider()
    st.subheader(f"Trial summary · {trial.strip()}")
    store = ui.history()
    trial_runs = [
        r
        for r in (store.list() if store else [])
        if r.trial == trial.strip() and r.state == "success"
    ]
    if not trial_runs:
        st.caption("No analysed participants in this trial yet.")
    else:
        st.markdown(
            f"**{len(trial_runs)} participant{'s' if len(trial_runs) != 1 else ''} analysed** · {sum(r.units for r in trial_runs)} units"
        )
        summary, radar = st.columns([1.4, 1])
        summary.plotly_chart(
            charts.strip_plot(compare.trial_scores(trial_runs)),
            key="live_strip",
            config={"displayModeBar": False},
        )
        radar.plotly_chart(
            charts.radar([("Trial mean", compare.mean_scores(trial_runs))], height=380),
            key="live_mean_radar",
            config={"displayModeBar": False},
        )
        st.download_button(
            "Export the trial (CSV)",
            lambda: exports.runs_csv(trial_runs),
            f"trial-{trial.strip()}.csv",
            "text/csv",
            key="do_export_trial",
            on_click="ignore",
        )

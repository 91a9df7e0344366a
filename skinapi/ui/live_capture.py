"""The Live trial's camera column: the live video with its guidance panel and auto-capture, the
full-resolution photo camera, or the simple camera; each photo goes to `take(data, check)`."""

from __future__ import annotations

import os
from collections.abc import Callable

import streamlit as st

from ..imaging.live import LiveState
from ..names import markdown_text
from .camera import live_camera, photo_camera
from .live_conditions import remember_camera
from .live_ghost import ghost_controls

START_HINT = "Start the camera: guidance appears on the picture and here."

Take = Callable[[bytes, bool], bool]
"""Analyse a photo (bytes, check its framing again); whether it was used."""


def camera_panel(
    state: LiveState, missing: list[str], has_run: bool, take: Take, still_bytes
) -> None:
    """`missing`: what capture still waits for, in words (empty when it may capture)."""
    st.header("Camera")
    ready = not missing
    # One slot whether or not it holds the notice: the video keeps its place in the page, and
    # the browser keeps the camera running when consent is ticked or cleared.
    notice = st.empty()
    if missing:
        notice.warning(
            f"Capture stays off until you {' and '.join(missing)}.", icon=":material/lock:"
        )
    simple = st.toggle(
        "Simple camera (no live guidance)",
        value=os.environ.get("SKINSCOPE_SIMPLE_CAMERA") == "1",
        key="live_simple",
        help="A still photo at 720p instead of the live video; SKINSCOPE_SIMPLE_CAMERA=1 makes it the default.",
    )
    if simple:
        remember_camera("", simple=True)
        with state.lock:
            state.reference = None  # the simple camera has no video to line up
    else:
        ghost_controls(state)
    video, checks = st.columns([1.15, 1], gap="medium")
    with video:
        streamer = None if simple else live_camera(state)
        if streamer is not None and streamer.state.playing:
            diagnostics(state)
    if streamer is None:
        shot = st.camera_input(
            "Take the photo", resolution="720p", key=simple_camera_key(), disabled=not ready
        )
        if shot and not has_run and ready and take(shot.getvalue(), False):
            st.rerun()
    else:
        # The checks and Capture sit beside the video, so all three fit a laptop's screen.
        with checks:
            camera = _photo_camera_panel(state, streamer, ready, has_run, take, still_bytes)
            if streamer.state.playing:
                guidance_panel(state, ready, has_run)
            else:  # nothing to follow: no redraw twice a second while the camera is off
                st.caption(START_HINT)
            st.button(
                "Capture now",
                key="do_capture",
                disabled=not ready or has_run or camera is None,
                on_click=state.request_capture,
                help="Take the photo now, without waiting for every check to pass.",
            )
    if error := st.session_state.get("live_capture_error"):
        st.error(error, icon=":material/crop:")


def simple_camera_key() -> str:
    """A new camera widget per participant: the last one still holds the previous person's
    photo, which ticking consent would otherwise send as the next person's."""
    return f"photo_live_camera_{st.session_state.get('live_camera_round', 0)}"


def _photo_camera_panel(state, streamer, ready, has_run, take, still_bytes):
    camera = (
        photo_camera(state.open_request, camera_known=state.photo_size is not None)
        if streamer.state.playing
        else None
    )
    if camera is None:
        state.withdraw()  # the camera was stopped: nothing can answer an open ask
    st.session_state["live_request_shown"] = state.open_request
    if camera is None:
        return None
    if camera.size:
        with state.lock:
            state.photo_size = camera.size
    if camera.label:
        remember_camera(camera.label, simple=False)
        st.caption(f"Photos are taken at full resolution from: {markdown_text(camera.label)}")
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
        and not has_run
        and ready
        and state.still_arrived(still["request"])
        and (data := still_bytes(still)) is not None
        and take(data, not state.manual)
    ):
        st.rerun()
    return camera


@st.fragment(run_every=2)
def diagnostics(state: LiveState) -> None:
    """How the checking keeps up, under the video: for the facilitator, not the participant."""
    with state.lock:
        frames, armed = state.frames, state.armed
        photo_size, pending = state.photo_size, state.pending
    st.caption(
        f"{frames} frames checked · {state.frame_ms:.0f} ms to check each · capture "
        + ("taking the photo…" if pending else "armed" if armed else "off")
        + (f" · photo camera {photo_size[0]}×{photo_size[1]}" if photo_size else "")
    )


def guidance_panel(state: LiveState, ready: bool, has_run: bool) -> None:
    @st.fragment(run_every=0.5)
    def panel():
        if state.overdue():
            st.session_state["live_capture_error"] = (
                "The photo camera did not answer. Try Capture now, or the simple camera."
            )
            st.rerun(scope="app")
        if state.open_request != st.session_state.get("live_request_shown"):
            st.rerun(scope="app")  # the browser takes the still when the page hands it the ask
        with state.lock:
            guidance = state.guidance
        if guidance is None:
            st.caption(START_HINT)
            return
        for check in guidance.checks:
            icon = ":green[:material/check_circle:]" if check.ok else ":red[:material/cancel:]"
            st.markdown(f"{icon} **{check.label}** · {check.value}")
        if has_run:
            st.info("Photo taken: the results are at the top. Next participant when ready.")
            return
        (st.success if guidance.ready else st.warning)(
            guidance.hint() if not guidance.ready or ready else "Ready — tick consent to capture."
        )

    panel()

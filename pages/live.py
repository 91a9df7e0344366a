"""Live trial: a camera with real-time framing guidance and auto-capture, participants with
consent, a large results view for the participant (at a follow-up, their before/after), and
the trial's summary."""

import streamlit as st

from skinapi.imaging.live import LiveState
from skinapi.ui import connection, live_capture, live_view, messages, trial_view
from skinapi.ui.access import require
from skinapi.ui.frame import enter_page
from skinapi.ui.messages import show_error
from skinapi.ui.participant_view import participant_result

enter_page()
require("operator")

conn = connection.connection()
st.title("Live trial")
if conn.mode == connection.DEMO:
    messages.demo_notice()

participant_view = st.container()
setup_column, camera_column = st.columns([1, 1.6], gap="large")
with setup_column:
    setup = live_view.setup_panel()

state: LiveState = st.session_state.setdefault("live_state", LiveState())
missing = live_view.missing(setup)
current = live_view.current_participant_run()
with state.lock:
    state.armed = not missing and current is None


def take(data: bytes, check_framing: bool) -> bool:
    return live_view.analyse_photo(data, setup, conn, check_framing)


with camera_column:
    live_capture.camera_panel(state, missing, current is not None, take, live_view.still_bytes)

current = live_view.current_participant_run()
if current is not None:
    # The participant's result goes first, large, where they look; the camera stays below.
    with participant_view:
        if current.not_saved:
            st.warning(f"Not saved in the run store: {current.not_saved}", icon=":material/save:")
        if current.state == "success":
            participant_result(current)
        elif current.error:
            show_error(current.error)
        st.button(
            "Next participant",
            key="do_next_participant_top",
            icon=":material/person_add:",
            type="primary",
            on_click=live_view.next_participant,
        )
        st.divider()

if setup.trial:
    trial_view.trial_summary(setup.trial)

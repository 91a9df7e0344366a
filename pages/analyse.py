"""Analyse: a photo from the camera, an upload or the sample → checks → concerns → run."""

import streamlit as st

from skinapi.ui import analyse_photo, analyse_run, analyse_settings, connection, messages, runflow
from skinapi.ui.access import require
from skinapi.ui.frame import enter_page

enter_page()
require("operator")

conn = connection.connection()
st.title("Analyse a face")
if conn.mode == connection.DEMO:
    messages.demo_notice()
elif conn.client is None:
    st.warning(
        connection.key_refusal()
        or "Live mode needs an API key: add it on the Settings page, or switch to Demo."
    )

# Runs interrupted by a rerun or a page switch carry on from their stored task_id.
if finished := runflow.finish_interrupted(conn.client):
    st.session_state["current_run"] = finished.key
    st.switch_page("pages/results.py")

photo_column, settings_column = st.columns([1.1, 1], gap="large")
with settings_column:
    quality, settings = analyse_settings.settings_panel()
with photo_column:
    photo = analyse_photo.photo_panel(quality)
with settings_column:
    analyse_run.run_panel(photo, settings, conn)

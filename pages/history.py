"""History: every run kept across restarts — filter, open, label, export, delete, purge."""

import streamlit as st

from skinapi.ui import history_view
from skinapi.ui.frame import enter_page
from skinapi.ui.history import history, read_runs
from skinapi.ui.runflow import resume_stored_runs

enter_page()

st.title("History")
if history_view.way_out():
    st.stop()

store = history()
resume_stored_runs()
runs = read_runs()
if runs is None:  # reading failed just now: say why, offer the way out
    history_view.way_out()
    st.stop()
history_view.unreadable_note(store)
if not runs:
    st.info(
        "No runs yet. Every analysis is kept here, with its photo, masks and scores.",
        icon=":material/history:",
    )
    st.page_link("pages/analyse.py", label="Analyse a photo", icon=":material/photo_camera:")
    st.stop()

shown = history_view.filters(runs).apply(runs)
st.caption(
    f"{len(shown)} of {len(runs)} runs · {store.size_on_disk() / 1e6:.1f} MB on disk at `{store.path.parent}`"
)
picked = history_view.run_table(shown, store)
if picked:
    history_view.selection_actions(picked, store)

st.divider()
ledger_column, privacy_column = st.columns([1.4, 1], gap="large")
with ledger_column:
    history_view.ledger(runs)
with privacy_column:
    history_view.privacy(runs, store)

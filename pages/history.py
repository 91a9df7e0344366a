"""History: every run kept across restarts — filter, page, open, label, export, delete, purge."""

import streamlit as st

from skinapi.store import RunQuery
from skinapi.ui import history_detail, history_view
from skinapi.ui.access import require
from skinapi.ui.frame import enter_page
from skinapi.ui.history_export import export_matching
from skinapi.ui.run_store import ask_run_store, run_store
from skinapi.ui.runflow import resume_stored_runs

enter_page()
require("viewer")

st.title("History")
if history_view.way_out():
    st.stop()

store = run_store()
resume_stored_runs()
everything = ask_run_store(lambda s: s.totals(RunQuery()))
if everything is None:  # reading failed just now: say why, offer the way out
    history_view.way_out()
    st.stop()
if not everything.runs:
    st.info(
        "No runs yet. Every analysis is kept here, with its photo, masks and scores.",
        icon=":material/history:",
    )
    st.page_link("pages/analyse.py", label="Analyse a photo", icon=":material/photo_camera:")
    st.stop()

query = history_view.filters(everything)
matching = ask_run_store(lambda s: s.totals(query).runs) or 0
page = ask_run_store(lambda s: s.query(history_view.page_of(query, matching)))
if page is None:
    history_view.way_out()
    st.stop()
history_view.unreadable_note(store)
st.caption(
    f"{page.total:,} of {everything.runs:,} run{'' if everything.runs == 1 else 's'} · {store.size_on_disk() / 1e6:.1f} MB on disk at `{store.where}`"
)
picked = history_view.run_table(page.runs, store)
if picked:
    history_detail.detail_pane(picked, store)
    history_view.selection_actions(picked, store)
export_matching(store, query, page.total)

st.divider()
ledger_column, privacy_column = st.columns([1.4, 1], gap="large")
with ledger_column:
    history_view.ledger(store, everything)
with privacy_column:
    history_view.privacy(everything, store)

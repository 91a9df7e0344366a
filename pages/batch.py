"""Batch: a photo set analysed at the rate limit's full speed, then read as a cohort."""

import streamlit as st

from skinapi.ui import batch_view, cohort_view, connection, messages
from skinapi.ui.access import require
from skinapi.ui.frame import enter_page
from skinapi.ui.run_store import run_store
from skinapi.ui.state import remembered

enter_page()
require("operator")

conn = connection.connection()
st.title("Batch")
if conn.mode == connection.DEMO:
    messages.demo_notice()
st.caption(
    "A folder or ZIP of photos, each checked first; every task is recorded before it is created, "
    "so a stopped batch resumes without paying twice. Requests stay within the API's limits "
    "(5 per second, 250 per 5 minutes)."
)

files = batch_view.choose_input()
meta_file = st.file_uploader(
    "Meta CSV (optional): a `file` column naming each photo, and any others (group, device…)",
    type=["csv"],
    key="batch_meta",
)
settings = batch_view.choose_settings()
plan = batch_view.plan(files, meta_file, settings) if files is not None else None
if plan is not None:
    batch_view.show_plan(plan)
# The name beside its button: a name another batch holds is refused right here, not a plan
# away from where it was typed.
batch = remembered(st.text_input, "Batch name", value=batch_view.default_name(), key="batch_name")
batch = batch.strip()[:80]
if plan is not None:
    batch_view.run_controls(plan, batch, conn)

shown = st.session_state.get("batch_name_shown") or batch
batch_view.progress(shown)

store = run_store()
if store is not None:
    st.divider()
    st.header("Cohort")
    chosen = cohort_view.choose_batch(store, shown)
    if chosen:
        stored = store.batch_runs(chosen)
        cohort_view.cohort_view(store, chosen, stored)
        st.markdown("### Paired comparison")
        cohort_view.paired_view(store, chosen, stored)

"""Audit: who signed in, ran, exported, deleted, purged and changed what — admins only."""

import streamlit as st

from skinapi.ui import audit_view
from skinapi.ui.access import require
from skinapi.ui.frame import enter_page
from skinapi.ui.run_store import run_store

enter_page()
require("admin")

st.title("Audit trail")
st.caption(
    "Append-only, in the run store: nothing in the app edits or deletes an entry, and a purge "
    "keeps them (and adds its own)."
)
store = run_store()
if store is None:
    st.error("The run store cannot be opened, so neither can its audit trail (see History).")
else:
    audit_view.audit_view(store)

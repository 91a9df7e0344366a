"""Compare: 2–4 runs on one radar, a delta table, overlays side by side, and repeatability."""

import streamlit as st

from skinapi.backends import EMULATOR
from skinapi.statistics import demo_limits, tables
from skinapi.ui import compare_view, messages
from skinapi.ui.access import require
from skinapi.ui.frame import enter_page
from skinapi.ui.run_store import read_runs, run_store

enter_page()
require("viewer")

st.title("Compare runs")
store, stored = run_store(), read_runs()
if store is None or stored is None:
    st.error("The run store cannot be read; the History page says why and offers a way out.")
    st.page_link("pages/history.py", label="Go to History", icon=":material/history:")
    st.stop()
done = [r for r in stored if r.state == "success"]
if len(done) < 2:
    st.info(
        "Compare needs at least two finished runs. Analyse a photo with different settings, then come back.",
        icon=":material/compare:",
    )
    st.page_link("pages/analyse.py", label="Analyse a photo", icon=":material/photo_camera:")
    st.stop()

chosen = compare_view.pick_runs(done)
if len(chosen) < 2:
    st.info("Pick at least two runs.")
    st.stop()

if any(r.backend == EMULATOR for r in chosen):
    messages.demo_notice()
for warning in tables.mixing_warnings(chosen):
    st.warning(warning, icon=":material/warning:")
if by_construction := demo_limits.zero_by_construction(chosen):
    st.info(by_construction, icon=":material/science:")

use_raw = compare_view.radar_and_deltas(chosen)
compare_view.masks_side_by_side(store, chosen)
st.divider()
compare_view.repeatability(done, use_raw)

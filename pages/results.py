"""Results: headline numbers, radar charts beside mask overlays, the score table and downloads."""

import streamlit as st

from skinapi.ui import mask_view, results_view
from skinapi.ui.access import require
from skinapi.ui.frame import enter_page
from skinapi.ui.run_store import latest_result
from skinapi.ui.state import current_run

enter_page()
require("viewer")

run = current_run()
st.title("Results")
if run is None or run.state != "success":
    latest = latest_result()
    if latest is None:
        st.info("No result to show yet. Analyse a photo first.", icon=":material/biotech:")
        st.page_link("pages/analyse.py", label="Go to Analyse", icon=":material/photo_camera:")
        st.stop()
    if run is not None:
        st.info(
            "The last run did not finish (Analyse says why); this is the latest result.",
            icon=":material/history:",
        )
    run = latest

results_view.run_header(run)
if run.result.missing:
    st.warning(
        f"A partial answer: {len(run.result.missing)} of the {len(run.settings.actions)} "
        f"concerns asked for did not come back ({', '.join(run.result.missing)}). The others "
        "are shown.",
        icon=":material/rule:",
    )
if run.not_saved:
    st.warning(
        f"Not saved in the run store: {run.not_saved} The result is here for this session only: "
        "download it below (JSON, CSV, masks).",
        icon=":material/save:",
    )
results_view.headline(run)

with st.container(key="results_first_screen"):  # side by side on a phone too
    chart_column, mask_column = st.columns(2, gap="large")
    with chart_column:
        use_raw, focus = results_view.radar_column(run)
    with mask_column:
        mask_view.mask_column(run, focus)

results_view.regional(run, use_raw)
results_view.score_table(run)
results_view.downloads(run)

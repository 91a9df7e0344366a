"""History: every run kept across restarts — filter, open, label, export, delete, purge."""

from datetime import date, datetime

import streamlit as st

from skinapi import compare, exports, ui
from skinapi.concerns import CONCERNS

ui.routed_by_app()

st.title("History")
problem = ui.history_problem()
if problem:
    ui.show_error(problem.as_dict())
    st.caption(f"History file: `{ui.store_path()}`")
    if st.button(
        "Start a fresh history (the old file is kept beside it)",
        key="do_fresh_history",
        type="primary",
    ):
        ui.start_fresh_history()
        st.rerun()
    st.stop()

store = ui.history()
ui.resume_stored_runs()
runs = store.list()
if not runs:
    st.info(
        "No runs yet. Every analysis is kept here, with its photo, masks and scores.",
        icon=":material/history:",
    )
    st.page_link("pages/analyse.py", label="Analyse a photo", icon=":material/photo_camera:")
    st.stop()

first_day = datetime.fromtimestamp(min(r.created for r in runs)).date()
filters = st.columns([1.5, 1, 1, 1, 1, 1.2, 1.5])
days = ui.remembered(
    filters[0].date_input, "Dates", value=(first_day, date.today()), key="history_dates"
)
modes = ui.remembered(
    filters[1].multiselect, "Mode", ["demo", "live"], key="history_mode", placeholder="all"
)
qualities = ui.remembered(
    filters[2].multiselect, "Quality", ["SD", "HD"], key="history_quality", placeholder="all"
)
versions = ui.remembered(
    filters[3].multiselect, "Version", ["v2.1", "v2.0"], key="history_version", placeholder="all"
)
states = ui.remembered(
    filters[4].multiselect,
    "State",
    list(compare.STATE_LABELS),
    key="history_state",
    placeholder="all",
)
text = ui.remembered(filters[5].text_input, "Label contains", key="history_label")
concerns = ui.remembered(
    filters[6].multiselect,
    "Has concern",
    sorted({c.label for c in CONCERNS.values()}),
    key="history_concern",
    placeholder="any",
)
start_day, end_day = (*days, date.today())[:2] if days else (first_day, date.today())
shown = [
    r
    for r in runs
    if start_day <= datetime.fromtimestamp(r.created).date() <= end_day
    and (not modes or r.mode in modes)
    and (not versions or r.api_version in versions)
    and (not qualities or compare.mode_of(r.actions).upper() in qualities)
    and (not states or r.state in states)
    and (not text or text.lower() in (r.label + " " + r.note).lower())
    and (not concerns or set(concerns) <= {CONCERNS[a].label for a in r.actions if a in CONCERNS})
]
st.caption(
    f"{len(shown)} of {len(runs)} runs · {store.size_on_disk() / 1e6:.1f} MB on disk at `{store.path.parent}`"
)
selection = st.dataframe(
    compare.table_rows(shown, store.thumbnails()),
    hide_index=True,
    width="stretch",
    height=min(600, 38 + 35 * len(shown)) if shown else 80,
    on_select="rerun",
    selection_mode="multi-row",
    key="history_table",
    column_config={
        "Photo": st.column_config.ImageColumn("Photo", width="small"),
        "When": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm:ss"),
        "Overall": st.column_config.NumberColumn("Overall", format="%.0f"),
        "Run": None,
    },
)
picked = [shown[i] for i in selection.selection.rows if i < len(shown)]

if picked:
    st.markdown(f"**{len(picked)} selected**")
    actions = st.columns(5)
    if len(picked) == 1 and picked[0].state == "success":
        if actions[0].button("Open in Results", key="do_open_run", type="primary", width="stretch"):
            ui.open_in_results(picked[0])
    if 2 <= len(picked) <= 4:
        if actions[0].button("Compare", key="do_compare", type="primary", width="stretch"):
            st.session_state["compare_ids"] = [r.id for r in picked]
            st.switch_page("pages/compare.py")
    actions[1].download_button(
        "Export JSON",
        lambda: exports.runs_json(picked),
        "skinscope-runs.json",
        "application/json",
        key="do_export_json",
        width="stretch",
        on_click="ignore",
    )
    actions[2].download_button(
        "Export CSV",
        lambda: exports.runs_csv(picked),
        "skinscope-runs.csv",
        "text/csv",
        key="do_export_csv",
        width="stretch",
        on_click="ignore",
    )
    actions[3].download_button(
        "ZIP bundle",
        lambda: exports.bundle_zip(store, picked),
        "skinscope-runs.zip",
        "application/zip",
        key="do_export_zip",
        width="stretch",
        on_click="ignore",
    )
    if len(picked) == 1:
        run = picked[0]
        if run.state == "success":
            actions[4].download_button(
                "HTML report",
                lambda: exports.html_report(store, run),
                f"skinscope-{run.id}.html",
                "text/html",
                key="do_export_html",
                width="stretch",
                on_click="ignore",
            )
        with st.container(border=True):
            st.markdown(
                f"**Run {run.id}** · task `{run.task_id or '—'}` · {compare.STATE_LABELS.get(run.state, run.state)}"
            )
            if run.error_message:
                st.caption(run.error_message)
            with st.form("history_edit"):
                label = st.text_input("Label or tag", value=run.label)
                note = st.text_area("Note", value=run.note, height=80)
                if st.form_submit_button("Save"):
                    store.update(run.id, label=label, note=note)
                    st.rerun()
            st.download_button(
                "Debug bundle (what was sent and received)",
                lambda: exports.debug_bundle(store, run),
                f"skinscope-debug-{run.id}.zip",
                "application/zip",
                key="do_debug_bundle",
                on_click="ignore",
                help="Request bodies (no key), task_id, x-request-ids, poll timeline, raw answers, timings.",
            )
    with st.expander(f"Delete {len(picked)} run(s)"):
        st.caption(
            "Deleting locally removes the photo, masks and scores from this machine. Deleting at the API too removes the task, its input and outputs on YouCam's side."
        )
        local, remote = st.columns(2)
        if local.button("Delete locally", key="do_delete_local", width="stretch"):
            for run in picked:
                store.delete(run.id)
            st.rerun()
        if remote.button("Delete locally and at the API", key="do_delete_remote", width="stretch"):
            failures = ui.delete_runs_everywhere(store, picked)
            for failure in failures:
                st.warning(failure)
            if not failures:
                st.rerun()

st.divider()
ledger_column, privacy_column = st.columns([1.4, 1], gap="large")
with ledger_column:
    st.subheader("Units ledger")
    ledger = compare.ledger(runs)
    spent = sum(r.units for r in runs)
    st.markdown(
        f"**{spent} units** spent over {sum(1 for r in runs if r.state == 'success')} successful runs (documented table; demo units are the emulator's)."
    )
    by_day, by_label = st.columns(2)
    by_day.dataframe(ledger["day"], hide_index=True, width="stretch")
    by_label.dataframe(ledger["label"], hide_index=True, width="stretch")
    key, _ = ui.find_key()
    if key and st.button("Read the live balance", key="do_live_balance"):
        ui.show_balance()
with privacy_column:
    st.subheader("Privacy")
    st.caption(
        "The API key is never stored. Purging removes every run, photo and mask on this machine; it does not delete tasks at the API (use “Delete locally and at the API” for that)."
    )
    confirm = st.checkbox(
        f"Yes, delete all {len(runs)} runs and their files", key="do_confirm_purge"
    )
    if st.button("Purge all local data", key="do_purge", disabled=not confirm):
        store.purge()
        st.session_state.pop("runs", None)
        st.rerun()

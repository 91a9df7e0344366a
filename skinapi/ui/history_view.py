"""The History page's parts: the way out of a broken run store, filters, the run table, what
can be done with a selection (open, compare, export, label, delete), the units ledger, purge."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import date, datetime, timedelta

import streamlit as st

from ..backends import BACKENDS
from ..concerns import CONCERNS
from ..names import markdown_text
from ..presentation import exports, report
from ..statistics import tables
from ..store import DATABASE_URL, ORDERS, RunQuery, RunRecord, RunStore, RunTotals
from ..store.states import STATE_LABELS
from . import access, batch_job
from .audit_log import audited, record
from .connection import LIVE, find_key, show_balance
from .messages import show_error
from .run_store import (
    delete_runs_everywhere,
    open_in_results,
    run_store_problem,
    start_fresh_run_store,
)
from .run_store import store_path as run_store_path
from .state import remembered


def way_out() -> bool:
    """When the run store cannot be used: why, and a fresh start; True if it was shown."""
    problem = run_store_problem()
    if not problem:
        return False
    show_error(problem.as_dict())
    st.caption(f"Run store file: `{run_store_path()}`")
    if failure := st.session_state.pop("history_fresh_failed", None):
        st.error(failure, icon=":material/folder_off:")
    if os.environ.get(DATABASE_URL):  # a team's database is its admins' to mend, not ours
        st.caption("The next run of this page asks the shared store again.")
        return True
    if st.button(
        "Start a fresh run store (the old file is kept beside it)",
        key="do_fresh_history",
        type="primary",
    ):
        if failed := start_fresh_run_store():
            st.session_state["history_fresh_failed"] = str(failed)
        st.rerun()
    return True


def unreadable_note(store: RunStore) -> None:
    if store.unreadable:
        st.warning(
            f"{len(store.unreadable)} stored run(s) are damaged and left out: "
            + ", ".join(store.unreadable[:5])
            + ". The others are shown; export what you need, or start a fresh run store.",
            icon=":material/report:",
        )


def filters(everything: RunTotals) -> RunQuery:
    """What the user filters by, as the query the store answers (no page yet)."""
    now = time.time()
    # The oldest run's time comes from every row, a damaged one too: within 1970 and now.
    first_day = datetime.fromtimestamp(min(max(everything.first or now, 0), now)).date()
    # Keyed so that a phone shows them two to a row (frame.PAGE_STYLE), not seven screens tall.
    cells = st.container(key="history_filters").columns([2.7, 1, 1, 1, 1, 1.1, 1.1, 1.4])
    days = remembered(
        cells[0].date_input, "Dates", value=(first_day, date.today()), key="history_dates"
    )
    start_day, end_day = (*days, date.today())[:2] if days else (first_day, date.today())
    choices = (
        (cells[1], "Backend", list(BACKENDS), "history_backend", "all"),
        (cells[2], "Quality", ["SD", "HD"], "history_quality", "all"),
        (cells[3], "Version", ["v2.1", "v2.0"], "history_version", "all"),
        (cells[4], "State", list(STATE_LABELS), "history_state", "all"),
    )
    backends, qualities, versions, states = (
        remembered(cell.multiselect, title, options, key=key, placeholder=placeholder)
        for cell, title, options, key, placeholder in choices
    )
    text = remembered(cells[5].text_input, "Label contains", key="history_label")
    person = remembered(
        cells[6].text_input,
        "Person",
        key="history_person",
        placeholder="anyone",
        help="Who ran it: part of a name or an e-mail address, any case.",
    )
    concerns = remembered(
        cells[7].multiselect,
        "Has concern",
        sorted({c.label for c in CONCERNS.values()}),
        key="history_concern",
        placeholder="any",
    )
    return RunQuery(
        since=_midnight(start_day),
        until=_midnight(end_day + timedelta(days=1)),
        backends=tuple(backends),
        qualities=tuple(q.lower() for q in qualities),
        versions=tuple(versions),
        states=tuple(states),
        text=text,
        concerns=tuple(concerns),
        person=person.strip(),
    )


def _midnight(day: date) -> float:
    return datetime.combine(day, datetime.min.time()).timestamp()


PAGE_SIZES = (25, 50, 100)


def page_of(query: RunQuery, matching: int) -> RunQuery:
    """The order and the page to show, chosen beside the table; back to the first page (and no
    selection) when the filters or the order change."""
    paging = st.container(key="history_paging")  # one row on a phone too (frame.PAGE_STYLE)
    order_cell, size_cell, page_cell, count_cell, _ = paging.columns(
        [1.5, 1, 0.8, 0.7, 4], gap="small"
    )
    order = remembered(
        order_cell.selectbox, "Order", list(ORDERS), format_func=ORDERS.get, key="history_order"
    )
    size = remembered(size_cell.selectbox, "Per page", PAGE_SIZES, index=1, key="history_size")
    pages = max(1, -(-matching // size))
    asked = replace(query, order=order)
    if st.session_state.get("history_asked") != (asked, size):
        st.session_state["history_asked"] = (asked, size)
        st.session_state["history_page"] = 1
        _forget_selection()
    st.session_state["history_page"] = min(st.session_state.get("history_page", 1), pages)
    number = page_cell.number_input(
        "Page", min_value=1, max_value=pages, step=1, key="history_page"
    )
    count_cell.markdown(
        f"<div style='padding-top:2.1rem'>of {pages:,}</div>", unsafe_allow_html=True
    )
    return replace(asked, offset=(number - 1) * size, limit=size)


def run_table(shown: list[RunRecord], store: RunStore) -> list[RunRecord]:
    """The page's runs, each with its thumbnail (only this page's are read); the ones the user
    selected."""
    if not shown:
        st.info(
            "No stored run matches these filters. Widen the dates, or clear the label, person "
            "and other filters above.",
            icon=":material/filter_alt_off:",
        )
        return []
    selection = st.dataframe(
        tables.table_rows(shown, store.thumbnails([r.id for r in shown])),
        hide_index=True,
        width="stretch",
        height=min(600, 38 + 35 * len(shown)),
        on_select="rerun",
        selection_mode="multi-row",
        key="history_table",
        column_config={
            "Photo": st.column_config.ImageColumn("Photo", width="medium"),
            "Note": st.column_config.TextColumn("Note", width="medium"),
            "Label": st.column_config.TextColumn("Label", width="medium"),
            "Conditions": st.column_config.TextColumn(
                "Conditions", help="How a trial's photo was taken", width="medium"
            ),
            "When": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm:ss"),
            "Run": None,
        },
    )
    return [shown[i] for i in selection.selection.rows if i < len(shown)]


def selection_actions(picked: list[RunRecord], store: RunStore) -> None:
    st.markdown(f"**{len(picked)} selected**")
    cells = st.columns(5)
    if len(picked) == 1 and picked[0].state == "success":
        if cells[0].button("Open in Results", key="do_open_run", type="primary", width="stretch"):
            open_in_results(picked[0])
    if 2 <= len(picked) <= 4:
        if cells[0].button("Compare", key="do_compare", type="primary", width="stretch"):
            st.session_state["compare_ids"] = [r.id for r in picked]
            st.switch_page("pages/compare.py")
    files = [
        ("Export JSON", lambda: exports.runs_json(picked), ".json", "application/json", "json"),
        ("Export CSV", lambda: exports.runs_csv(picked), ".csv", "text/csv", "csv"),
        ("ZIP bundle", lambda: exports.bundle_zip(store, picked), ".zip", "application/zip", "zip"),
        (
            "HTML report",
            lambda: report.selection_report(store, picked),
            ".html",
            "text/html",
            "html",
        ),
    ]
    files = [
        (title, data, exports.runs_name(picked, suffix), kind, f"do_export_{key}")
        for title, data, suffix, kind, key in files
    ]
    for cell, (title, data, name, kind, key) in zip(cells[1:], files, strict=False):
        cell.download_button(
            title,
            audited("download", data, file=title, runs=[r.id for r in picked]),
            name,
            kind,
            key=key,
            width="stretch",
            on_click="ignore",
        )
    if len(picked) == 1:
        edit_panel(picked[0], store)
    if not access.may("operator"):
        st.caption("Labels, notes and deleting need the operator role; you may view and export.")
        return
    busy = batch_busy()
    if st.button(
        f"Delete {len(picked)} run{'s' if len(picked) > 1 else ''}…",
        key="do_delete",
        icon=":material/delete:",
        disabled=busy is not None,
        help=busy,
    ):
        delete_dialog(picked, store)


MAX_LABEL_CHARS = 80
MAX_NOTE_CHARS = 2000


def _edited(typed: str, stored: str, most: int) -> str:
    """What to store of a field: unchanged as it was, else trimmed and capped."""
    return stored if typed == stored else typed.strip()[:most]


def edit_panel(run: RunRecord, store: RunStore) -> None:
    with st.container(border=True):
        st.markdown(
            f"**Run {run.id}** · task `{run.task_id or '—'}` · {STATE_LABELS.get(run.state, run.state)}"
        )
        if run.error_message:
            st.caption(run.error_message)
        may_edit = access.may("operator")
        with st.form("history_edit"):
            # The caps never cut what is stored already: a batch's name can be longer, and
            # Streamlit cuts a longer value silently, which renamed the run on any save.
            label = st.text_input(
                "Label or tag", value=run.label, max_chars=max(MAX_LABEL_CHARS, len(run.label))
            )
            note = st.text_area(
                "Note", value=run.note, height=80, max_chars=max(MAX_NOTE_CHARS, len(run.note))
            )
            # Checked on the click too: a disabled button is the browser's word, not the server's
            if st.form_submit_button("Save", disabled=not may_edit) and may_edit:
                # Spaces alone are no label: they made a nameless group in the units ledger.
                label = _edited(label, run.label, MAX_LABEL_CHARS)
                note = _edited(note, run.note, MAX_NOTE_CHARS)
                store.update(run.id, label=label, note=note)
                st.toast(f"Saved the label and note of run {run.id}.", icon=":material/check:")
                st.rerun()
        st.download_button(
            "Debug bundle (what was sent and received)",
            audited("download", lambda: exports.debug_bundle(store, run), file="debug", run=run.id),
            f"skinscope-debug-{run.id}.zip",
            "application/zip",
            key="do_debug_bundle",
            on_click="ignore",
            help="Request bodies (no key), task_id, x-request-ids, poll timeline, raw answers, timings.",
        )


@st.dialog("Delete runs")
def delete_dialog(picked: list[RunRecord], store: RunStore) -> None:
    st.markdown(f"Delete **{len(picked)} run{'' if len(picked) == 1 else 's'}**?")
    st.caption(
        "Deleting locally removes the photo, masks and scores from this machine. Deleting at "
        "the API too removes the task, its input and outputs on YouCam's side."
    )
    st.warning(
        "This cannot be undone: export what you want to keep first (Export JSON or ZIP bundle).",
        icon=":material/warning:",
    )
    cancel, local, remote = st.columns([1, 1, 1.6])
    if cancel.button("Cancel", key="do_delete_cancel", width="stretch"):
        st.rerun()
    if not access.may("operator"):  # the role may have changed since the dialog opened
        st.error("Deleting runs needs the operator role.")
        return
    if local.button("Delete locally", key="do_delete_local", width="stretch"):
        for run in picked:
            store.delete(run.id)
        record("delete", runs=[r.id for r in picked])
        _forget_selection()
        st.rerun()
    if not access.may("admin"):
        remote.caption("Deleting at the API too needs the admin role.")
    elif remote.button("Delete locally and at the API", key="do_delete_remote", width="stretch"):
        failures = delete_runs_everywhere(store, picked)
        record("delete at the API", runs=[r.id for r in picked], kept=failures)
        for failure in failures:
            st.warning(failure)
        if not failures:
            _forget_selection()
            st.rerun()


def _forget_selection() -> None:
    """Selected rows are kept by position: once runs are gone they would point at others."""
    st.session_state.pop("history_table", None)


def ledger(store: RunStore, everything: RunTotals) -> None:
    st.header("Units ledger")
    every_run = RunQuery()
    tallies = tables.ledger(store.tally(every_run, "day"), store.tally(every_run, "label"))
    st.markdown(
        f"**{everything.units} units** spent over {everything.succeeded} successful "
        f"run{'' if everything.succeeded == 1 else 's'} (documented table; demo units are the "
        "emulator's)."
    )
    by_day, by_label = st.columns(2)
    for cell, rows in ((by_day, tallies["day"]), (by_label, tallies["label"])):
        cell.dataframe(rows, hide_index=True, width="stretch", height=min(260, 38 + 35 * len(rows)))
    key, _ = find_key()
    if key and st.button("Read the live balance", key="do_live_balance"):
        show_balance(LIVE)


def privacy(everything: RunTotals, store: RunStore) -> None:
    st.header("Privacy")
    st.caption(
        "The API key is never stored. Purging removes every run, photo and mask on this machine; it does not delete tasks at the API (use “Delete locally and at the API” for that)."
    )
    if not access.may("admin"):
        st.caption("Purging needs the admin role.")
        return
    busy = batch_busy()
    if busy:
        st.caption(busy)
    if st.button(
        "Purge all local data…",
        key="do_purge",
        icon=":material/delete_forever:",
        disabled=busy is not None,
    ):
        purge_dialog(everything.runs, store)


def batch_busy() -> str | None:
    """Why runs cannot be deleted now: a batch writing its results would lose them."""
    running = batch_job.running_job()
    if running is None:
        return None
    return (
        f"A batch ({markdown_text(running.batch)}) is running: deleting now would lose the "
        "results it is saving. Wait for it or stop it on the Batch page."
    )


@st.dialog("Purge all local data")
def purge_dialog(count: int, store: RunStore) -> None:
    runs = f"{count} run" if count == 1 else f"{count} runs"
    st.markdown(f"Delete all **{runs}** and their photos and masks from this machine?")
    st.warning(
        "This cannot be undone, and it does not delete tasks at the API.", icon=":material/warning:"
    )
    confirm = st.checkbox(f"Yes, delete all {runs} and their files", key="do_confirm_purge")
    cancel, purge = st.columns(2)
    if cancel.button("Cancel", key="do_purge_cancel", width="stretch"):
        st.rerun()
    if not access.may("admin"):  # the role may have changed since the dialog opened
        st.error("Purging needs the admin role.")
    elif purge.button(
        "Purge", key="do_purge_confirmed", type="primary", disabled=not confirm, width="stretch"
    ):
        store.purge()
        record("purge", runs=count)
        st.session_state.pop("runs", None)
        _forget_selection()
        st.rerun()

"""The Analyse page's action area: what stops a run, the run button (or the stored result),
repeat series, and the last run's outcome."""

from __future__ import annotations

import time

import streamlit as st

from ..concerns import AnalysisSettings
from ..names import task_end
from ..runs.lifecycle import Run, run_key
from . import access, spend_view
from .analyse_photo import ChosenPhoto
from .connection import LIVE, Connection
from .messages import show_error
from .run_store import adopt_stored_result
from .runflow import execute
from .state import remembered, runs


def blocked_because(photo: ChosenPhoto, settings: AnalysisSettings | None, conn: Connection):
    """Why nothing can be sent yet, in words; None when a run can start."""
    if conn.mode == LIVE and conn.client is None:  # the page's banner says why, and what to do
        return "Live runs cannot be sent yet: see the message at the top of the page."
    if photo.data is None:
        return "Take, upload or pick a photo."
    if photo.report is None:
        return "This photo cannot be read."
    if not photo.report.ok:
        return "Fix the photo's blocking problems first."
    if settings is None:
        return "Choose concerns that can be analysed together."
    return None


def run_panel(photo: ChosenPhoto, settings: AnalysisSettings | None, conn: Connection) -> None:
    reason = blocked_because(photo, settings, conn)
    key = run_key(photo.data, settings, conn.backend) if reason is None else None
    run = runs().get(key) if key else None
    found = st.session_state.setdefault("analyse_found_in_history", set())
    if key and run is None and adopt_stored_result(key, photo.data, settings, conn.backend):
        run = runs()[key]
        found.add(key)
    if run and run.state == "success":
        where = " — found in History" if key in found else ""
        st.success(
            f"This photo was already analysed with these settings{where}: task "
            f"`{task_end(run.task_id)}`. Showing it costs nothing."
        )
        view, again = st.columns([1, 1])
        if view.button("View results", type="primary", key="do_view", width="stretch"):
            st.session_state["current_run"] = run.key
            st.switch_page("pages/results.py")
        start = again.button(
            f"Re-run anyway · {settings.units} units", key="do_rerun", width="stretch"
        )
    else:
        spend_view.left_today(settings.units if settings else 0)
        start = st.button(
            f"Analyse · {settings.units} units" if settings else "Analyse",
            type="primary",
            disabled=reason is not None or bool(run and run.in_flight),
            key="do_run",
            width="stretch",
        )
        if reason:
            st.caption(reason)

    if start and key:
        run = _new_run(key, photo, settings, conn)
        st.session_state["current_run"] = run.key
        execute(run, conn.client)
        if run.state == "success":
            st.switch_page("pages/results.py")

    failed = repeat_panel(photo, settings, conn, reason)
    run = failed or run
    if run and run.state in ("error", "stalled", "expired") and run.error:
        show_error(run.error)
        if run.state == "stalled" and st.button("Resume waiting for this task", key="do_resume"):
            run.wait_again()
            st.rerun()
    if run and run.state == "unsent" and run.error:
        show_error(run.error)  # refused by a spend cap: nothing was sent
    elif run and run.state == "unsent":
        st.warning(
            "The last run was interrupted before its task was created: nothing was billed. Run it again."
        )


def repeat_panel(photo, settings, conn, reason) -> Run | None:
    """Run the same photo and settings N times, a series Compare shows the spread of; the run
    that failed, if one did."""
    with st.expander("Repeatability: run this photo and these settings N times"):
        times = remembered(
            st.number_input, "Runs", min_value=2, max_value=10, value=3, key="analyse_repeat_n"
        )
        units = settings.units * times if settings else 0
        st.caption(
            "Each run is a billed task. The spread between them shows how much of a difference between two runs is noise; see it on the Compare page."
        )
        if not st.button(
            f"Run {times} times · {units} units", key="do_repeat", disabled=reason is not None
        ):
            return None
        series = time.strftime("repeat %Y-%m-%d %H:%M:%S")
        base = run_key(photo.data, settings, conn.backend)
        for index in range(times):
            repeat = _new_run(f"{base}#{series}#{index}", photo, settings, conn, label=series)
            execute(repeat, conn.client, step=f"Run {index + 1} of {times}")
            if repeat.state != "success":
                return repeat
        st.session_state["compare_series"] = series
        st.session_state["compare_series_new"] = series
        st.switch_page("pages/compare.py")
    return None


def _new_run(key, photo: ChosenPhoto, settings, conn: Connection, **labels) -> Run:
    run = Run(
        key=key,
        photo=photo.data,
        file=photo.name,
        source=photo.source,
        settings=settings,
        backend=conn.backend,
        person=access.person().name,
        **labels,
    )
    runs()[run.key] = run
    return run

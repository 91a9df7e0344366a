"""The frame every page shares: the connection sidebar, and resuming runs an earlier session
left unfinished (once per session)."""

from __future__ import annotations

import streamlit as st

from .connection import (
    BACKEND_LABELS,
    DEMO,
    LIVE,
    chosen_backend,
    emulator_config_problem,
    find_key,
    masked,
)
from .history import history_problem
from .messages import DEMO_NOTICE
from .runflow import resume_stored_runs
from .state import router_ran, runs


def start() -> None:
    """Called by app.py after st.navigation, before the page runs."""
    router_ran()
    sidebar()
    if not st.session_state.get("history_checked"):
        st.session_state["history_checked"] = True
        resume_stored_runs()  # runs a crash or a closed tab left running are polled again


def sidebar() -> None:
    key, source = find_key()
    with st.sidebar:
        st.markdown("### Connection")
        choice = st.radio(
            "Connection",
            [DEMO, LIVE],
            index=[DEMO, LIVE].index(chosen_backend()),
            format_func=BACKEND_LABELS.get,
            label_visibility="collapsed",
            key="sidebar_connection",
        )
        st.session_state["connection_backend"] = choice
        if choice == DEMO:
            st.caption("No key needed. " + DEMO_NOTICE)
            if problem := emulator_config_problem():
                st.warning(f"{problem}: the demo emulator runs on its default settings.")
        elif key:
            st.caption(f"Key from {source}: {masked(key)}")
        else:
            st.warning(
                "No API key yet. Add one on the Settings page, in secrets.toml or as YOUCAM_API_KEY."
            )
        if history_problem():
            st.warning("The run history cannot be opened; see the History page.")
        running = [r for r in runs().values() if r.in_flight]
        if running:
            st.info(f"A task is in flight: `{running[0].task_id or 'starting'}`.")
            st.page_link(
                "pages/analyse.py", label="Follow it on Analyse", icon=":material/hourglass_top:"
            )

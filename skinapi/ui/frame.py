"""The frame every page shares: the connection sidebar, and resuming runs an earlier session
left unfinished (once per session)."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit
import streamlit as st

from ..names import task_end
from . import access, audit_log
from .connection import (
    BACKEND_LABELS,
    DEMO,
    LIVE,
    chosen_mode,
    demo_emulator,
    emulator_config_problem,
    find_key,
    key_refusal,
    masked,
)
from .messages import DEMO_NOTICE
from .run_store import forget_failed_read, run_store_problem
from .runflow import resume_stored_runs
from .state import runs

_router = {"has_run": False}


PAGE_STYLE = """<style>
[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; }
@media (max-width: 640px) {
  .st-key-history_filters [data-testid='stHorizontalBlock'] { flex-wrap: wrap; row-gap: 0.75rem; }
  .st-key-history_filters [data-testid='stColumn'] {
    flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important;
  }
  .st-key-history_filters [data-testid='stColumn']:first-child { flex-basis: 100% !important; }
  .st-key-history_paging [data-testid='stHorizontalBlock'] { flex-wrap: nowrap; }
  .st-key-history_paging [data-testid='stColumn'] { min-width: 0 !important; }
  .st-key-history_paging [data-testid='stColumn']:last-child { display: none; }
}
</style>"""
"""Streamlit's 6 rem above every page's title cost Results its first screen; on a phone,
Streamlit stacks every column, and History's seven filters and its paging filled two screens."""


def start(page: str | None = None) -> None:
    """Called by app.py after st.navigation, before the page runs (`page`: its url path)."""
    _router["has_run"] = True
    forget_failed_read()
    st.html(PAGE_STYLE)
    who = access.gate()  # before anything of the app is drawn
    audit_log.signed_in(who)
    if not st.session_state.get("frame_warmed"):
        st.session_state["frame_warmed"] = True
        warm_browser()
    if page is not None and st.session_state.get("frame_page") != page:
        if "frame_page" in st.session_state:
            scroll_to_top()
        st.session_state["frame_page"] = page
    sidebar()
    with st.sidebar:
        access.sidebar_identity(who)
    faults_banner()
    if not st.session_state.get("history_checked"):
        st.session_state["history_checked"] = True
        resume_stored_runs()  # runs a crash or a closed tab left running are polled again


def enter_page() -> None:
    """Every page calls this first, so it always runs inside app.py's frame. Streamlit sees the
    pages/ folder and may run a page file alone, in its older multipage mode (no sidebar, no
    connection, no layout): for a direct link that is the first request after the server
    starts (a kiosk's bookmark of /live) — that mode is switched off and the run repeated
    through app.py — and for every run under AppTest, which resets the mode; there the frame
    is drawn here, as app.py would have (a repeated run would lose the click that caused it)."""
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return
    if not _router["has_run"]:
        PagesManager.uses_pages_directory = False
        st.rerun()
    start()


SCROLL_TO_TOP = """<script>
(() => {
  const top = () => document.querySelectorAll(
      "[data-testid='stMain'], [data-testid='stAppViewContainer'], [data-testid='stApp']"
  ).forEach((box) => { box.scrollTop = 0; });
  top();
  setTimeout(top, 50);
  setTimeout(top, 300);
})();
</script>"""


def scroll_to_top() -> None:
    """A page opened from another (Analyse → Results) starts at its top: Streamlit keeps the
    scroll position of the page before, which opened Results halfway down."""
    st.sidebar.html(SCROLL_TO_TOP, unsafe_allow_javascript=True, width="content")


WARM_CHUNKS = ("PlotlyChart",)
"""Streamlit's front end loads a chart's code (plotly.js, 4.7 MB) when the first chart is drawn:
the first analysis's radar waited for it. Loaded at start, it is ready by the first click."""


def warm_browser() -> None:
    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    names = [p.name for c in WARM_CHUNKS for p in sorted(folder.glob(f"{c}.*.js"))[:1]]
    if not names:
        return
    imports = "".join(f"import(new URL({json.dumps(n)}, base).href);" for n in names)
    st.sidebar.html(
        "<script>(() => { const entry = document.querySelector("
        "'script[type=module][src*=\"static/js/index\"]'); if (!entry) return;"
        f" const base = entry.src; setTimeout(() => {{ {imports} }}, 500); }})();</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


def sidebar() -> None:
    key, source = find_key()
    with st.sidebar:
        st.markdown("### Connection")
        choice = st.radio(
            "Connection",
            [DEMO, LIVE],
            index=[DEMO, LIVE].index(chosen_mode()),
            format_func=BACKEND_LABELS.get,
            label_visibility="collapsed",
            key="sidebar_connection",
        )
        st.session_state["connection_backend"] = choice
        if choice == DEMO:
            st.caption("No key needed. " + DEMO_NOTICE)
            if problem := emulator_config_problem():
                st.warning(f"{problem}: the demo emulator runs on its default settings.")
        elif refusal := key_refusal():
            st.warning(refusal, icon=":material/key_off:")
        elif key:
            st.caption(f"Key from {source}: {masked(key)}")
        else:
            st.warning(
                "No API key yet. Add one on the Settings page, in secrets.toml or as YOUCAM_API_KEY."
            )
        if run_store_problem():
            st.warning("The run store cannot be opened; see the History page.")
        running = [r for r in runs().values() if r.in_flight]
        if running:
            task = task_end(running[0].task_id) if running[0].task_id else "starting"
            st.info(f"A task is in flight: `{task}`.")
            st.page_link(
                "pages/analyse.py", label="Follow it on Analyse", icon=":material/hourglass_top:"
            )


def faults_banner() -> None:
    """While the demo emulator injects faults, every page says so: a failure is then expected."""
    if chosen_mode() != DEMO:
        return
    config = demo_emulator().config
    faults = [
        f"{config.fault_429_rate:.0%} of requests answer 429" if config.fault_429_rate else "",
        f"{config.fault_502_rate:.0%} answer 502" if config.fault_502_rate else "",
        f"{config.fault_drop_rate:.0%} drop the connection" if config.fault_drop_rate else "",
        "polls answer TaskTimeout" if config.fault_task_timeout else "",
        f"every task fails with {config.fault_engine_error}" if config.fault_engine_error else "",
        f"{config.latency:g} s extra latency" if config.latency else "",
    ]
    if on := [f for f in faults if f]:
        st.warning(
            "Fault injection is on in the demo emulator: " + "; ".join(on) + ". Turn it off on "
            "the Settings page.",
            icon=":material/bug_report:",
        )

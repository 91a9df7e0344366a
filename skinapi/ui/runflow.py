"""The run flow in the dashboard: the session's runs, and `runs.lifecycle.run_analysis` wrapped
in `st.status`. A rerun that interrupts the wait leaves the run `running` with its task_id, and
the next script run resumes it instead of creating another task."""

from __future__ import annotations

import threading

import streamlit as st

from ..client import Client, Progress
from ..errors import StoreError
from ..runs.lifecycle import Run, mark_interrupted, run_analysis, run_from_store
from ..store.leases import batch_busy, run_busy
from .connection import client_for
from .run_store import run_store
from .state import kept, runs

PHASE_LABELS = {
    "checking": "Checking the photo…",
    "uploading": "Uploading the photo…",
    "creating": "Creating the analysis task…",
    "waiting": "Waiting for the analysis…",
    "retrying": "Retrying…",
    "downloading": "Downloading results and masks…",
    "done": "Analysis complete",
}
FAILURE_LABELS = {
    "stalled": "Still running on the API's side",
    "expired": "The task expired",
    "error": "The analysis failed",
    "unsent": "Not sent",
}


def execute(run: Run, client: Client, step: str = "") -> None:
    """Run or resume `run` inside an `st.status` that follows its phases; `step` (``Run 2 of
    3``) leads every label of a run in a series."""

    def titled(text: str) -> str:
        return f"{step} · {text}" if step else text

    label = "Resuming the analysis…" if run.task_id else PHASE_LABELS["checking"]
    with st.status(titled(label), expanded=True) as status:
        line = st.empty()

        def on_progress(p: Progress) -> None:
            if p.phase == "retrying":
                status.update(label=titled(p.note))
                line.markdown(p.note)
                return
            if p.phase == "waiting" and p.note:  # the same analysis, in another window
                line.markdown(p.note.capitalize() + ".")
            if p.phase == "waiting" and p.polls:
                line.markdown(
                    f"Task `{p.task_id}` · {p.elapsed:.1f} s elapsed · poll {p.polls} · "
                    f"every {p.interval:g} s"
                )
            status.update(label=titled(PHASE_LABELS[p.phase]))

        # Set when this script run lets go of the run, however it ends (a rerun stops it with
        # an exception at its next Streamlit call): the rerun waits for exactly this.
        following = st.session_state.setdefault("runs_following", {})
        let_go = following[run.key] = threading.Event()
        try:
            outcome = run_analysis(run, client, run_store(), on_progress=on_progress)
        finally:
            let_go.set()
        if outcome.elsewhere:  # leased: another window, the CLI or a batch has it
            what = f"Task `{run.task_id}`" if run.task_id else "This photo, with these settings,"
            line.markdown(
                f"{what} is being followed in another window or process; "
                "its result will be in History."
            )
            status.update(label=titled("Followed elsewhere"), state="complete", expanded=True)
            return
        if outcome.state != "success":
            status.update(label=titled(FAILURE_LABELS[outcome.state]), state="error")
            return
        line.markdown(f"Task `{run.task_id}` · {run.duration:.1f} s · {run.polls} polls")
        status.update(label=titled(PHASE_LABELS["done"]), state="complete", expanded=False)


LET_GO_MARGIN_S = 15.0
"""Beyond the request timeout, how long a rerun waits for the script run it interrupted to let
go of a run: that one stops at its next Streamlit call, after a polling interval's sleep or
one request."""


def finish_interrupted(client: Client | None) -> Run | None:
    """Runs a rerun or a page switch interrupted carry on from their stored task_id; a run
    stopped before its create went out cost nothing, one stopped while it was out may have
    (the task_id is stored the instant the create returns). The run that just succeeded."""
    finished = None
    for run in [r for r in runs().values() if r.state == "running" and r.task_id]:
        if client is not None:
            _wait_for_the_interrupted_script(run)
            execute(run, client)
            finished = run if run.state == "success" else finished
    for lost in [r for r in runs().values() if r.state in ("pending", "sending")]:
        mark_interrupted(run_store(), lost)
    return finished


def _wait_for_the_interrupted_script(run: Run) -> None:
    """A rerun starts at once (Streamlit's fast reruns) while the script run it interrupted may
    still follow this session's run, asleep between two polls: wait for that one to let go
    rather than call the run followed elsewhere (a double click did). Only this session's own
    script run is waited for; another window's lease is said at once."""
    let_go = st.session_state.get("runs_following", {}).get(run.key)
    if let_go is None or let_go.is_set():
        return
    with st.spinner(f"Taking over task `{run.task_id}` from the interrupted script run…"):
        let_go.wait(float(kept("settings_timeout", 30.0)) + LET_GO_MARGIN_S)


def resume_stored_runs() -> None:
    """Runs left pending, running or stalled by an earlier session (or a crash) are polled again
    by task_id — once per session, so a failing resume cannot loop — unless someone still works
    on them (a second tab, the CLI, a batch: see store/leases)."""
    store = run_store()
    if store is None:
        return
    try:
        pending = store.pending()
    except StoreError:
        return  # History explains it and offers the way out
    tried = st.session_state.setdefault("history_resumed", set())
    for stored in pending:
        if stored.id in tried or any(r.id == stored.id for r in runs().values()):
            continue
        if (stored.batch and batch_busy(store, stored.batch)) or run_busy(store, stored.id):
            continue  # another window, the CLI or a running batch is on it now
        tried.add(stored.id)
        if not stored.task_id:
            mark_interrupted(store, stored)
            continue
        client = client_for(stored.backend)
        if client is None:
            continue
        run = run_from_store(store, stored)
        runs()[run.key] = run
        st.caption(f"Resuming run {stored.id} (task `{stored.task_id}`) left unfinished earlier.")
        execute(run, client)

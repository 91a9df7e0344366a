"""The run store as the dashboard uses it: opened once per process, or the reason it cannot be,
the way out of a broken run store, and deleting runs here and at the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ..errors import InvalidTaskIdError, SkinApiError, StoreError
from ..runs.lifecycle import Run, run_from_store
from ..store import RunQuery, RunRecord, RunStore, SqliteRunStore, default_path, open_store
from ..store.ids import photo_hash
from .connection import client_for
from .state import runs


@st.cache_resource(show_spinner=False)
def _store(path: str) -> RunStore:
    return open_store(path)


def store_path() -> str:
    return str(default_path())


def run_store() -> RunStore | None:
    """The run store, or None (with the reason in `run_store_problem`) when it is unusable."""
    try:
        return _store(store_path())
    except StoreError:
        return None


def run_store_problem() -> StoreError | None:
    """Why the run store cannot be used: it would not open, or reading it failed in this run of
    this session's script (the next run asks again: a lock times out, a database comes back)."""
    try:
        _store(store_path())
    except StoreError as exc:
        return exc
    failed = st.session_state.get(FAILED_READ)
    return failed[1] if failed and failed[0] == store_path() else None


FAILED_READ = "run_store_failed_read"


def forget_failed_read() -> None:
    """Each run of a session's script asks the run store afresh (called as the run starts): a
    failure is this session's and this run's only, not every session's until a restart."""
    st.session_state.pop(FAILED_READ, None)


Answer = TypeVar("Answer")


def ask_run_store(question: Callable[[RunStore], Answer]) -> Answer | None:
    """The run store's answer to `question`; None (and `run_store_problem` says why) when the
    run store cannot be read."""
    store = run_store()
    if store is None:
        return None
    try:
        return question(store)
    except StoreError as exc:
        st.session_state[FAILED_READ] = (store_path(), exc)
        return None


def read_runs(query: RunQuery | None = None) -> list[RunRecord] | None:
    """The stored runs `query` matches (every readable run by default), newest first; None
    when the run store cannot be read."""
    page = ask_run_store(lambda store: store.query(query or RunQuery()))
    return None if page is None else page.runs


def start_fresh_run_store() -> StoreError | None:
    """Move the old run store aside and start an empty one; the reason when that is not possible
    (a read-only folder)."""
    _store.clear()
    st.session_state.pop(FAILED_READ, None)
    try:
        SqliteRunStore.fresh(store_path()).close()
    except StoreError as exc:
        return exc
    return None


def open_in_results(stored: RunRecord) -> None:
    store = run_store()
    if store is None:
        return
    run = run_from_store(store, stored)
    runs()[run.key] = run
    st.session_state["current_run"] = run.key
    st.switch_page("pages/results.py")


def adopt_stored_result(key: str, photo: bytes, settings, backend: str) -> Run | None:
    """The stored result of this photo and settings, taken into the session under `key`, when
    the run store holds one (another tab, or before a restart); None otherwise."""
    store = run_store()
    if store is None:
        return None
    try:
        stored = store.find_result(photo_hash(photo), settings, backend)
        if stored is None:
            return None
        run = run_from_store(store, stored)
    except StoreError:
        return None
    if run.result is None:
        return None
    run.key = key
    runs()[key] = run
    return run


def latest_result() -> Run | None:
    """The newest successful run: this session's, else the run store's."""
    done = [r for r in runs().values() if r.state == "success" and r.result is not None]
    if done:
        return max(done, key=lambda r: r.created)
    newest = read_runs(RunQuery(states=("success",), limit=1)) or []
    store = run_store()
    for stored in newest:
        run = run_from_store(store, stored) if store else None
        if run is not None and run.result is not None:
            runs()[run.key] = run
            return run
    return None


def delete_runs_everywhere(store: RunStore, stored_runs: list[RunRecord]) -> list[str]:
    """Delete each run's task at the API, then locally; a run whose API delete fails is kept."""
    failures = []
    for run in stored_runs:
        if run.task_id:
            client = client_for(run.backend)
            if client is None:
                failures.append(
                    f"Run {run.id}: live mode needs an API key to delete its task; kept."
                )
                continue
            try:
                client.delete_task(run.task_id)
            except InvalidTaskIdError:
                pass  # the API no longer has it: nothing is left to delete there
            except SkinApiError as exc:
                failures.append(
                    f"Run {run.id}: the API did not delete its task ({exc}); kept locally."
                )
                continue
        store.delete(run.id)
    return failures

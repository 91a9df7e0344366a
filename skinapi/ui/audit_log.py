"""The one way the dashboard writes the audit trail: now, the signed-in person (`identity.person`),
one of `AUDIT_ACTIONS` and what it touched. A page's action calls `record` (or wraps a
download's data in `audited`) right where the action happens; nothing else writes entries.

Runs and batches audit their own creates (runs/lifecycle, runs/batch), for the CLI as well."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ..errors import StoreError
from ..store import AUDIT_ACTIONS
from . import identity
from .run_store import run_store

Data = TypeVar("Data")


def record(action: str, *, person: str | None = None, **detail) -> bool:
    """One entry in the run store's trail; False (and a toast) when it cannot be written."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"not an audit action: {action!r}")
    store = run_store()
    if store is None:
        return False
    try:
        store.audit(identity.person().name if person is None else person, action, **detail)
    except StoreError as exc:
        st.toast(f"Not written to the audit trail: {exc}", icon=":material/warning:")
        return False
    return True


def audited(action: str, data: Data | Callable[[], Data], **detail) -> Callable[[], Data]:
    """A download's data (or the callable that makes it), made when it is clicked — Streamlit
    runs it outside the script, so the person and the store are taken now — and audited as it
    is handed over."""
    person, store = identity.person().name, run_store()

    def made() -> Data:
        data_now = data() if callable(data) else data
        if store is not None:
            try:
                store.audit(person, action, **detail)
            except StoreError:
                pass  # the file is handed over either way; the store's problem shows elsewhere
        return data_now

    return made


def on_change(setting: str) -> dict:
    """A settings widget's keyword arguments that audit each change of it (by name only: a
    typed key's value never reaches the trail)."""
    return {"on_change": record, "args": ("settings changed",), "kwargs": {"setting": setting}}


def signed_in(who: identity.Person) -> None:
    """A sign-in, once per session (a rerun or a page switch is not another)."""
    if who.signed_in and st.session_state.get("audit_signed_in") != who.name:
        st.session_state["audit_signed_in"] = who.name
        record("sign-in", person=who.name, role=who.role)

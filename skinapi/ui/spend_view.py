"""Daily spend caps in the dashboard: what is left today before a run (the tighter of the
per-person and deployment caps, as runs/spend reserves them), and the caps an admin edits in
Settings (kept in the run store, every replica sees them; the environment's are the default)."""

from __future__ import annotations

import streamlit as st

from ..errors import StoreError
from ..runs import spend
from ..store import SpendCaps
from . import access, audit_log
from .run_store import run_store

RAISE_HINT = "An admin can raise it in Settings → Spend caps."


def allowance() -> spend.Allowance | None:
    """What the signed-in person may still spend today; None: no cap (or no run store)."""
    try:
        return spend.allowance(run_store(), access.person().name)
    except StoreError:
        return None


def left_today(units_needed: int = 0) -> spend.Allowance | None:
    """'N of M units left today' above a run button; a warning when the run would not fit.
    Nothing at all when no cap applies."""
    for problem in spend.cap_problems():
        st.warning(problem, icon=":material/block:")
    room = allowance()
    if room is None:
        return None
    text = f"{room.left} of {room.limit} units left today ({room.cap} cap)."
    if units_needed and room.left < units_needed:
        st.warning(
            f"{text} This run needs {units_needed}: it would be refused. {RAISE_HINT}",
            icon=":material/block:",
        )
    else:
        st.caption(text)
    return room


def photos_that_fit(units_each: int, wanted: int) -> int:
    """How many of `wanted` photos the caps let a batch send today, said when fewer than all."""
    room = allowance()
    if room is None or units_each <= 0:
        return wanted
    fit = min(room.left // units_each, wanted)
    if fit < wanted:
        st.warning(
            f"The {room.cap} daily cap leaves {room.left} of {room.limit} units today: "
            f"{fit} of {wanted} photos fit and only they are sent. {RAISE_HINT}",
            icon=":material/savings:",
        )
    return fit


def _cap_input(column, label: str, value: int | None, key: str) -> int | None:
    capped = column.toggle(f"Cap {label}", value=value is not None, key=f"{key}_on")
    number = column.number_input(
        f"Units a day, {label}",
        min_value=0,
        max_value=spend.MAX_CAP,
        value=min(value, spend.MAX_CAP) if value is not None else 100,
        step=10,
        key=key,
        disabled=not capped,
        help="Turn the cap on to set it." if not capped else None,
    )
    return int(number) if capped else None


def caps_editor() -> None:
    """Settings → Spend caps: the caps in force, and controls that store new ones (audited).
    Not a form: a cap's number is greyed out while its switch is off, which needs a rerun."""
    st.header("Spend caps")
    store = run_store()
    if store is None:
        st.warning("The run store cannot be opened, so caps cannot be stored (see History).")
        return
    try:
        stored = store.caps()
    except StoreError as exc:
        st.warning(f"The caps cannot be read: {exc}")
        return
    current = spend.configured_caps(store)
    in_force = st.empty()  # said above the controls, once a save has been taken into account
    with st.container(border=True):
        person, deployment = st.columns(2)
        per_person = _cap_input(person, "per person", current.per_person, "caps_per_person")
        per_deployment = _cap_input(
            deployment, "the whole deployment", current.per_deployment, "caps_per_deployment"
        )
        save = st.button("Save the caps", key="caps_save")
    wanted = SpendCaps(per_person, per_deployment)
    if save and wanted == current and stored is not None:
        st.info("These are the caps in force already; nothing was changed.")
    elif save and _save(store, current, wanted):
        stored, current = wanted, spend.configured_caps(store)
        st.success("Saved. Every run from now on is checked against these caps.")
    source = "set here" if stored is not None else "from the environment (the default)"
    in_force.caption(
        f"In force, {source}: {_said(current.per_person)} per person, "
        f"{_said(current.per_deployment)} for the whole deployment, each day (local midnight). "
        "Units are reserved before each create; a run past a cap is refused with nothing sent."
    )


def _save(store, before: SpendCaps, wanted: SpendCaps) -> bool:
    try:
        store.set_caps(wanted)
    except StoreError as exc:
        st.error(f"The caps were not saved: {exc}")
        return False
    audit_log.record(
        "caps changed",
        per_person=wanted.per_person,
        per_deployment=wanted.per_deployment,
        before_per_person=before.per_person,
        before_per_deployment=before.per_deployment,
    )
    return True


def _said(cap: int | None) -> str:
    return "no cap" if cap is None else f"{cap} units"

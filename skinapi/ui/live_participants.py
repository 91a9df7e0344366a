"""Who the Live trial's photo is of: a new participant's ID at the baseline, or at a follow-up one
of the trial's participants still due (with their baseline photo and date) — never a generated
stranger, which would break the participant's pair of visits."""

from __future__ import annotations

import uuid

import streamlit as st

from ..names import markdown_text, one_line, shown_day, shown_moment
from ..statistics.participant import BASELINE, returning
from ..store import RunQuery, RunRecord
from .run_store import ask_run_store, read_runs

NEW_AT_FOLLOW_UP = ""
"""The follow-up picker's choice of a new participant (no participant's ID is empty)."""


def new_participant_id() -> str:
    return f"P-{uuid.uuid4().hex[:5].upper()}"


def next_participant() -> None:
    """Clear the screen for the next person: new ID, no returning participant chosen, consent
    unticked, no result shown.

    The widgets are given their new values rather than dropped: a dropped key is filled again
    from the value the browser still holds."""
    st.session_state["live_participant"] = new_participant_id()
    st.session_state["live_returning"] = None
    st.session_state["live_new_participant"] = ""
    st.session_state["live_consent"] = False
    st.session_state["live_camera_round"] = st.session_state.get("live_camera_round", 0) + 1
    for key in ("live_run", "live_capture_error", "live_participant_view"):
        st.session_state.pop(key, None)
    if "live_state" in st.session_state:
        st.session_state["live_state"].withdraw()


def participant_field(trial: str, visit: str, current: RunRecord | None) -> str:
    """The participant this photo is of ('' until there is one). `current`: the run on screen,
    whose participant stays offered after their photo was taken. A returning participant's
    baseline run goes to ``live_baseline_run``, for the camera's ghost."""
    st.session_state.pop("live_baseline_run", None)
    if visit == BASELINE or not trial:
        if "live_participant" not in st.session_state:
            st.session_state["live_participant"] = new_participant_id()
        typed = st.text_input(
            "Participant ID",
            key="live_participant",
            help="Typed, or the generated one. At a follow-up visit, returning participants "
            "are chosen from the trial's.",
        )
        return one_line(typed, 80)
    return _returning_field(trial, visit, current)


def _returning_field(trial: str, visit: str, current: RunRecord | None) -> str:
    stored = read_runs(RunQuery(trial=trial, states=("success",)))
    if stored is None:
        st.caption(
            "The run store cannot be read, so returning participants cannot be listed: "
            "type the participant's ID."
        )
        return _new_participant_id_field(warn=False)
    due = returning(stored, visit)
    if current is not None and current.participant and current.participant not in due:
        due = {current.participant: current} | due  # their photo is on screen: keep them
    if not due:
        st.caption(f"Every participant of this trial has a {markdown_text(visit)} photo.")

    def option(participant: str) -> str:
        if participant == NEW_AT_FOLLOW_UP:
            return "New participant at this follow-up (no baseline)"
        run = due[participant]
        return f"{participant} · {run.visit} {shown_day(run.created)}"

    chosen = st.selectbox(
        f"Returning participant ({len(due)} due at {markdown_text(visit)})",
        [*due, NEW_AT_FOLLOW_UP],
        index=None,
        format_func=option,
        placeholder="Choose who is in front of the camera",
        key="live_returning",
        help="The trial's participants without a photo at this visit; their baseline photo "
        "shows once chosen.",
    )
    if chosen is None:
        return ""
    if chosen == NEW_AT_FOLLOW_UP:
        return _new_participant_id_field(warn=True)
    _recognised_by(due[chosen])
    st.session_state["live_baseline_run"] = due[chosen].id
    return chosen


def _recognised_by(run: RunRecord) -> None:
    """The chosen participant's baseline photo and date, to check it is them."""
    thumbnail = (ask_run_store(lambda store: store.thumbnails([run.id])) or {}).get(run.id)
    photo, words = st.columns([1, 3], vertical_alignment="center")
    if thumbnail:
        photo.image(thumbnail, width=72)
    words.caption(
        f"{markdown_text(run.participant)}'s {markdown_text(run.visit or 'first')} photo, "
        f"{shown_moment(run.created)}"
    )


def _new_participant_id_field(warn: bool) -> str:
    if warn:
        st.warning(
            "A new participant at a follow-up has no baseline: their scores are kept, but "
            "they have no change from baseline.",
            icon=":material/person_alert:",
        )
    typed = st.text_input(
        "New participant's ID",
        key="live_new_participant",
        placeholder="Type their ID",
    )
    return one_line(typed, 80)

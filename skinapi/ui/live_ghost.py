"""At a follow-up, the returning participant's baseline photo over the live video as a
translucent ghost, and its match with the face in front of the camera (auto-capture waits for
it: `skinapi.imaging.pose`)."""

from __future__ import annotations

import streamlit as st

from ..imaging.live import LiveState
from ..imaging.pose import MATCH_THRESHOLD, BaselineReference
from .run_store import ask_run_store


def ghost_controls(state: LiveState) -> None:
    """The ghost's toggle and opacity, and the baseline handed to the camera's frame thread."""
    run_id = st.session_state.get("live_baseline_run")
    reference = _reference(run_id) if run_id else None
    if run_id and reference is None:
        st.caption(
            "The baseline photo cannot be read or holds no face the camera can match: "
            "auto-capture judges the framing only."
        )
    if reference is not None:
        shown, opacity = st.columns([1, 1.4], vertical_alignment="center")
        visible = shown.toggle(
            "Baseline ghost",
            value=True,
            key="live_ghost",
            help=f"The baseline photo over the video, to line the face up with. Auto-capture "
            f"also waits for a match of at least {MATCH_THRESHOLD} of 100 with it (the face's "
            "position, size and light).",
        )
        reference.opacity = (
            opacity.slider(
                "Ghost opacity",
                10,
                80,
                35,
                step=5,
                format="%d%% opaque",
                key="live_ghost_opacity",
                disabled=not visible,
                label_visibility="collapsed",
            )
            / 100
            if visible
            else 0.0
        )
    with state.lock:
        state.reference = reference


def _reference(run_id: str) -> BaselineReference | None:
    """The baseline's reference, made once per session and run (its opacity is the session's)."""
    made = st.session_state.setdefault("live_references", {})
    if run_id not in made:
        photo = ask_run_store(lambda store: store.photo(run_id))
        made[run_id] = BaselineReference.from_photo(photo) if photo else None
    return made[run_id]

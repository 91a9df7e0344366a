"""The Live trial's capture conditions: the facilitator's choices (the skin's preparation, the room
and light, remembered per trial) and what the page knows itself (the camera the browser named,
the photo's resolution, the time of day), kept with each run."""

from __future__ import annotations

import time

import streamlit as st

from ..names import one_line
from ..statistics.conditions import SKIN_CHOICES, part_of_day
from ..store import RunQuery
from .run_store import read_runs

SIMPLE_CAMERA = "browser camera (simple camera)"
"""What the simple camera is recorded as: Streamlit's camera input does not name its device."""


def conditions_panel(trial: str) -> dict[str, str]:
    """The facilitator's part of the conditions: skin and room (each '' when not given)."""
    if trial and st.session_state.get("live_room_trial") != trial:
        # A trial keeps its room: the last one typed for it here, else its latest run's.
        st.session_state["live_room_trial"] = trial
        rooms = st.session_state.setdefault("live_rooms", {})
        st.session_state["live_room"] = rooms.get(trial) or _stored_room(trial)
    skin = st.segmented_control(
        "Skin at capture", SKIN_CHOICES, key="live_skin", help="Compare like with like."
    )
    room = st.text_input(
        "Room and light",
        key="live_room",
        placeholder="e.g. Room 2, ring light at 50%",
        help="Remembered for this trial; kept with each photo.",
    )
    room = one_line(room, 80)
    if trial:
        st.session_state.setdefault("live_rooms", {})[trial] = room
    return {"skin": skin or "", "room": room}


def _stored_room(trial: str) -> str:
    latest = read_runs(RunQuery(trial=trial, limit=1)) or []
    return latest[0].conditions.get("room", "") if latest else ""


def at_capture(chosen: dict[str, str], photo_size: tuple[int, int]) -> dict[str, str]:
    """The conditions a photo is kept with: the facilitator's, the camera's and the clock's."""
    camera = st.session_state.get("live_camera_label") or SIMPLE_CAMERA
    return {
        "camera": one_line(camera, 80),
        "resolution": f"{photo_size[0]}×{photo_size[1]}",
        **{k: v for k, v in chosen.items() if v},
        "time_of_day": part_of_day(time.time()),
    }


def remember_camera(label: str, simple: bool) -> None:
    """The browser's name for the photo camera in use (none for the simple camera)."""
    st.session_state["live_camera_label"] = "" if simple else label

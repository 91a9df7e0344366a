"""A follow-up's baseline ghost and pose match: the baseline photo itself matches, a shifted or a
scaled copy does not, and auto-capture waits for the match."""

import numpy as np
from PIL import Image

from skinapi.imaging.live import LiveState
from skinapi.imaging.photo import crop_to_face
from skinapi.imaging.pose import MATCH_THRESHOLD, BaselineReference

from ..helpers import jpeg, moved_copy, webcam_frame
from .test_live import hold

VIDEO = (540, 720)
"""The live video's size: the browser is asked for a 3:4 portrait stream."""


def baseline_photo() -> Image.Image:
    """What a baseline run stores: the camera's photo cut to a portrait of the face."""
    return crop_to_face(webcam_frame()).resize(VIDEO)


def reference() -> BaselineReference:
    found = BaselineReference.from_photo(jpeg(baseline_photo()))
    assert found is not None
    return found


def score(frame: np.ndarray) -> int:
    state = LiveState(photo_size=(1280, 720), reference=reference())
    state.on_frame(frame, now=0.0, every=1)
    return state.reference.last.score


def test_the_baseline_photo_itself_matches_and_a_shifted_or_scaled_copy_does_not():
    assert score(np.asarray(baseline_photo())) >= 95
    assert score(moved_copy(baseline_photo(), dx=0.08, dy=0.06)) < MATCH_THRESHOLD
    assert score(moved_copy(baseline_photo(), scale=1.25)) < MATCH_THRESHOLD
    assert score(moved_copy(baseline_photo(), scale=0.85)) < MATCH_THRESHOLD


def test_auto_capture_waits_for_the_match_when_every_other_check_passes():
    shifted = moved_copy(baseline_photo(), dx=0.08, dy=0.06)
    state = LiveState(armed=True, photo_size=(1280, 720), reference=reference())
    now = hold(state, shifted, 0.0, 3.0)
    failing = [c.id for c in state.guidance.checks if not c.ok]
    assert failing == ["match"], state.guidance.checks
    assert state.open_request is None
    hold(state, np.asarray(baseline_photo()), now, 1.2)
    assert state.open_request == 1


def test_the_ghost_is_drawn_translucent_and_hidden_at_zero_opacity():
    frame = moved_copy(baseline_photo(), dx=0.08)
    ghost = reference()
    shown = ghost.draw(frame)
    assert 5 < np.abs(shown.astype(int) - frame.astype(int)).mean() < 60
    ghost.opacity = 0.0
    assert ghost.draw(frame) is frame
    assert BaselineReference.from_photo(b"not a photo") is None

"""Live trial: frame checks on stills, auto-capture, the trial summary, the page, and the live
camera in headless Chromium inside a loopback-only network namespace."""

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from skinapi import AnalysisSettings
from skinapi.imaging.live import HOLD_SECONDS, LiveState, assess_frame, draw_guidance
from skinapi.imaging.overlay import contrast_ratio
from skinapi.statistics import tables
from skinapi.store import SqliteRunStore

from ..helpers import record_run, webcam_frame

WEBCAM = (1280, 720)
"""The photo camera's size, as the browser reports it once open."""


def failing(image: Image.Image) -> set[str]:
    return {c.id for c in assess_frame(np.asarray(image)).checks if not c.ok}


def test_a_well_framed_face_passes_every_check():
    assert failing(webcam_frame()) == set()


def test_a_far_away_face_fails_only_on_size():
    assert failing(webcam_frame(0.5)) == {"size"}


def test_off_centre_dark_and_blurred_faces_fail_their_own_check():
    frame = webcam_frame()
    shifted = Image.new("RGB", frame.size, (196, 198, 204))
    shifted.paste(frame, (300, 0))
    assert "centred" in failing(shifted)
    assert "light" in failing(ImageEnhance.Brightness(frame).enhance(0.35))
    assert "sharp" in failing(frame.filter(ImageFilter.GaussianBlur(6)))


def test_no_face_and_a_small_photo_are_reported():
    assert "face" in failing(Image.new("RGB", (1280, 720), (120, 160, 200)))
    assert "resolution" in failing(webcam_frame(size=(640, 480)))
    assert assess_frame(np.asarray(webcam_frame()), "hd").checks[-1].ok is False  # 720p < HD


def test_resolution_is_judged_on_the_portrait_crop_that_is_sent_not_the_frame():
    """800×600 has a 600 px short side, but its 3:4 portrait crop is 450 px wide: under SD's
    480, as the photo Capture would send. 1280×720 crops to 540 × 720: enough for SD."""
    resolution = assess_frame(np.asarray(webcam_frame(size=(800, 600)))).checks[-1]
    assert not resolution.ok and resolution.value.startswith("450 px")
    assert assess_frame(np.asarray(webcam_frame())).checks[-1].value.startswith("540 px")


def test_resolution_is_judged_on_the_photo_camera_not_the_scaled_down_video():
    small_video = np.asarray(webcam_frame(size=(640, 360)))
    assert not assess_frame(small_video).ready
    assert assess_frame(small_video, photo_size=(1280, 720)).ready
    assert not assess_frame(small_video, photo_size=(640, 360)).ready


def test_the_check_badges_drawn_on_the_video_are_legible():
    """Each badge's fill against its text, read off the drawn frame (axe cannot see text inside
    a video): WCAG's 4.5:1 for text, for passed and failed checks alike."""
    far = np.asarray(webcam_frame(0.5))
    guidance = assess_frame(far)
    assert {c.ok for c in guidance.checks} == {True, False}
    drawn = draw_guidance(far, guidance).astype(int)
    painted = [y for y in range(drawn.shape[0] // 2) if (drawn[y, 9] != far[y, 9]).any()]
    badges: list[list[int]] = []
    for y in painted:
        if badges and y == badges[-1][-1] + 1:
            badges[-1].append(y)
        else:
            badges.append([y])
    assert len(badges) == len(guidance.checks)
    for rows in badges:
        fill = drawn[rows[1], 9]
        pixels = drawn[rows[0] : rows[-1] + 1, 9:200].reshape(-1, 3)
        text = pixels[np.abs(pixels - fill).sum(axis=1).argmax()]
        as_hex = ["#{:02x}{:02x}{:02x}".format(*colour) for colour in (fill, text)]
        assert contrast_ratio(*as_hex) >= 4.5, as_hex


def hold(state: LiveState, frame, start: float, seconds: float, step: float = 0.1) -> float:
    now = start
    while now < start + seconds - 1e-9:
        state.on_frame(frame, now=now, every=1)
        now = round(now + step, 6)
    return now


def test_auto_capture_asks_for_one_still_after_a_second_of_good_frames_once_armed():
    frame = np.asarray(webcam_frame())
    state = LiveState(photo_size=WEBCAM)
    now = hold(state, frame, 0.0, 3.0)
    assert state.open_request is None  # no consent yet
    state.armed = True
    now = hold(state, frame, now, HOLD_SECONDS)
    assert state.open_request is None  # not yet a full second of good frames since arming…
    now = hold(state, frame, now, 0.2)
    assert state.open_request == 1 and not state.manual
    hold(state, frame, now, 3.0)
    assert state.open_request == 1  # one ask, however long the face stays good
    assert state.still_arrived(1) and not state.still_arrived(1)
    assert state.open_request is None and not state.armed  # capture is off until re-armed


def test_a_bad_frame_restarts_the_hold():
    good, far = np.asarray(webcam_frame()), np.asarray(webcam_frame(0.5))
    state = LiveState(armed=True, photo_size=WEBCAM)
    for step, frame in enumerate([good] * 8 + [far, far] + [good] * 8):
        state.on_frame(frame, now=step * 0.1, every=1)
    assert state.open_request is None


def test_a_small_video_stream_captures_once_the_photo_camera_is_known():
    video = np.asarray(webcam_frame(size=(640, 360)))
    state = LiveState(armed=True)
    now = hold(state, video, 0.0, 2 * HOLD_SECONDS)
    assert state.open_request is None  # the photo's size is not known yet
    assert state.guidance.hint() == "Opening the photo camera…"
    state.photo_size = (1280, 720)
    hold(state, video, now, HOLD_SECONDS + 0.2)
    assert state.open_request == 1


def test_manual_capture_asks_at_once_and_a_stale_still_is_ignored():
    state = LiveState()
    assert state.request_capture() == 1 and state.manual
    assert state.request_capture() == 1  # a second click while waiting asks nothing new
    assert not state.still_arrived(0)
    assert state.still_arrived(1)
    assert state.request_capture() == 2


def test_an_unanswered_ask_is_withdrawn():
    state = LiveState()
    state.request_capture()
    asked = state.requested_at
    assert not state.overdue(now=asked + 1.0)
    assert state.overdue(now=asked + 9.0) and state.open_request is None
    assert not state.still_arrived(1)  # the late still is not used


def test_trial_summary_over_stored_runs(tmp_path, client, face_bytes):
    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    settings = AnalysisSettings.build(["redness", "pore"])
    for participant in ("P-1", "P-2", "P-3"):
        record_run(
            store, client, face_bytes, settings, source="camera", trial="T", participant=participant
        )
    runs = [r for r in store.list() if r.trial == "T"]
    assert sorted(r.participant for r in runs) == ["P-1", "P-2", "P-3"]
    points = tables.trial_scores(runs)
    assert len(points) == 6 and {name for name, _ in points} == {"Redness", "Pores"}
    means = {s.type: s.ui_score for s in tables.mean_scores(runs)}
    assert means["redness"] == runs[0].result.score("redness", None).ui_score  # same photo


def test_visit_names_as_typed_with_one_baseline():
    from skinapi.ui.live_view import visit_name

    assert [visit_name(v) for v in ("Baseline ", "BASELINE", None, "  ", "week 4")] == [
        "baseline", "baseline", "baseline", "baseline", "week 4"
    ]  # fmt: skip
    assert visit_name("week\n4\x1b[31m" + "x" * 100).startswith("week 4")
    assert len(visit_name("x" * 100)) <= 40

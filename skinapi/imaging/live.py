"""Live framing guidance for camera trials: per-frame checks, the guide drawn on the frame, and
auto-capture once every check has held for a moment. The thresholds are the photo checks' own
(`checks.py`), so a frame that turns green passes the pre-flight after the portrait crop.

The live video is only watched; the photo itself is a full-resolution still that the browser
takes when asked (WebRTC scales the video down whenever bandwidth or CPU run short)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from ..concerns import MIN_SHORT_SIDE
from .checks import BRIGHT_WARN, DARK_WARN, SHARPNESS_WARN, face_measures
from .faces import FaceBox, detect_faces
from .photo import MIN_FACE_RATIO

LIVE_DETECT_SIDE = 320
"""Frames are searched small: a face close enough for the API is large in the frame."""
HOLD_SECONDS = 1.0
GREEN, RED, AMBER = (40, 200, 90), (230, 60, 60), (240, 170, 30)
BADGE_PASS, BADGE_FAIL, BADGE_TEXT = (22, 120, 52), (190, 30, 45), (255, 255, 255)
"""The check badges' fills are darker than the oval's colours: white text on the oval's green
read at 2.2:1; these give 5.6:1 and 6.2:1 (WCAG asks 4.5:1 of text)."""


@dataclass(frozen=True)
class FrameCheck:
    id: str
    label: str
    ok: bool
    value: str


@dataclass(frozen=True)
class Guidance:
    checks: tuple[FrameCheck, ...]
    face: FaceBox | None

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)

    def hint(self) -> str:
        failing = next((c for c in self.checks if not c.ok), None)
        return "Hold still…" if failing is None else HINTS[failing.id]


HINTS = {
    "face": "Look straight at the camera — one face only.",
    "size": "Come closer: your face should fill the oval.",
    "centred": "Move into the middle of the oval.",
    "light": "Find more even, brighter light.",
    "sharp": "Hold still — the picture is blurred.",
    "resolution": "This camera resolution is too low for the chosen quality.",
    "camera": "Opening the photo camera…",
    "match": "Line your face up with the baseline ghost.",
}


def portrait_width(width: int, height: int) -> float:
    """The width of the 3:4 portrait crop the photo will be cut to before it is sent."""
    return min(width, height * 3 / 4)


def assess_frame(
    rgb: np.ndarray, quality: str = "sd", photo_size: tuple[int, int] | None = None
) -> Guidance:
    """The checks of one frame; `photo_size` (width, height) is the size the photo will be taken
    at when that is not the frame's own, as for a live video watched at a lower resolution."""
    height, width = rgb.shape[:2]
    # A face the API accepts spans ≥ 45 % of the frame's height (60 % of the portrait crop's
    # width), so smaller candidates are not searched for: that keeps a frame well under 30 ms.
    faces = tuple(detect_faces(rgb, LIVE_DETECT_SIDE, min_fraction=0.25))
    crop_width = portrait_width(width, height)
    checks = [
        FrameCheck(
            "face",
            "Face found",
            len(faces) == 1,
            f"{len(faces)} face{'' if len(faces) == 1 else 's'}",
        )
    ]
    face = faces[0] if len(faces) == 1 else None
    if face is None:
        checks += [
            FrameCheck("size", "Face size", False, "—"),
            FrameCheck("centred", "Centred", False, "—"),
            FrameCheck("light", "Light", False, "—"),
            FrameCheck("sharp", "Sharp", False, "—"),
        ]
    else:
        ratio = face.w / crop_width
        cx, cy = face.centre
        off_x, off_y = abs(cx - width / 2) / width, abs(cy - height * 0.48) / height
        measures = face_measures(rgb, faces)
        light = measures.brightness or 0.0
        sharp = measures.sharpness or 0.0
        checks += [
            FrameCheck("size", "Face size", ratio >= MIN_FACE_RATIO, f"{ratio:.0%} (≥ 60%)"),
            FrameCheck(
                "centred",
                "Centred",
                off_x <= 0.1 and off_y <= 0.15,
                f"{max(off_x, off_y):.0%} off centre (≤ 10%)",
            ),
            FrameCheck(
                "light",
                "Light",
                DARK_WARN <= light <= BRIGHT_WARN,
                f"brightness {light:.0f} ({DARK_WARN:.0f}–{BRIGHT_WARN:.0f})",
            ),
            FrameCheck(
                "sharp",
                "Sharp",
                sharp >= SHARPNESS_WARN,
                f"detail {sharp:.0f} (≥ {SHARPNESS_WARN:.0f})",
            ),
        ]
    photo_width, photo_height = photo_size or (width, height)
    short = int(min(portrait_width(photo_width, photo_height), photo_height))
    checks.append(
        FrameCheck(
            "resolution",
            "Resolution",
            short >= MIN_SHORT_SIDE[quality],
            f"{short} px (≥ {MIN_SHORT_SIDE[quality]})",
        )
    )
    return Guidance(tuple(checks), face)


def draw_guidance(rgb: np.ndarray, guidance: Guidance, progress: float = 0.0) -> np.ndarray:
    """The frame with the face oval (green when ready) and a column of check indicators."""
    out = np.ascontiguousarray(rgb).copy()
    height, width = out.shape[:2]
    colour = GREEN if guidance.ready else (AMBER if guidance.face is not None else RED)
    axes = (int(portrait_width(width, height) * MIN_FACE_RATIO * 0.62), int(height * 0.4))
    centre = (width // 2, int(height * 0.48))
    cv2.ellipse(out, centre, axes, 0, 0, 360, colour, max(2, width // 200), cv2.LINE_AA)
    if progress > 0:
        cv2.ellipse(
            out,
            centre,
            (axes[0] + 8, axes[1] + 8),
            0,
            -90,
            -90 + int(360 * progress),
            GREEN,
            4,
            cv2.LINE_AA,
        )
    scale = max(0.35, min(width, height) / 1100)
    y = 10
    for check in guidance.checks:
        text = ("OK  " if check.ok else "X  ") + check.label
        (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        fill = BADGE_PASS if check.ok else BADGE_FAIL
        cv2.rectangle(out, (8, y), (8 + w + 12, y + h + 12), fill, -1)
        cv2.putText(
            out,
            text,
            (14, y + h + 5),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            BADGE_TEXT,
            1,
            cv2.LINE_AA,
        )
        y += h + 18
    return out


def _photo_camera_pending(guidance: Guidance) -> Guidance:
    """Until the browser's photo camera reports its size, resolution cannot be judged: the
    video's own size says nothing about the photo's."""
    pending = FrameCheck("camera", "Resolution", False, "photo camera opening")
    return Guidance(
        tuple(pending if c.id == "resolution" else c for c in guidance.checks), guidance.face
    )


class Reference(Protocol):
    """What the camera repeats at a follow-up (`pose.BaselineReference`): one more check per
    frame, and a drawing under the guidance."""

    def check(self, rgb: np.ndarray, face: FaceBox | None) -> FrameCheck: ...

    def draw(self, rgb: np.ndarray) -> np.ndarray: ...


@dataclass
class LiveState:
    """Shared between the camera's frame thread and the page's script runs.

    Auto-capture asks for a still (`requested` counts the asks); the page has the browser take it
    and hands it back with `still_arrived`, so one ask gives at most one photo."""

    quality: str = "sd"
    armed: bool = False
    """Consent given and a participant set: auto-capture may fire."""
    photo_size: tuple[int, int] | None = None
    """(width, height) of the photo camera, once the browser has opened it."""
    guidance: Guidance | None = None
    ready_since: float | None = None
    requested: int = 0
    pending: bool = False
    """A still has been asked for and has not arrived yet."""
    requested_at: float = 0.0
    manual: bool = False
    """The open ask is the facilitator's: the still is used as it is, not checked for framing."""
    reference: Reference | None = None
    """At a follow-up, the participant's baseline: its ghost is drawn and its match checked."""
    frames: int = 0
    frame_ms: float = 0.0
    """How long the last frame took to assess and draw."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_frame(self, rgb: np.ndarray, now: float | None = None, every: int = 2) -> np.ndarray:
        """Assess (every `every`-th frame, to stay smooth), maybe ask for a still, and draw."""
        now = time.monotonic() if now is None else now
        with self.lock:
            self.frames += 1
            assess = self.guidance is None or self.frames % every == 0
            quality, photo_size, reference = self.quality, self.photo_size, self.reference
        if assess:
            guidance = assess_frame(rgb, quality, photo_size)
            if photo_size is None:
                guidance = _photo_camera_pending(guidance)
            if reference is not None:
                matched = reference.check(rgb, guidance.face)
                guidance = Guidance((*guidance.checks, matched), guidance.face)
        else:
            guidance = self.guidance
        with self.lock:
            self.guidance = guidance
            # The hold counts from consent, so a participant gets a moment once armed.
            if guidance.ready and self.armed and not self.pending:
                self.ready_since = self.ready_since or now
            else:
                self.ready_since = None
            held = now - self.ready_since if self.ready_since else 0.0
            if held >= HOLD_SECONDS:
                self._request(now, manual=False)
            progress = 1.0 if self.pending else min(held / HOLD_SECONDS, 1.0)
        shown = reference.draw(rgb) if reference is not None else rgb
        return draw_guidance(shown, guidance, progress if self.armed else 0.0)

    def request_capture(self) -> int:
        """Ask for a still now (the manual capture); the number of the ask."""
        with self.lock:
            return self._request(time.monotonic(), manual=True)

    def _request(self, now: float, manual: bool) -> int:
        if not self.pending:
            self.requested += 1
            self.pending, self.requested_at, self.manual = True, now, manual
            self.ready_since = None
        return self.requested

    def overdue(self, now: float | None = None, after: float = 8.0) -> bool:
        """Withdraw an ask the browser has not answered in `after` seconds; True if it did."""
        now = time.monotonic() if now is None else now
        with self.lock:
            late = self.pending and now - self.requested_at > after
        if late:
            self.withdraw()
        return late

    def withdraw(self) -> None:
        """Drop any open ask (next participant, or no answer); a late still is then ignored."""
        with self.lock:
            self.pending, self.ready_since = False, None

    @property
    def open_request(self) -> int | None:
        with self.lock:
            return self.requested if self.pending else None

    def still_arrived(self, request: int) -> bool:
        """True once for the still answering the open ask. Capture is then off until the page
        arms it again (next participant, or a still that could not be used)."""
        with self.lock:
            if not self.pending or request != self.requested:
                return False
            self.pending, self.ready_since, self.armed = False, None, False
            return True

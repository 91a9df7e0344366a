"""How well a live frame repeats a participant's baseline photo: the face's position, size and
light in the frame against the same in the stored baseline photo, and the baseline drawn over
the video as a translucent ghost to line up with.

Both are compared in the portrait window the photo is cut to (the centred 3:4 of the frame; the
live video is asked for in 3:4 already), the face box being the one the guidance finds. The
cascade's box gives no landmarks, so head tilt is not measured: a tilted head still moves the
box's position and size, and the ghost shows it."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .checks import face_measures
from .faces import FaceBox, detect_faces
from .live import LIVE_DETECT_SIDE, FrameCheck, portrait_width

MATCH_THRESHOLD = 80
"""Auto-capture at a follow-up waits until the match with the baseline is at least this (of
100) for the guidance's hold of a second."""
POSITION_TOLERANCE = 0.12
"""The face's centre this far off the baseline's (in fractions of the window) scores 0."""
SIZE_TOLERANCE = math.log(1.25)
"""A face 25 % larger or smaller than the baseline's scores 0."""
LIGHT_TOLERANCE = 45.0
"""A face this much brighter or darker than the baseline's (0–255 grey) scores 0."""


@dataclass(frozen=True)
class Pose:
    """A face in its window: centre and height as fractions of the window, brightness 0–255."""

    x: float
    y: float
    size: float
    brightness: float


@dataclass(frozen=True)
class Match:
    """How well a frame repeats the baseline: each part 0–100, and the score (the weakest)."""

    position: int
    size: int
    light: int

    @property
    def score(self) -> int:
        return min(self.position, self.size, self.light)

    def words(self) -> str:
        return f"position {self.position}, size {self.size}, light {self.light}"


def window(width: int, height: int) -> tuple[int, int, int, int]:
    """The centred portrait window (left, top, width, height) the photo is cut to."""
    inner = int(portrait_width(width, height))
    return (width - inner) // 2, 0, inner, height


def pose_in(rgb: np.ndarray, face: FaceBox | None = None) -> Pose | None:
    """The face's pose in the frame's window (found when not given); None without one face."""
    height, width = rgb.shape[:2]
    if face is None:
        faces = detect_faces(rgb, LIVE_DETECT_SIDE, min_fraction=0.25)
        if len(faces) != 1:
            return None
        face = faces[0]
    left, top, inner, tall = window(width, height)
    cx, cy = face.centre
    brightness = face_measures(rgb, (face,)).brightness or 0.0
    return Pose((cx - left) / inner, (cy - top) / tall, face.h / tall, brightness)


def match(now: Pose, baseline: Pose) -> Match:
    def part(error: float, tolerance: float) -> int:
        return round(100 * max(0.0, 1 - error / tolerance))

    return Match(
        part(math.hypot(now.x - baseline.x, now.y - baseline.y), POSITION_TOLERANCE),
        part(abs(math.log(max(now.size, 1e-6) / max(baseline.size, 1e-6))), SIZE_TOLERANCE),
        part(abs(now.brightness - baseline.brightness), LIGHT_TOLERANCE),
    )


def draw_ghost(rgb: np.ndarray, ghost: np.ndarray, opacity: float) -> np.ndarray:
    """The baseline photo blended over the frame's window at `opacity` (0–1)."""
    out = np.ascontiguousarray(rgb).copy()
    left, top, inner, tall = window(out.shape[1], out.shape[0])
    fitted = cv2.resize(ghost, (inner, tall), interpolation=cv2.INTER_AREA)
    area = out[top : top + tall, left : left + inner]
    out[top : top + tall, left : left + inner] = cv2.addWeighted(
        fitted, opacity, area, 1 - opacity, 0
    )
    return out


@dataclass
class BaselineReference:
    """A follow-up's baseline, as the live camera uses it: its face's pose, its photo as the
    ghost (shown at `opacity`; 0 hides it), and the last frame's match."""

    pose: Pose
    ghost: np.ndarray
    opacity: float = 0.35
    last: Match | None = None

    @classmethod
    def from_photo(cls, jpeg: bytes) -> BaselineReference | None:
        """From the stored baseline photo; None when it is unreadable or holds no one face."""
        try:
            rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
        except (OSError, ValueError):
            return None
        pose = pose_in(rgb)
        return None if pose is None else cls(pose, rgb)

    def check(self, rgb: np.ndarray, face: FaceBox | None) -> FrameCheck:
        """The frame's match with the baseline as a guidance check (auto-capture waits for it)."""
        self.last = None if face is None else match(pose_in(rgb, face), self.pose)
        if self.last is None:
            return FrameCheck("match", "Baseline match", False, "—")
        return FrameCheck(
            "match",
            "Baseline match",
            self.last.score >= MATCH_THRESHOLD,
            f"{self.last.score} (≥ {MATCH_THRESHOLD}) · {self.last.words()}",
        )

    def draw(self, rgb: np.ndarray) -> np.ndarray:
        return draw_ghost(rgb, self.ghost, self.opacity) if self.opacity > 0 else rgb

"""Face finding with OpenCV's bundled Haar cascade, and the facial regions derived from the box."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

DETECT_LONG_SIDE = 480
"""Faces are searched on a copy this size: the rules only need a face of ≥ 60 % of the width."""
CASCADE_PATH = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"


@dataclass(frozen=True)
class FaceBox:
    x: float
    y: float
    w: float
    h: float

    def scaled(self, factor: float) -> FaceBox:
        return FaceBox(self.x * factor, self.y * factor, self.w * factor, self.h * factor)

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def head(self) -> FaceBox:
        """The whole head the box implies (the cascade's box runs brows to mouth)."""
        return FaceBox(self.x - 0.08 * self.w, self.y - 0.35 * self.h, 1.16 * self.w, 1.6 * self.h)


_idle_cascades: list[cv2.CascadeClassifier] = []
_idle_lock = threading.Lock()


@contextmanager
def _cascade() -> Iterator[cv2.CascadeClassifier]:
    """A classifier no other thread is using: detectMultiScale on a shared one fails at random
    (an OpenCV assertion) when two threads call it at once, as the live camera and the emulator's
    engine do. Loading one takes ~20 ms, so they are kept for reuse rather than made per call."""
    with _idle_lock:
        cascade = _idle_cascades.pop() if _idle_cascades else None
    if cascade is None:
        cascade = cv2.CascadeClassifier(CASCADE_PATH)
        if cascade.empty():
            raise RuntimeError("OpenCV's bundled face cascade could not be loaded")
    try:
        yield cascade
    finally:
        with _idle_lock:
            _idle_cascades.append(cascade)


MIN_FACE_PIXELS = 24


def find_faces(image: Image.Image) -> list[FaceBox]:
    """Faces in a PIL image, largest first, in its pixel coordinates. A large photo is first
    reduced in Pillow (a cheap box filter), which avoids copying every pixel into numpy."""
    factor = max(1, max(image.size) // (2 * DETECT_LONG_SIDE))
    small = image.reduce(factor) if factor > 1 else image
    return [box.scaled(factor) for box in detect_faces(np.asarray(small))]


def detect_faces(
    rgb: np.ndarray, long_side: int = DETECT_LONG_SIDE, min_fraction: float = 0.12
) -> list[FaceBox]:
    """Faces in an RGB array, largest first, in the array's pixel coordinates."""
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_FACE_PIXELS:
        return []  # a strip of pixels holds no face, and the search cannot scale it
    scale = min(1.0, long_side / max(height, width))
    small = (
        rgb
        if scale == 1.0
        else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    if min(small.shape[:2]) < MIN_FACE_PIXELS:
        return []
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    min_side = max(24, int(min_fraction * min(small.shape[:2])))

    def search(pixels):
        with _cascade() as cascade:
            return cascade.detectMultiScale(
                pixels, scaleFactor=1.1, minNeighbors=6, minSize=(min_side, min_side)
            )

    found = search(gray)
    if len(found) == 0:
        # Equalising rescues dark or low-contrast faces, but on a large flat background it
        # can lose a face that the plain image shows, so it is only the second try.
        found = search(cv2.equalizeHist(gray))
    boxes = [FaceBox(*map(float, f)).scaled(1 / scale) for f in found]
    return sorted(_drop_nested(boxes), key=lambda b: b.w * b.h, reverse=True)


def _drop_nested(boxes: list[FaceBox]) -> list[FaceBox]:
    """The cascade sometimes also reports a smaller box inside a face; keep the outer one."""
    kept = []
    for box in sorted(boxes, key=lambda b: b.w, reverse=True):
        cx, cy = box.centre
        if not any(k.x <= cx <= k.x + k.w and k.y <= cy <= k.y + k.h for k in kept):
            kept.append(box)
    return kept


# Facial regions as rectangles relative to the face box: (x0, y0, x1, y1) in box widths/heights.
REGION_RECTS: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "forehead": ((0.22, -0.12, 0.78, 0.16),),
    "glabellar": ((0.42, 0.16, 0.58, 0.32),),
    "upper_eyelid": ((0.18, 0.25, 0.44, 0.36), (0.56, 0.25, 0.82, 0.36)),
    "periocular": ((0.14, 0.24, 0.46, 0.50), (0.54, 0.24, 0.86, 0.50)),
    "eyes": ((0.2, 0.32, 0.42, 0.44), (0.58, 0.32, 0.8, 0.44)),
    "brows": ((0.12, 0.2, 0.45, 0.33), (0.55, 0.2, 0.9, 0.33)),
    "under_eye": ((0.2, 0.46, 0.43, 0.56), (0.57, 0.46, 0.8, 0.56)),
    "tear_trough": ((0.3, 0.47, 0.42, 0.58), (0.58, 0.47, 0.7, 0.58)),
    "crowfeet": ((0.02, 0.3, 0.16, 0.52), (0.84, 0.3, 0.98, 0.52)),
    "nose": ((0.42, 0.36, 0.58, 0.68),),
    "cheek": ((0.12, 0.56, 0.36, 0.8), (0.64, 0.56, 0.88, 0.8)),
    "nasolabial": ((0.26, 0.64, 0.38, 0.86), (0.62, 0.64, 0.74, 0.86)),
    "marionette": ((0.26, 0.88, 0.4, 1.06), (0.6, 0.88, 0.74, 1.06)),
    "chin": ((0.36, 0.92, 0.64, 1.12),),
    "jaw": ((0.08, 0.8, 0.3, 1.02), (0.7, 0.8, 0.92, 1.02)),
}
COMPOSITE_REGIONS = {
    "t_zone": ("forehead", "glabellar", "nose"),
    "u_zone": ("cheek", "jaw", "chin"),
}


def region_mask(name: str, box: FaceBox, shape: tuple[int, int]) -> np.ndarray:
    """A boolean mask of one named region (or `whole`, the face oval) in an image of `shape`."""
    height, width = shape
    mask = np.zeros((height, width), dtype=np.uint8)
    if name == "whole":
        head = box.head()
        centre = (int(head.x + head.w / 2), int(head.y + head.h * 0.53))
        axes = (int(head.w * 0.42), int(head.h * 0.42))
        cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
        return mask.astype(bool)
    for part in COMPOSITE_REGIONS.get(name, (name,)):
        for x0, y0, x1, y1 in REGION_RECTS[part]:
            left, top = int(box.x + x0 * box.w), int(box.y + y0 * box.h)
            right, bottom = int(box.x + x1 * box.w), int(box.y + y1 * box.h)
            mask[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)] = 1
    return mask.astype(bool)

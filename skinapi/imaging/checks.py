"""Checking a photo the way the API would: every pre-flight check, with the fix for each.

The emulator judges photos by its own reading of the contract (skinapi/demo/rules.py), not by
these checks, so a mistake here is not also the emulator's; the live guidance uses the same
thresholds as these checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from PIL import Image

from ..concerns import ENGINE_LONG_SIDE, MAX_FILE_BYTES, MAX_LONG_SIDE, MIN_SHORT_SIDE
from .faces import FaceBox, find_faces
from .photo import FIX_ORDER, MIN_FACE_RATIO, Photo

Severity = Literal["pass", "warn", "block"]
SENDABLE_FORMATS = ("JPEG", "PNG")
DARK_BLOCK, DARK_WARN, BRIGHT_WARN = 55.0, 85.0, 215.0
SHARPNESS_WARN = 7.0


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    measured: str
    threshold: str
    message: str
    fix: str | None = None
    """The fix that solves it, if any: ``rotate``, ``reencode``, ``downscale`` or ``crop``."""
    engine_error: str | None = None
    """The engine error the API answers with when this check blocks."""


@dataclass(frozen=True)
class PhotoReport:
    quality: str
    checks: tuple[Check, ...]
    faces: tuple[FaceBox, ...] = field(default=())
    notes: tuple[str, ...] = ()
    size: tuple[int, int] = (0, 0)
    """Width and height of the photo in its file."""

    @property
    def blocking(self) -> list[Check]:
        return [c for c in self.checks if c.severity == "block"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.severity == "warn"]

    @property
    def ok(self) -> bool:
        return not self.blocking

    @property
    def engine_error(self) -> str | None:
        return next((c.engine_error for c in self.blocking if c.engine_error), None)

    @property
    def fixes(self) -> list[str]:
        wanted = {c.fix for c in self.checks if c.fix and c.severity != "pass"}
        return [f for f in FIX_ORDER if f in wanted]

    def to_dict(self) -> dict:
        return {
            "quality": self.quality,
            "ok": self.ok,
            "checks": [c.__dict__ for c in self.checks],
            "fixes": self.fixes,
            "notes": list(self.notes),
        }


# -- checking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceMeasures:
    faces: tuple[FaceBox, ...]
    brightness: float | None
    clipped: float | None
    sharpness: float | None


def measure_face(image: Image.Image) -> FaceMeasures:
    return face_measures(image, tuple(find_faces(image)))


def face_measures(image: Image.Image | np.ndarray, faces: tuple[FaceBox, ...]) -> FaceMeasures:
    """Light and sharpness of the largest face, measured the same way for photos and frames."""
    if not faces:
        return FaceMeasures(faces, None, None, None)
    face = _face_crop(image, faces[0])
    gray = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)
    brightness = float(gray.mean())
    clipped = float((gray >= 250).mean())
    sharpness = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    return FaceMeasures(faces, brightness, clipped, sharpness)


def _face_crop(image: Image.Image | np.ndarray, box: FaceBox, width: int = 256) -> np.ndarray:
    """The inner face at a fixed width, so measures do not depend on the photo's resolution."""
    w, h = image.size if isinstance(image, Image.Image) else (image.shape[1], image.shape[0])
    x0, y0 = max(int(box.x + 0.15 * box.w), 0), max(int(box.y + 0.15 * box.h), 0)
    x1, y1 = min(int(box.x + 0.85 * box.w), w), max(min(int(box.y + 0.95 * box.h), h), y0 + 1)
    x1 = max(x1, x0 + 1)
    if isinstance(image, Image.Image):
        crop = np.asarray(image.crop((x0, y0, x1, y1)))
    else:
        crop = image[y0:y1, x0:x1]
    scale = width / max(crop.shape[1], 1)
    return cv2.resize(
        crop, (width, max(int(crop.shape[0] * scale), 1)), interpolation=cv2.INTER_AREA
    )


def check_photo(photo: Photo, quality: str = "sd") -> PhotoReport:
    """Every pre-flight check for `quality` (``sd`` or ``hd``), blocking ones first in API order."""
    width, height = photo.original_size
    short, long_ = min(width, height), max(width, height)
    minimum = MIN_SHORT_SIDE[quality]
    checks: list[Check] = []

    sendable = photo.format in SENDABLE_FORMATS
    checks.append(
        Check(
            "format",
            "File format",
            "pass" if sendable else "block",
            photo.format,
            "JPG or PNG",
            "JPG or PNG." if sendable else f"{photo.format} is not accepted; convert it to JPG.",
            None if sendable else "reencode",
            None if sendable else "error_decode_image",
        )
    )
    size_ok = len(photo.data) < MAX_FILE_BYTES
    checks.append(
        Check(
            "file_size",
            "File size",
            "pass" if size_ok else "block",
            f"{len(photo.data) / 1e6:.1f} MB",
            "under 10 MB",
            "Under 10 MB." if size_ok else "The file is 10 MB or more; re-encode it as JPEG.",
            None if size_ok else "reencode",
            None if size_ok else "exceed_max_filesize",
        )
    )
    short_ok = short >= minimum
    checks.append(
        Check(
            "short_side",
            "Resolution",
            "pass" if short_ok else "block",
            f"{short} px short side",
            f"≥ {minimum} px for {quality.upper()}",
            f"Enough for {quality.upper()}."
            if short_ok
            else f"The short side is {short} px; {quality.upper()} needs {minimum} px. "
            + (
                "Use SD, or a higher camera resolution."
                if quality == "hd"
                else "Use a larger photo."
            ),
            None,
            None if short_ok else "error_below_min_image_size",
        )
    )
    if long_ > MAX_LONG_SIDE:
        long_check = ("block", f"The long side is {long_} px; the API takes at most 4096 px.")
    elif long_ > ENGINE_LONG_SIDE:
        long_check = ("warn", "The engine resizes to 2560 px; downscaling saves upload time.")
    else:
        long_check = ("pass", "Within 2560 px.")
    checks.append(
        Check(
            "long_side",
            "Long side",
            long_check[0],
            f"{long_} px",
            "≤ 4096 px (2560 used)",
            long_check[1],
            "downscale" if long_check[0] != "pass" else None,
            "error_exceed_max_image_size" if long_check[0] == "block" else None,
        )
    )
    if photo.exif_orientation != 1:
        checks.append(
            Check(
                "exif_rotation",
                "Rotation",
                "pass",
                f"EXIF orientation {photo.exif_orientation}",
                "upright pixels",
                "Stored turned with an orientation tag: judged as it shows, and sent upright.",
            )
        )
    measures = measure_face(photo.image)
    checks.extend(_face_checks(photo, measures, quality))
    orientation_ok = height >= width
    checks.append(
        Check(
            "orientation",
            "Orientation",
            "pass" if orientation_ok else "warn",
            "portrait" if orientation_ok else "landscape",
            "portrait preferred",
            "Portrait." if orientation_ok else "Landscape photo; portrait is preferred.",
            None if orientation_ok or not measures.faces else "crop",
        )
    )
    order = {"block": 0, "warn": 1, "pass": 2}
    checks.sort(key=lambda c: order[c.severity])
    return PhotoReport(quality, tuple(checks), measures.faces, photo.notes, photo.original_size)


def _face_checks(photo: Photo, m: FaceMeasures, quality: str) -> list[Check]:
    width, height = photo.image.size
    count = len(m.faces)
    if count != 1:
        message = (
            "No face found: use a front-facing photo of one face, eyes open, in even light."
            if count == 0
            else f"{count} faces found; keep exactly one person in the photo."
        )
        code = "error_no_face" if count == 0 else "error_multiple_people"
        return [
            Check(
                "face_count",
                "One face",
                "block",
                f"{count} faces",
                "exactly 1",
                message,
                None,
                code,
            )
        ]
    face = m.faces[0]
    checks = [Check("face_count", "One face", "pass", "1 face", "exactly 1", "One face found.")]
    outside = _outside_fraction(face.head(), width, height)
    inside_ok = outside <= 0.10
    checks.append(
        Check(
            "face_in_frame",
            "Face in frame",
            "pass" if inside_ok else "block",
            f"{outside:.0%} of the head outside",
            "≤ 10%",
            "The whole face is in the photo."
            if inside_ok
            else "Part of the face is cut off; centre the face with some margin around it.",
            None,
            None if inside_ok else "error_src_face_out_of_bound",
        )
    )
    ratio = face.w / width
    ratio_ok = ratio >= MIN_FACE_RATIO
    checks.append(
        Check(
            "face_width",
            "Face size",
            "pass" if ratio_ok else "block",
            f"{ratio:.0%} of the width",
            "≥ 60%",
            "The face fills enough of the frame."
            if ratio_ok
            else f"The face fills only {ratio:.0%} of the width; the API needs 60%. "
            "Move closer or use auto-crop.",
            None if ratio_ok else "crop",
            None if ratio_ok else "error_src_face_too_small",
        )
    )
    brightness = m.brightness or 0.0
    if brightness < DARK_BLOCK:
        light = ("block", "The face is too dark; face an even, bright light.")
    elif brightness < DARK_WARN:
        light = ("warn", "The face is dim; more light gives more reliable scores.")
    elif brightness > BRIGHT_WARN or (m.clipped or 0) > 0.25:
        light = ("warn", "The face is blown out; reduce the light or exposure.")
    else:
        light = ("pass", "Even, bright enough light.")
    checks.append(
        Check(
            "brightness",
            "Lighting",
            light[0],
            f"{brightness:.0f} / 255",
            f"{DARK_BLOCK:.0f}–{BRIGHT_WARN:.0f}",
            light[1],
            None,
            "error_lighting_dark" if light[0] == "block" else None,
        )
    )
    sharp_ok = (m.sharpness or 0) >= SHARPNESS_WARN
    checks.append(
        Check(
            "sharpness",
            "Sharpness",
            "pass" if sharp_ok else "warn",
            f"{m.sharpness or 0:.0f}",
            f"≥ {SHARPNESS_WARN:.0f}",
            "Sharp enough." if sharp_ok else "The face looks blurred; hold still and refocus.",
        )
    )
    return checks


def _outside_fraction(box: FaceBox, width: int, height: int) -> float:
    inside_w = max(0.0, min(box.x + box.w, width) - max(box.x, 0.0))
    inside_h = max(0.0, min(box.y + box.h, height) - max(box.y, 0.0))
    return 1.0 - (inside_w * inside_h) / max(box.w * box.h, 1.0)

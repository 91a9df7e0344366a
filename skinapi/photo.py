"""Reading any photo safely, checking it the way the API would, and the fixes for what fails.

The emulator's engine errors come from these same checks, so demo mode refuses exactly what
the pre-flight blocks.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageOps

from .concerns import ENGINE_LONG_SIDE, MAX_FILE_BYTES, MAX_LONG_SIDE, MIN_SHORT_SIDE
from .errors import PhotoError
from .faces import FaceBox, find_faces

Severity = Literal["pass", "warn", "block"]
SAMPLE_PHOTO = Path(__file__).parent / "assets" / "sample_face.jpg"
"""A public-domain NASA portrait (scikit-image's astronaut), cropped to the face."""
SENDABLE_FORMATS = ("JPEG", "PNG")
MAX_DECODE_PIXELS = 50_000_000
MIN_FACE_RATIO = 0.60
TARGET_FACE_RATIO = 0.70
DARK_BLOCK, DARK_WARN, BRIGHT_WARN = 55.0, 85.0, 215.0
SHARPNESS_WARN = 7.0


@dataclass(frozen=True)
class Photo:
    """A decoded photo and the bytes that would be sent for it."""

    data: bytes
    """The file as it would be uploaded."""
    image: Image.Image
    """RGB pixels as stored in the file (EXIF rotation not applied)."""
    format: str
    """What the content is (``JPEG``, ``PNG``, ``GIF``…), whatever the file name says."""
    original_size: tuple[int, int]
    """Width and height in the file, before any reduced-size decoding."""
    exif_orientation: int = 1
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        return self.original_size


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
    mode: str
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
            "mode": self.mode,
            "ok": self.ok,
            "checks": [c.__dict__ for c in self.checks],
            "fixes": self.fixes,
            "notes": list(self.notes),
        }


# -- loading ---------------------------------------------------------------------------------


def load_photo(data: bytes) -> Photo:
    """Decode any photo, or raise PhotoError saying why it cannot be read."""
    if not data:
        raise PhotoError("Cannot read this photo: the file is empty", hint="Choose another file.")
    sniffed = _sniff_unsupported(data)
    if sniffed:
        raise PhotoError(f"Cannot read this photo: it is {sniffed}", hint="Send a JPG or PNG.")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # Pixel counts are checked below, where a large JPEG can still be decoded reduced.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format or "unknown"
            size = image.size
            if size[0] < 1 or size[1] < 1:
                raise PhotoError("Cannot read this photo: it has no pixels")
            if fmt == "JPEG" and size[0] * size[1] > MAX_DECODE_PIXELS:
                image.draft("RGB", (MAX_LONG_SIDE, MAX_LONG_SIDE))
                notes.append(f"Decoded at reduced size: the file is {size[0]}×{size[1]} px.")
            elif size[0] * size[1] > MAX_DECODE_PIXELS:
                raise PhotoError(
                    f"Cannot read this photo: {size[0]}×{size[1]} px is too large to open safely",
                    hint="The API takes at most 4096 px on the long side; export it smaller.",
                )
            if getattr(image, "is_animated", False):
                notes.append(f"Animated image: only the first of {image.n_frames} frames is used.")
                image.seek(0)
            orientation = _exif_orientation(image)
            image.load()
            rgb = _to_rgb(image, notes)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(
            "Cannot read this photo: it unpacks to far more pixels than a photo has",
            hint="It looks like a decompression bomb; use a normal photo.",
        ) from exc
    except Exception as exc:  # Pillow raises many types for broken files
        what = "truncated or corrupt" if isinstance(exc, (OSError, SyntaxError)) else "unreadable"
        raise PhotoError(
            f"Cannot read this photo: the file is not an image or is {what}",
            hint="Send a complete JPG or PNG file.",
        ) from exc
    return Photo(data, rgb, fmt, size, orientation, tuple(notes))


def _sniff_unsupported(data: bytes) -> str | None:
    head = data[:32]
    if head.startswith(b"%PDF"):
        return "a PDF document, not a photo"
    if head[4:8] == b"ftyp" and any(t in head[8:12] for t in (b"heic", b"heix", b"mif1", b"hevc")):
        return "a HEIC photo, which the API does not accept (export it as JPG)"
    if head[4:8] == b"ftyp" and b"avif" in head[8:12]:
        return "an AVIF image, which the API does not accept (export it as JPG)"
    return None


def _exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1) or 1)
    except Exception:
        return 1


def _to_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if array.max() > 255 else 255.0
        notes.append("16-bit image converted to 8-bit colour.")
        gray = np.clip(array / peak * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(np.dstack([gray] * 3))
    if mode == "CMYK":
        notes.append("CMYK image converted to RGB.")
        return image.convert("RGB")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        notes.append("Transparency flattened onto white.")
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if mode != "RGB":
        return image.convert("RGB")
    return image


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


def check_photo(photo: Photo, mode: str = "sd") -> PhotoReport:
    """Every pre-flight check for `mode` (``sd`` or ``hd``), blocking ones first in API order."""
    width, height = photo.original_size
    short, long_ = min(width, height), max(width, height)
    minimum = MIN_SHORT_SIDE[mode]
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
            f"≥ {minimum} px for {mode.upper()}",
            f"Enough for {mode.upper()}."
            if short_ok
            else f"The short side is {short} px; {mode.upper()} needs {minimum} px. "
            + ("Use SD, or a higher camera resolution." if mode == "hd" else "Use a larger photo."),
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
                "warn",
                f"EXIF orientation {photo.exif_orientation}",
                "upright pixels",
                "The photo is stored rotated and relies on an EXIF tag to show upright; "
                "rotate it so the face is upright in the pixels.",
                "rotate",
            )
        )
    measures = measure_face(photo.image)
    checks.extend(_face_checks(photo, measures, mode))
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
    return PhotoReport(mode, tuple(checks), measures.faces, photo.notes, photo.original_size)


def _face_checks(photo: Photo, m: FaceMeasures, mode: str) -> list[Check]:
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
            "≤ 10 %",
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
            "≥ 60 %",
            "The face fills enough of the frame."
            if ratio_ok
            else f"The face fills only {ratio:.0%} of the width; the API needs 60 %. "
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


# -- fixing ----------------------------------------------------------------------------------

FIX_ORDER = ("rotate", "crop", "downscale", "reencode")
FIX_LABELS = {
    "rotate": "Rotate upright (apply the EXIF rotation)",
    "crop": "Crop to the face (60–80 % of the width, portrait)",
    "downscale": "Downscale to 2560 px on the long side",
    "reencode": "Re-encode as JPEG",
}


def apply_fixes(photo: Photo, fixes: list[str], mode: str = "sd") -> Photo:
    """Apply the chosen fixes in a safe order; raise PhotoError when one cannot work."""
    image = photo.image
    notes = list(photo.notes)
    orientation = photo.exif_orientation
    if "rotate" in fixes and orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.info["exif"] = exif.tobytes()
        image = ImageOps.exif_transpose(image)
        orientation = 1
    if "crop" in fixes:
        image = crop_to_face(image, mode)
    if "downscale" in fixes or max(image.size) > MAX_LONG_SIDE:
        image = _downscale(image, ENGINE_LONG_SIDE)
    data = encode_jpeg(image)
    fixed = replace(
        photo,
        data=data,
        image=image,
        format="JPEG",
        original_size=image.size,
        exif_orientation=orientation,
        notes=tuple(notes),
    )
    return fixed


def crop_to_face(image: Image.Image, mode: str = "sd") -> Image.Image:
    """Crop so the face fills ~70 % of the width, portrait 3:4; never upscale."""
    faces = find_faces(image)
    if len(faces) != 1:
        raise PhotoError(
            "Cannot crop to the face: " + ("no face found" if not faces else "more than one face"),
        )
    face = faces[0]
    crop_w = face.w / TARGET_FACE_RATIO
    crop_h = crop_w * 4 / 3
    width, height = image.size
    if crop_h > height:
        crop_h = float(height)
        crop_w = min(crop_h * 3 / 4, face.w / MIN_FACE_RATIO * 0.999)
    minimum = MIN_SHORT_SIDE[mode]
    if min(crop_w, crop_h) < minimum:
        raise PhotoError(
            f"Cannot crop to the face: the cropped photo would be only {int(crop_w)} px wide, "
            f"below the {minimum} px that {mode.upper()} needs",
            hint="Move closer to the camera"
            + (", or choose SD." if mode == "hd" else " or use a higher resolution."),
        )
    cx, cy = face.centre
    left = min(max(cx - crop_w / 2, 0), width - crop_w)
    top = min(max(cy - crop_h * 0.45, 0), height - crop_h)
    return image.crop((int(left), int(top), int(left + crop_w), int(top + crop_h)))


def _downscale(image: Image.Image, long_side: int) -> Image.Image:
    if max(image.size) <= long_side:
        return image
    scale = long_side / max(image.size)
    return image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )


def encode_jpeg(image: Image.Image, quality: int = 92) -> bytes:
    for q in (quality, 85, 75, 60):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=q)
        if buffer.tell() < MAX_FILE_BYTES:
            return buffer.getvalue()
    raise PhotoError("Cannot re-encode this photo under 10 MB", hint="Downscale it first.")

"""Reading any photo safely, the sample photo, and the fixes for what the checks find.

`checks.py` judges a photo the way the API would; the fixes here (rotate, crop to the face,
downscale, re-encode) are what its failing checks point to.
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..concerns import ENGINE_LONG_SIDE, MAX_FILE_BYTES, MAX_LONG_SIDE, MIN_SHORT_SIDE
from ..errors import PhotoError
from ..names import one_line
from .faces import find_faces

SAMPLE_PHOTO = Path(__file__).parent.parent / "assets" / "sample_face.jpg"
"""A public-domain NASA portrait (scikit-image's astronaut), cropped to the face."""
MAX_DECODE_PIXELS = 50_000_000
MAX_DECODE_BYTES = 200 * 1024 * 1024
"""What decoding may take in memory, by the image's own bit depth and channels."""
_BYTES_PER_PIXEL = {
    "1": 1,
    "L": 1,
    "P": 1,
    "LA": 2,
    "PA": 2,
    "RGB": 3,
    "YCbCr": 3,
    "LAB": 3,
    "HSV": 3,
    "RGBA": 4,
    "RGBa": 4,
    "CMYK": 4,
    "I": 4,
    "F": 4,
}
MIN_FACE_RATIO = 0.60
TARGET_FACE_RATIO = 0.70


@dataclass(frozen=True)
class Photo:
    """A decoded photo and the bytes that would be sent for it."""

    data: bytes
    """The file as it would be uploaded."""
    image: Image.Image
    """RGB pixels as people see the photo: an EXIF orientation tag is applied."""
    format: str
    """What the content is (``JPEG``, ``PNG``, ``GIF``…), whatever the file name says."""
    original_size: tuple[int, int]
    """Width and height as people see the photo (upright), before any reduced-size decoding."""
    exif_orientation: int = 1
    """The orientation tag of the file; 1 when its pixels are upright already."""
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        return self.original_size


# -- loading ---------------------------------------------------------------------------------


_PILLOW = Path(Image.__file__).parent


def load_photo(data: bytes) -> Photo:
    """Decode any photo, or raise PhotoError saying why it cannot be read."""
    if not data:
        raise PhotoError("Cannot read this photo: the file is empty", hint="Choose another file.")
    sniffed = _sniff_unsupported(data)
    if sniffed:
        raise PhotoError(f"Cannot read this photo: it is {sniffed}", hint="Send a JPG or PNG.")
    notes: list[str] = []
    try:
        # The decoder's warnings (damaged metadata, often dozens of them) belong in the report,
        # not on a terminal.
        with warnings.catch_warnings(record=True) as decoder_warnings:
            warnings.simplefilter("always")
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
            elif size[0] * size[1] > MAX_DECODE_PIXELS or _decoded_bytes(image) > MAX_DECODE_BYTES:
                raise PhotoError(
                    f"Cannot read this photo: {size[0]}×{size[1]} px is too large to open safely",
                    hint="The API takes at most 4096 px on the long side; export it smaller.",
                )
            if getattr(image, "is_animated", False):
                notes.append(f"Animated image: only the first of {image.n_frames} frames is used.")
                image.seek(0)
            orientation = _exif_orientation(image)
            image.load()
            rgb = _upright(_to_rgb(image, notes), orientation, notes)
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
    # The process's warnings, not this thread's, are what `catch_warnings` records: another
    # thread's (requests' SOCKS notice while the CLI loads it beside the check) is no note here.
    decoder_warnings = [w for w in decoder_warnings if _PILLOW in Path(w.filename).parents]
    if decoder_warnings:
        first = one_line(str(decoder_warnings[0].message), 120)
        more = f" and {len(decoder_warnings) - 1} more" if len(decoder_warnings) > 1 else ""
        notes.append(f"The file's metadata is damaged (the decoder said: {first}{more}).")
    if orientation in (5, 6, 7, 8):
        size = (size[1], size[0])
    return Photo(data, rgb, fmt, size, orientation, tuple(notes))


def _decoded_bytes(image: Image.Image) -> int:
    per_pixel = 2 if image.mode.startswith("I;16") else _BYTES_PER_PIXEL.get(image.mode, 4)
    return image.width * image.height * per_pixel


def _upright(image: Image.Image, orientation: int, notes: list[str]) -> Image.Image:
    """The pixels as people see them: phones store photos sideways with an orientation tag."""
    if orientation == 1:
        return image
    tagged = image.copy()
    exif = Image.Exif()
    exif[0x0112] = orientation
    tagged.info["exif"] = exif.tobytes()
    notes.append(f"Stored turned (EXIF orientation {orientation}): judged and sent upright.")
    return ImageOps.exif_transpose(tagged)


def upload_bytes(photo: Photo) -> bytes:
    """What to send for `photo`: its file as it is, or, when it relies on an orientation tag,
    the upright pixels as a JPEG (the tag is not something to count on at the other end)."""
    return photo.data if photo.exif_orientation == 1 else encode_jpeg(photo.image)


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
    """The orientation tag, 1 to 8; any other value (damage) counts as upright, as viewers do."""
    try:
        value = int(image.getexif().get(0x0112, 1) or 1)
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def _to_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Integer arithmetic on the image's own width: no float copy of a large image.
        array = np.asarray(image)
        notes.append("16-bit image converted to 8-bit colour.")
        wide = array.max() > 255
        if array.dtype.itemsize == 2:
            # The high byte of each 16-bit value, read in place: no copy at 16 bits.
            high = 0 if array.dtype.byteorder == ">" else 1
            gray = np.ascontiguousarray(array.view(np.uint8)[..., high if wide else 1 - high :: 2])
        elif wide:
            gray = (np.clip(array, 0, 65535) // 257).astype(np.uint8)
        else:
            gray = np.clip(array, 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
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


# -- fixing ----------------------------------------------------------------------------------

FIX_ORDER = ("rotate", "crop", "downscale", "reencode")
FIX_LABELS = {
    "rotate": "Rotate upright (apply the EXIF rotation)",
    "crop": "Crop to the face (60–80% of the width, portrait)",
    "downscale": "Downscale to 2560 px on the long side",
    "reencode": "Re-encode as JPEG",
}


def apply_fixes(photo: Photo, fixes: list[str], quality: str = "sd") -> Photo:
    """Apply the chosen fixes in a safe order; raise PhotoError when one cannot work."""
    image = photo.image
    notes = list(photo.notes)
    orientation = photo.exif_orientation
    if "rotate" in fixes:
        orientation = 1  # the pixels are upright already; encoding them drops the tag
    if "crop" in fixes:
        image = crop_to_face(image, quality)
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


def crop_to_face(image: Image.Image, quality: str = "sd") -> Image.Image:
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
    minimum = MIN_SHORT_SIDE[quality]
    if min(crop_w, crop_h) < minimum:
        raise PhotoError(
            f"Cannot crop to the face: the cropped photo would be only {int(crop_w)} px wide, "
            f"below the {minimum} px that {quality.upper()} needs",
            hint="Move closer to the camera"
            + (", or choose SD." if quality == "hd" else " or use a higher resolution."),
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


def preview_jpeg(data: bytes, width: int) -> bytes | None:
    """A photo as a JPEG within `width` × 2·`width` px (upright, RGB), for showing it without
    sending the browser an HD original, a 16-bit PNG it cannot show or pixels past the decode
    cap; None when it cannot be decoded (as `load_photo` decodes it)."""
    try:
        image = load_photo(data).image
    except PhotoError:  # a photo the API refused is still a run: it has no preview
        return None
    image.thumbnail((width, 2 * width), Image.BILINEAR)  # a tall photo is capped too
    image = _within_aspect(image, PREVIEW_MAX_ASPECT)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


PREVIEW_MAX_ASPECT = 20
"""A preview is never thinner than 1:20: a strip of pixels is shown on a margin, as a line a
page can scale (scaled as it is, its height rounded to 0 px)."""


def _within_aspect(image: Image.Image, most: int) -> Image.Image:
    width, height = image.size
    canvas = (max(width, -(-height // most)), max(height, -(-width // most)))
    if canvas == (width, height):
        return image
    framed = Image.new("RGB", canvas, (236, 236, 236))
    framed.paste(image, ((canvas[0] - width) // 2, (canvas[1] - height) // 2))
    return framed


def encode_jpeg(image: Image.Image, quality: int = 92) -> bytes:
    for q in (quality, 85, 75, 60):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=q)
        if buffer.tell() < MAX_FILE_BYTES:
            return buffer.getvalue()
    raise PhotoError("Cannot re-encode this photo under 10 MB", hint="Downscale it first.")


SAMPLE_HD_SIZE = (1080, 1440)
"""The sample scaled to HD's minimum short side: no public-domain face photo that large is at
hand offline, so HD's flow and masks are tried on an upscale that adds no detail."""


@functools.lru_cache(maxsize=1)
def sample_hd_jpeg() -> bytes:
    return sample_jpeg(SAMPLE_HD_SIZE)


def sample_jpeg(size: tuple[int, int] | None = None, quality: int = 92) -> bytes:
    """The sample photo as a JPEG, resized to `size` (width, height) when given."""
    image = Image.open(SAMPLE_PHOTO)
    if size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()

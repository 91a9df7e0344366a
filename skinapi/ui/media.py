"""Photos and overlays for the pages, cached: photo checks, masks decoded once per result,
composites per choice of masks, colours and opacity."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from ..errors import PhotoError
from ..imaging import overlay
from ..imaging.checks import PhotoReport, check_photo
from ..imaging.photo import load_photo, preview_jpeg, upload_bytes
from ..runs.lifecycle import Run

DISPLAY_SIDE = 1600
"""Overlays are drawn at most this large: the page never shows more, and it keeps them fast."""


@st.cache_data(show_spinner=False, max_entries=32)
def inspect_photo(data: bytes, quality: str) -> tuple[PhotoReport | None, str | None]:
    """(report, None) or (None, why it cannot be read)."""
    try:
        return check_photo(load_photo(data), quality), None
    except PhotoError as exc:
        return None, str(exc)


PREVIEW_WIDTH = 720
"""Pixels across a chosen photo's preview: sharp at the page's 360 px on a 2× screen."""


@st.cache_data(show_spinner=False, max_entries=16)
def photo_preview(data: bytes, width: int = PREVIEW_WIDTH) -> bytes | None:
    """What the page shows of a chosen photo: decoded as the checks decode it (within the pixel
    cap, any mode made RGB), never the upload itself, which the browser may not show (16-bit,
    TIFF) or Streamlit cannot scale (a strip of pixels)."""
    return preview_jpeg(data, width)


@st.cache_data(show_spinner=False, max_entries=16)
def upright(data: bytes) -> tuple[bytes, int]:
    """A photo as it will be sent: a phone's sideways photo with its rotation in the pixels;
    (bytes, the EXIF orientation it had). Unreadable photos come back as they are."""
    try:
        photo = load_photo(data)
    except PhotoError:
        return data, 1
    return upload_bytes(photo), photo.exif_orientation


@st.cache_resource(show_spinner=False, max_entries=8)
def _layers(task_id: str, _run: Run) -> tuple[np.ndarray, dict]:
    return overlay.prepare(overlay_base(_run), _run.result.masks, DISPLAY_SIDE)


def overlay_base(run: Run) -> bytes:
    """The photo the masks are drawn on: the engine's resized copy when given, else the upload."""
    return run.result.resized_image or run.photo


@st.cache_data(show_spinner=False, max_entries=64)
def overlay_image(
    task_id: str,
    keys: tuple[str, ...],
    colours: tuple[tuple[str, str], ...],
    opacity: float,
    _run: Run,
    focus: str | None = None,
) -> bytes:
    """The chosen masks on the photo; with a `focus` (a concern picked on the radar) the others
    fade and the focus is painted strongly on top."""
    base, layers = _layers(task_id, _run)
    if focus is None:
        return overlay.to_jpeg(overlay.composite(base, layers, list(keys), dict(colours), opacity))
    others = [k for k in keys if k != focus]
    faded = overlay.composite(base, layers, others, dict(colours), opacity * FADED)
    return overlay.to_jpeg(
        overlay.composite(faded, layers, [focus], dict(colours), max(opacity, FOCUSED))
    )


FADED, FOCUSED = 0.3, 0.9
"""Opacity factors when one concern is highlighted: the others at 30 %, the focus at ≥ 90 %."""


def blended_layers(run: Run, keys: list[str]) -> list[tuple[str, np.ndarray]]:
    _, layers = _layers(run.task_id, run)
    return [(k, layers[k].blended) for k in keys if k in layers and layers[k].blended is not None]


def base_image(run: Run) -> np.ndarray:
    return _layers(run.task_id, run)[0]


def wipe(run: Run, overlay_jpeg: bytes, position: int) -> np.ndarray:
    """Masks left of `position` % of the width, the original right of it, a line between."""
    painted = np.asarray(Image.open(io.BytesIO(overlay_jpeg)).convert("RGB"))
    return overlay.wipe(base_image(run), painted, position)

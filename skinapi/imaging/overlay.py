"""Mask overlays: raw PNG masks alpha-blended onto the photo, scaled to it when the engine resized.

Masks are decoded once into alpha layers cropped to their bounding boxes, so compositing costs
only the pixels a mask actually marks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ..concerns import colour_hex

PNG_MAGIC = b"\x89PNG"


@dataclass(frozen=True)
class Layer:
    key: str
    alpha: np.ndarray | None
    """uint8 alpha inside `box`, for raw PNG masks."""
    box: tuple[int, int, int, int]
    """(top, bottom, left, right) in the photo's pixels."""
    blended: np.ndarray | None = None
    """The server's overlay (RGB at the photo's size), when masks came blended as JPEG."""


def default_colour(key: str) -> str:
    """The catalogue's colour for the concern of a mask key (``hd_pore:forehead``)."""
    return colour_hex(key.split(":")[0])


def prepare(base: bytes, masks: dict[str, bytes], max_side: int | None = None):
    """The photo the masks go on, decoded (and scaled so its long side is at most `max_side`),
    and every mask as a layer at that size: (RGB array, {mask key: Layer})."""
    image = Image.open(io.BytesIO(base)).convert("RGB")
    if max_side and max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
        )
    rgb = np.asarray(image)
    return rgb, decode_layers(masks, (rgb.shape[1], rgb.shape[0]))


def decode_layers(masks: dict[str, bytes], size: tuple[int, int]) -> dict[str, Layer]:
    """Every mask as a layer at `size` (width, height) of the photo it will be drawn on."""
    width, height = size
    layers = {}
    for key, data in masks.items():
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if array is None:
            continue
        if data[:4] == PNG_MAGIC and array.ndim == 3 and array.shape[2] == 4:
            alpha = array[..., 3]
            if alpha.shape != (height, width):
                alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR)
            rows = np.flatnonzero(alpha.any(axis=1))
            cols = np.flatnonzero(alpha.any(axis=0))
            if rows.size == 0:
                layers[key] = Layer(key, np.zeros((0, 0), np.uint8), (0, 0, 0, 0))
                continue
            top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            layers[key] = Layer(
                key, np.ascontiguousarray(alpha[top:bottom, left:right]), (top, bottom, left, right)
            )
        else:
            rgb = cv2.cvtColor(array, cv2.COLOR_BGR2RGB) if array.ndim == 3 else array
            if rgb.shape[:2] != (height, width):
                rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)
            layers[key] = Layer(key, None, (0, height, 0, width), blended=rgb)
    return layers


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio of two `#rrggbb` colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [c / 255 for c in hex_to_rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on `background` by contrast ratio: a brightness
    threshold put white on magenta at 3.1:1."""
    return max(("#000000", "#ffffff"), key=lambda text: contrast_ratio(text, background))


def composite(
    photo: np.ndarray,
    layers: dict[str, Layer],
    keys: list[str],
    colours: dict[str, str],
    opacity: float,
) -> np.ndarray:
    """The photo with the chosen raw masks painted on in their colours, at `opacity`."""
    out = np.array(photo, dtype=np.uint8, copy=True)
    for key in keys:
        layer = layers.get(key)
        if layer is None or layer.alpha is None or layer.alpha.size == 0:
            continue
        top, bottom, left, right = layer.box
        region = out[top:bottom, left:right]
        weight = cv2.multiply(layer.alpha, opacity / 255.0, dtype=cv2.CV_32F)
        paint = np.empty_like(region)
        paint[:] = hex_to_rgb(colours.get(key) or default_colour(key))
        # cv2's per-pixel blend, written in place into the photo's region, is ~3x faster
        # than the same sum in numpy.
        cv2.blendLinear(region, paint, 1.0 - weight, weight, dst=region)
    return out


def to_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def wipe(base: np.ndarray, painted: np.ndarray, position: int) -> np.ndarray:
    """`painted` left of `position` % of the width, `base` right of it, a white line between."""
    split = int(base.shape[1] * position / 100)
    out = base.copy()
    out[:, :split] = painted[:, :split]
    out[:, max(split - 2, 0) : split + 2] = 255
    return out

"""Mask overlays: raw PNG masks alpha-blended onto the photo, scaled to it when the engine resized.

Masks are decoded once into alpha layers cropped to their bounding boxes, so compositing costs
only the pixels a mask actually marks.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .engine import MASK_COLOURS, base_name

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
    r, g, b = MASK_COLOURS.get(base_name(key.split(":")[0]), (255, 0, 160))
    return f"#{r:02x}{g:02x}{b:02x}"


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


def bench_overlay(runs: int) -> None:
    """Median time to composite every mask of an all-HD result at 2560 px."""
    from .bench import _photo
    from .concerns import HD_ACTIONS
    from .engine import analyze
    from .photo import check_photo, load_photo

    photo = load_photo(_photo((1920, 2560)))
    output = analyze(photo, check_photo(photo, "hd").faces[0], HD_ACTIONS)
    masks = {name: data for name, data in output.masks.items() if name.endswith(".png")}
    rgb = np.asarray(photo.image)
    start = time.perf_counter()
    layers = decode_layers(masks, photo.image.size)
    decode = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        composite(rgb, layers, list(layers), {}, 0.6)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"overlay 1920×2560, all {len(layers)} HD masks, runs={runs}")
    print(f"  decode masks (once)  {decode:.3f} s")
    print(f"  composite all masks  median {times[len(times) // 2]:.3f} s  (target ≤ 0.3 s)")

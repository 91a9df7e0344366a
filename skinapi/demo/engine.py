"""The demo engine: deterministic scores computed from the photo itself, never random.

Honest heuristics, not YouCam's AI. The face is found with OpenCV's Haar cascade, facial regions
come from the face box (`faces.REGION_RECTS`), and each concern measures one visible property of
the skin in its regions on a copy where the face is `WORK_FACE_WIDTH` px wide:

- redness: LAB a* of the skin above a neutral baseline; acne: small spots redder than around
  them; age spots: small spots darker than around them.
- texture: high-frequency energy; pores: dark dots (black top-hat); moisture: fine roughness on
  desaturated skin.
- wrinkles, eye bags, droopy lids, firmness: density of dark ridges (a larger black top-hat) in
  the concern's regions.
- oiliness: specular highlights (bright, unsaturated pixels) in the T-zone; radiance: brightness
  and evenness of the skin.
- dark circles and tear troughs: how much darker the under-eye is than the cheeks.

Each measure maps to a raw score of 1–100 (higher is healthier); the ui score is a gentler
rescale. Masks are the pixels that drove each score, as alpha at the photo's resolution.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from ..concerns import CONCERNS, ENGINE_LONG_SIDE, REGIONS, family, mask_colour
from ..imaging.faces import FaceBox, region_mask
from ..imaging.photo import Photo
from . import png

WORK_FACE_WIDTH = 320
SKIN_TYPE_REGIONS = ("whole", "t_zone", "u_zone")


@dataclass
class EngineOutput:
    width: int
    height: int
    scores: list[dict] = field(default_factory=list)
    """Items shaped like the API's JSON output (type, region, raw_score, ui_score, mask)."""
    skin_types: list[dict] = field(default_factory=list)
    overall: float = 0.0
    skin_age: int = 0
    masks: dict[str, bytes] = field(default_factory=dict)
    """Encoded mask files by their documented file name."""
    resized_image: bytes = b""


@dataclass
class _Maps:
    """Per-pixel measures on the working copy of the face."""

    box: FaceBox
    shape: tuple[int, int]
    skin: np.ndarray
    lightness: np.ndarray
    redness: np.ndarray
    saturation: np.ndarray
    fine: np.ndarray
    dots: np.ndarray
    ridges: np.ndarray
    red_spots: np.ndarray
    dark_spots: np.ndarray
    specular: np.ndarray
    _regions: dict = field(default_factory=dict)

    def region(self, name: str) -> np.ndarray:
        if name not in self._regions:
            self._regions[name] = region_mask(name, self.box, self.shape) & self.skin
        return self._regions[name]


def analyze(
    photo: Photo, face: FaceBox, actions, miniserver_args: dict | None = None
) -> EngineOutput:
    """Score `actions` for the face at `face` (in the photo's pixel coordinates)."""
    args = miniserver_args or {}
    image = photo.image
    scale = min(1.0, ENGINE_LONG_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
        )
        face = face.scaled(scale)
    rgb = np.asarray(image)
    crop_box, maps = _working_copy(rgb, face)
    out = EngineOutput(width=image.width, height=image.height)
    measured: dict[str, float] = {}
    mask_jobs: list[tuple[str, str, np.ndarray]] = []

    for action in actions:
        concern = CONCERNS[action]
        if concern.is_skin_type:
            for zone in SKIN_TYPE_REGIONS:
                out.skin_types.append({"region": zone, "skin_type": _skin_type(maps, zone)})
                mask_jobs.append((action, zone, maps.region(zone).astype(np.float32)))
            continue
        regions = REGIONS.get(action, ("whole",)) if concern.quality == "hd" else (None,)
        for region in regions:
            raw, alpha = _measure(family(action), maps, region)
            measured.setdefault(action, raw)
            if region in (None, "whole"):
                measured[action] = raw
            out.scores.append(
                {"type": action, "region": region, "raw_score": raw, "ui_score": ui_score(raw)}
            )
            mask_jobs.append((action, region or "whole", alpha))

    if measured:
        out.overall = float(np.mean(list(measured.values())))
        out.skin_age = int(round(np.clip(20 + (100 - out.overall) * 0.55, 18, 80)))
    out.masks = _encode_masks(rgb, crop_box, mask_jobs, args)
    out.resized_image = _jpeg(rgb)
    return out


def ui_score(raw: float) -> int:
    """The API's ui_score is a friendlier rescale of raw_score; ours lifts the low end."""
    return int(np.clip(round(35 + 0.65 * raw), 1, 100))


def _working_copy(rgb: np.ndarray, face: FaceBox):
    height, width = rgb.shape[:2]
    head = face.head()
    x0, y0 = max(int(head.x - 0.1 * head.w), 0), max(int(head.y - 0.05 * head.h), 0)
    x1, y1 = min(int(head.x + 1.1 * head.w), width), min(int(head.y + 1.05 * head.h), height)
    scale = WORK_FACE_WIDTH / face.w
    crop = rgb[y0:y1, x0:x1]
    work = cv2.resize(
        crop,
        (max(int(crop.shape[1] * scale), 1), max(int(crop.shape[0] * scale), 1)),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    box = FaceBox((face.x - x0) * scale, (face.y - y0) * scale, face.w * scale, face.h * scale)
    return (x0, y0, x1, y1), _maps(work, box)


def _maps(work: np.ndarray, box: FaceBox) -> _Maps:
    shape = work.shape[:2]
    lab = cv2.cvtColor(work, cv2.COLOR_RGB2LAB).astype(np.float32)
    lightness, a_star, b_star = lab[..., 0], lab[..., 1] - 128, lab[..., 2] - 128
    hsv = cv2.cvtColor(work, cv2.COLOR_RGB2HSV).astype(np.float32)
    saturation = hsv[..., 1] / 255.0
    gray = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    face_oval = region_mask("whole", box, shape)
    features = region_mask("eyes", box, shape) | region_mask("brows", box, shape)
    skin = _skin(work, box, lightness, a_star, b_star, gray, face_oval, features)
    if skin.sum() < 0.2 * face_oval.sum():
        skin = face_oval & ~features
    gray_f = gray.astype(np.float32)
    fine = np.abs(gray_f - cv2.GaussianBlur(gray_f, (0, 0), 1.5))
    small = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    large = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))
    dots = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, small).astype(np.float32)
    ridges = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, large).astype(np.float32)
    red_spots = a_star - cv2.GaussianBlur(a_star, (0, 0), 6)
    dark_spots = cv2.GaussianBlur(lightness, (0, 0), 6) - lightness
    skin_l = lightness[skin]
    bright = np.percentile(skin_l, 97) if skin_l.size else 255
    specular = (lightness >= max(bright, 200)) & (saturation < 0.25)
    return _Maps(
        box,
        shape,
        skin,
        lightness,
        a_star,
        saturation,
        fine,
        dots,
        ridges,
        red_spots,
        dark_spots,
        specular,
    )


def _skin(work, box, lightness, a_star, b_star, gray, face_oval, features) -> np.ndarray:
    """The face's skin: inside the face oval, the pixels whose colour is within reach of the
    cheeks' and nose's colour distribution (Mahalanobis distance in a*b*), not much darker than
    them, and smooth; then the one connected area, its freckle-sized holes filled. Blond hair
    matches skin in colour but not in smoothness, and is cut off from the face by the opening;
    lips, teeth, brows and the background differ in colour or lightness."""
    shape = work.shape[:2]
    reference = (region_mask("cheek", box, shape) | region_mask("nose", box, shape)) & face_oval
    if reference.sum() < 50:
        return face_oval
    colour = np.stack([a_star[reference], b_star[reference]], axis=1)
    centre = colour.mean(axis=0)
    spread = np.linalg.inv(np.cov(colour.T) + np.eye(2) * 2.0)
    offset = np.stack([a_star - centre[0], b_star - centre[1]], axis=-1)
    distance = np.einsum("...i,ij,...j->...", offset, spread, offset)
    grey = gray.astype(np.float32)
    mean = cv2.blur(grey, (7, 7))
    roughness = np.sqrt(np.clip(cv2.blur(grey * grey, (7, 7)) - mean * mean, 0, None))
    l_ref = float(np.median(lightness[reference]))
    smooth_ref = float(np.percentile(roughness[reference], 90))
    candidate = (
        face_oval
        & (distance < 9)
        & (lightness > 0.65 * l_ref)
        & (roughness < 1.8 * max(smooth_ref, 1.0))
        & ~(features & (lightness < 0.85 * l_ref))
    )
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    opened = cv2.morphologyEx(candidate.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=4)
    if count < 2:
        return candidate
    skin = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (~skin).astype(np.uint8), connectivity=4
    )
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < 0.004 * skin.sum())
    return skin | np.isin(labels, small[small > 0])


def _visible(strength: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Alpha for detections: every hit at least half opaque, stronger ones up to opaque, and
    thin hits (a ridge, a pore) widened a pixel so they show at the photo's size."""
    alpha = np.where(hits, 0.5 + 0.5 * np.clip(strength, 0, 1), 0).astype(np.float32)
    return cv2.dilate(alpha, np.ones((2, 2), np.uint8))


def _worst(values: np.ndarray, where: np.ndarray, share: float) -> np.ndarray:
    """The `share` of `where`'s pixels with the highest values: where a concern shows most."""
    if not where.any():
        return where
    return where & (values >= np.percentile(values[where], 100 * (1 - share)))


def _score(badness: float, scale: float) -> float:
    """1–100, higher healthier: `badness` of 0 scores 100, `scale` or more scores 1. Full
    precision, as the vendor's score_info.json carries it; JSON answers round it."""
    return float(np.clip(100 - 99 * badness / scale, 1, 100))


def _mean(values: np.ndarray, where: np.ndarray) -> float:
    return float(values[where].mean()) if where.any() else 0.0


def _measure(concern: str, m: _Maps, region: str | None) -> tuple[float, np.ndarray]:
    """(raw score, alpha map 0–1 on the working copy) for one concern and region."""
    zone_names = {
        "wrinkle": ("forehead", "glabellar", "crowfeet", "periocular", "nasolabial", "marionette"),
        "pore": ("forehead", "nose", "cheek"),
        "oiliness": ("t_zone",),
        "eye_bag": ("under_eye",),
        "dark_circle": ("under_eye",),
        "tear_trough": ("tear_trough",),
        "droopy_upper_eyelid": ("upper_eyelid",),
        "droopy_lower_eyelid": ("under_eye",),
        "firmness": ("nasolabial", "marionette", "jaw"),
    }
    if region not in (None, "whole"):
        zones = (region,)
    else:
        zones = zone_names.get(concern, ("whole",))
    where = np.zeros(m.shape, dtype=bool)
    for zone in zones:
        where |= m.region(zone)
    cheek = m.region("cheek")

    if concern in ("wrinkle", "eye_bag", "droopy_upper_eyelid", "droopy_lower_eyelid", "firmness"):
        # Eyelids always hold a crease, so they need a larger share of ridges to score low.
        scale = {"wrinkle": 0.15, "firmness": 0.2, "droopy_upper_eyelid": 0.6}.get(concern, 0.35)
        hits = (m.ridges > 9) & where
        raw = _score(hits.sum() / max(where.sum(), 1), scale)
        alpha = _visible(m.ridges / 30, hits)
    elif concern == "pore":
        hits = _small_spots((m.dots > 6) & where & ~_lines(m.ridges > 9))
        raw = _score(hits.sum() / max(where.sum(), 1), 0.1)
        alpha = _visible(m.dots / 15, hits)
    elif concern == "texture":
        raw = _score(_mean(m.fine, where), 6.0)
        alpha = _visible(m.fine / 12, _worst(m.fine, where, 0.25))
    elif concern == "moisture":
        dryness = m.fine * (1.2 - m.saturation)
        raw = _score(_mean(dryness, where), 6.0)
        alpha = _visible(dryness / 12, _worst(dryness, where, 0.25))
    elif concern == "acne":
        hits = (m.red_spots > 4) & where
        raw = _score(hits.sum() / max(where.sum(), 1), 0.03)
        alpha = _visible(m.red_spots / 8, hits)
    elif concern == "age_spot":
        hits = (m.dark_spots > 8) & where
        raw = _score(hits.sum() / max(where.sum(), 1), 0.12)
        alpha = _visible(m.dark_spots / 14, hits)
    elif concern == "redness":
        excess = np.clip(m.redness - 8, 0, None)
        raw = _score(_mean(excess, where), 12.0)
        alpha = _visible(excess / 15, _worst(excess, where, 0.3) & (excess > 0))
    elif concern == "oiliness":
        hits = m.specular & where
        raw = _score(hits.sum() / max(where.sum(), 1), 0.12)
        alpha = _visible(np.ones_like(m.lightness), hits)
    elif concern == "radiance":
        level = _mean(m.lightness, where)
        unevenness = float(m.lightness[where].std()) if where.any() else 0.0
        raw = _score(max(0.0, 190 - level) + unevenness, 120.0)
        dull = 190 - m.lightness
        alpha = _visible(dull / 80, _worst(dull, where, 0.3))
    elif concern in ("dark_circle", "tear_trough"):
        reference = float(np.percentile(m.lightness[cheek], 75)) if cheek.any() else 0.0
        drop = reference - _mean(m.lightness, where)
        raw = _score(max(drop, 0.0), 45.0)
        shadow = reference - m.lightness
        # Soft edges: the regions are rectangles, a shadow is not.
        soft = cv2.GaussianBlur(_visible(shadow / 40, where & (shadow > 0)), (0, 0), 2)
        alpha = np.clip(soft * 1.4, 0, 1) * m.skin
    else:
        raise ValueError(f"no heuristic for {concern}")
    return raw, alpha.astype(np.float32)


def _small_spots(hits: np.ndarray, longest: int = 5) -> np.ndarray:
    """Only the spots of `hits` at most `longest` px across (on the working copy): pores are
    dots, while the small black top-hat also finds the edges of folds and lines, which drew
    "pores" along the smile folds."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(hits.astype(np.uint8), 8)
    small = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) <= longest
    small[0] = False  # the background
    return small[labels]


def _lines(ridges: np.ndarray, shortest: int = 10) -> np.ndarray:
    """The ridges at least `shortest` px long (folds, lines), widened by 2 px to their edges."""
    lines = ridges & ~_small_spots(ridges, shortest - 1)
    return cv2.dilate(lines.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def _skin_type(m: _Maps, zone: str) -> str:
    where = m.region(zone)
    area = max(where.sum(), 1)
    oily = (m.specular & where).sum() / area > 0.03
    dry = _mean(m.fine * (1.2 - m.saturation), where) > 3.5
    red = _mean(m.redness, where) > 18
    if zone == "whole":
        t, u = m.region("t_zone"), m.region("u_zone")
        t_oily = (m.specular & t).sum() / max(t.sum(), 1) > 0.03
        u_oily = (m.specular & u).sum() / max(u.sum(), 1) > 0.03
        base = (
            "Combination"
            if t_oily != u_oily
            else ("Oily" if oily else ("Dry" if dry else "Normal"))
        )
    else:
        base = "Oily" if oily else ("Dry" if dry else "Normal")
    if red:
        return "Redness" if base == "Normal" else f"{base} & Redness"
    return base


# -- output files ----------------------------------------------------------------------------


def mask_file_name(action: str, region: str) -> str:
    """The documented names: ``<concern>_output.png``, regional ``hd_pore_output_<region|all>``,
    ``skin_type.png`` for the whole face; a skin-type zone's own mask (which the vendor's JSON
    example has and its ZIP list does not) is ``skin_type_<zone>.png``."""
    if family(action) == "skin_type" and region != "whole":
        return f"{action}_{region}.png"
    if family(action) in ("tear_trough", "skin_type"):
        return f"{action}.png"
    if action in ("hd_pore", "hd_wrinkle"):
        return f"{action}_output_{'all' if region == 'whole' else region}.png"
    return f"{action}_output.png"


def _encode_masks(rgb, crop_box, jobs, args) -> dict[str, bytes]:
    height, width = rgb.shape[:2]
    overlay = bool(args.get("enable_mask_overlay"))

    def encode(job) -> tuple[str, bytes]:
        action, region, alpha_work = job
        name = mask_file_name(action, region)
        colour = mask_colour(action)
        dark = _dark_background(action, args)
        top, alpha = _alpha_band(alpha_work, crop_box, width, height)
        if overlay:
            base = rgb.astype(np.float32)
            if dark:
                tint, opacity = dark
                base = base * (1 - opacity) + np.array(tint, np.float32) * opacity
            band = base[top : top + alpha.shape[0]]
            weight = alpha[..., None].astype(np.float32) / 255.0
            band[:] = band * (1 - weight) + np.array(colour, np.float32) * weight
            return name.replace(".png", ".jpg"), _jpeg(base.astype(np.uint8))
        if dark:
            tint, opacity = dark
            rgba = np.empty((height, width, 4), dtype=np.uint8)
            rgba[..., :3] = tint
            rgba[..., 3] = int(round(opacity * 255))
            band = rgba[top : top + alpha.shape[0]]
            hit = alpha > 0
            band[hit, :3] = colour
            band[hit, 3] = alpha[hit]
            return name, png.encode_rgba(width, height, 0, rgba)
        band = np.zeros((alpha.shape[0], width, 4), dtype=np.uint8)
        hit = alpha > 0
        band[hit, :3] = colour
        band[..., 3] = alpha
        return name, png.encode_rgba(width, height, top, band)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(encode, jobs))


def _alpha_band(alpha_work: np.ndarray, crop_box, width: int, height: int):
    """The mask's non-empty rows at the photo's resolution: (first row, rows × width uint8)."""
    x0, y0, x1, y1 = crop_box
    rows = np.flatnonzero(alpha_work.any(axis=1))
    if rows.size == 0:
        return 0, np.zeros((0, width), dtype=np.uint8)
    sy = (y1 - y0) / alpha_work.shape[0]
    first, last = int(rows[0]), int(rows[-1]) + 1
    top = y0 + int(first * sy)
    bottom = min(y0 + int(np.ceil(last * sy)), y1)
    band = np.zeros((bottom - top, width), dtype=np.uint8)
    scaled = cv2.resize(
        (alpha_work[first:last] * 255).astype(np.uint8),
        (x1 - x0, bottom - top),
        interpolation=cv2.INTER_LINEAR,
    )
    band[:, x0:x1] = scaled
    return top, band


def _dark_background(action: str, args: dict):
    if action not in ("hd_pore", "hd_wrinkle") or not args.get(f"enable_dark_background_{action}"):
        return None
    colour = str(args.get(f"color_dark_background_{action}", "3D3D3D"))
    tint = tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return tint, float(args.get(f"opacity_dark_background_{action}", 0.4))


def _jpeg(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()

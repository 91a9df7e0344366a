"""The API contract's rules, as the emulator enforces them: which task requests the API refuses
and with which code and message, what a successful task costs, and which photos its engine
refuses and with which engine error.

They are written here from the contract (its sections "Create the task", "Errors", "Input
rules" and "Units"), not taken from the client's own request validation (`skinapi.concerns`)
or photo pre-flight (`skinapi.imaging.checks`): a mistake in the client then shows up as a
difference from the emulator instead of being repeated by it. Only neutral helpers are shared:
decoding a photo and finding faces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import PhotoError
from ..imaging.faces import FaceBox, find_faces
from ..imaging.photo import Photo, load_photo

# -- task requests ---------------------------------------------------------------------------

SD_ACTIONS = (
    "wrinkle",
    "pore",
    "texture",
    "acne",
    "oiliness",
    "radiance",
    "eye_bag",
    "age_spot",
    "dark_circle_v2",
    "droopy_upper_eyelid",
    "droopy_lower_eyelid",
    "firmness",
    "moisture",
    "redness",
    "tear_trough",
    "skin_type",
)
HD_ACTIONS = tuple("hd_dark_circle" if a == "dark_circle_v2" else f"hd_{a}" for a in SD_ACTIONS)
QUALITY_OF_ACTION = {**dict.fromkeys(SD_ACTIONS, "sd"), **dict.fromkeys(HD_ACTIONS, "hd")}

RESULT_FORMATS = ("json", "zip")
DEFAULT_FORMAT = "zip"
BOOL_ARGS = (
    "enable_mask_overlay",
    "enable_dark_background_hd_pore",
    "enable_dark_background_hd_wrinkle",
)
COLOR_ARGS = ("color_dark_background_hd_pore", "color_dark_background_hd_wrinkle")
OPACITY_ARGS = ("opacity_dark_background_hd_pore", "opacity_dark_background_hd_wrinkle")
HEX_COLOR = re.compile(r"[0-9A-Fa-f]{6}")
UPLOAD_CONTENT_TYPES = ("image/jpeg", "image/jpg", "image/png")


class Refusal(Exception):
    """A request the API answers 400 to, with its error code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> Refusal:
    return Refusal("InvalidParameters", message)


@dataclass(frozen=True)
class TaskRequest:
    """A create-task body the API accepts, with what the engine needs from it."""

    actions: tuple[str, ...]
    """The `dst_actions` in their order, a repeated one counted once."""
    format: str
    miniserver_args: dict
    """The documented options only; the API ignores the others."""
    src_file_id: str | None
    src_file_url: str | None


def read_task_request(payload: object, api_version: str) -> TaskRequest:
    """The create-task body as the API reads it, or the `Refusal` it answers with.

    Refused, as documented: an action that is not one of the 32 ("Not available dst_action
    abc123"), SD and HD mixed ("cannot mix HD and SD dst_actions"), a field of the wrong type
    or value (InvalidParameters). Not refused, since nothing documents it: a repeated action,
    an unknown `miniserver_args` option, `pf_camera_kit` on v2.0 (not a v2.0 field), any other
    extra field."""
    if not isinstance(payload, dict):
        raise invalid("Body must be a JSON object")
    actions = payload.get("dst_actions")
    if not isinstance(actions, list) or not actions:
        raise invalid("dst_actions is required")
    for action in actions:
        if not isinstance(action, str) or action not in QUALITY_OF_ACTION:
            raise invalid(f"Not available dst_action {action}")
    actions = tuple(dict.fromkeys(actions))
    if len({QUALITY_OF_ACTION[a] for a in actions}) > 1:
        raise invalid("cannot mix HD and SD dst_actions")
    result_format = payload.get("format", DEFAULT_FORMAT)
    if result_format not in RESULT_FORMATS:
        raise invalid(f"format must be json or zip, not {result_format}")
    args = _documented_miniserver_args(payload.get("miniserver_args"))
    camera_kit = payload.get("pf_camera_kit")
    if api_version == "v2.1" and camera_kit is not None and not isinstance(camera_kit, bool):
        raise invalid("pf_camera_kit must be true or false")
    by_id = "src_file_id" in payload
    if by_id == ("src_file_url" in payload):
        raise invalid("Give exactly one of src_file_id, src_file_url")
    source_field = "src_file_id" if by_id else "src_file_url"
    source = payload[source_field]
    if not isinstance(source, str):
        raise invalid(f"{source_field} must be a string")
    return TaskRequest(
        actions,
        result_format,
        args,
        src_file_id=source if by_id else None,
        src_file_url=None if by_id else source,
    )


def _documented_miniserver_args(given: object) -> dict:
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise invalid("miniserver_args must be an object")
    args = {}
    for key, value in given.items():
        if key in BOOL_ARGS and not isinstance(value, bool):
            raise invalid(f"miniserver_args.{key} must be true or false")
        if key in COLOR_ARGS and not (isinstance(value, str) and HEX_COLOR.fullmatch(value)):
            raise invalid(f"miniserver_args.{key} must be a hex colour RRGGBB, not {value}")
        if key in OPACITY_ARGS and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
        ):
            raise invalid(f"miniserver_args.{key} must be a number from 0 to 1, not {value}")
        if key in BOOL_ARGS + COLOR_ARGS + OPACITY_ARGS:
            args[key] = value
    return args


# -- units -----------------------------------------------------------------------------------

UNIT_TIERS = ((4, 9, 12), (8, 12, 16), (12, 14, 20), (16, 16, 22))
"""(up to this many concerns, SD units, HD units) per task."""


def unit_cost(actions: tuple[str, ...]) -> int:
    """Units a successful task of these (distinct, accepted) actions costs."""
    hd = QUALITY_OF_ACTION[actions[0]] == "hd"
    for up_to, sd_units, hd_units in UNIT_TIERS:
        if len(actions) <= up_to:
            return hd_units if hd else sd_units
    raise ValueError(f"{len(actions)} actions: a task of one quality has at most 16")


# -- photos ----------------------------------------------------------------------------------

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Files must be under 10 MB: exceed_max_filesize."""
MIN_SHORT_SIDE = {"sd": 480, "hd": 1080}
"""error_below_min_image_size below these."""
MAX_LONG_SIDE = 4096
"""error_exceed_max_image_size above it."""
MIN_FACE_WIDTH_SHARE = 0.60
"""error_src_face_too_small: "face narrower than 60 % of the image width"."""
FILE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
"""JPEG and PNG, the accepted formats, by the file's first bytes: whatever else a decoder could
read (GIF, WebP, BMP…) is error_decode_image."""

# The contract names the next two errors without saying where they start; these thresholds
# are the emulator's own stand-ins for the engine's.
MAX_HEAD_OUTSIDE = 0.10
"""error_src_face_out_of_bound once more of the head than this lies outside the photo (the
contract asks for the forehead to be visible)."""
DARK_FACE_LUMA = 55.0
"""error_lighting_dark when the middle of the face is darker than this on average (0–255)."""


@dataclass(frozen=True)
class PhotoVerdict:
    """The engine error a photo earns, or the decoded photo and its face to analyse."""

    error: str | None
    photo: Photo | None = None
    face: FaceBox | None = None


def judge_photo(data: bytes, quality: str) -> PhotoVerdict:
    """The first documented engine error `data` earns for a task of `quality`, in the order the
    engine meets them: file, decoding, resolution, then the face."""
    if len(data) >= MAX_FILE_BYTES:
        return PhotoVerdict("exceed_max_filesize")
    if not data.startswith(FILE_SIGNATURES):
        return PhotoVerdict("error_decode_image")
    declared = declared_size(data)
    if declared and min(declared) < MIN_SHORT_SIDE[quality]:
        return PhotoVerdict("error_below_min_image_size")
    if declared and max(declared) > MAX_LONG_SIDE:
        # Judged from the header: a 20000 px photo is too large, not undecodable, though it is
        # too large to decode safely here.
        return PhotoVerdict("error_exceed_max_image_size")
    try:
        photo = load_photo(data)
    except PhotoError:
        return PhotoVerdict("error_decode_image")
    if min(photo.original_size) < MIN_SHORT_SIDE[quality]:
        return PhotoVerdict("error_below_min_image_size")
    if max(photo.original_size) > MAX_LONG_SIDE:
        return PhotoVerdict("error_exceed_max_image_size")
    faces = find_faces(photo.image)
    if not faces:
        return PhotoVerdict("error_no_face")
    if len(faces) > 1:
        return PhotoVerdict("error_multiple_people")
    face = faces[0]
    width, height = photo.image.size
    if _share_outside(face.head(), width, height) > MAX_HEAD_OUTSIDE:
        return PhotoVerdict("error_src_face_out_of_bound")
    if face.w / width < MIN_FACE_WIDTH_SHARE:
        return PhotoVerdict("error_src_face_too_small")
    if _face_luma(photo, face) < DARK_FACE_LUMA:
        return PhotoVerdict("error_lighting_dark")
    return PhotoVerdict(None, photo, face)


def declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) as a PNG's IHDR or a JPEG's start-of-frame states them, read without
    decoding; None when the header does not say."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            return int.from_bytes(data[at + 7 : at + 9], "big"), height
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length follows
            at += 2
            continue
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None


def _share_outside(box: FaceBox, width: int, height: int) -> float:
    inside_w = max(0.0, min(box.x + box.w, width) - max(box.x, 0.0))
    inside_h = max(0.0, min(box.y + box.h, height) - max(box.y, 0.0))
    return 1.0 - (inside_w * inside_h) / max(box.w * box.h, 1.0)


def _face_luma(photo: Photo, face: FaceBox) -> float:
    """Mean luma of the middle of the face box: skin, without the hair and background at its
    edges."""
    width, height = photo.image.size
    left, top = max(int(face.x + 0.15 * face.w), 0), max(int(face.y + 0.15 * face.h), 0)
    right = min(max(int(face.x + 0.85 * face.w), left + 1), width)
    bottom = min(max(int(face.y + 0.95 * face.h), top + 1), height)
    middle = photo.image.crop((left, top, right, bottom)).convert("L")
    return float(np.asarray(middle).mean())

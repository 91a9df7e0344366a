"""The concern catalogue, unit costs and request validation, as the API contract lists them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .errors import RequestValidationError

Quality = Literal["sd", "hd"]
ApiVersion = Literal["v2.0", "v2.1"]
ResultFormat = Literal["json", "zip"]

API_VERSIONS: tuple[str, ...] = ("v2.1", "v2.0")
RESULT_FORMATS: tuple[str, ...] = ("json", "zip")
MIN_SHORT_SIDE: dict[str, int] = {"sd": 480, "hd": 1080}
MAX_LONG_SIDE = 4096
ENGINE_LONG_SIDE = 2560
MAX_FILE_BYTES = 10 * 1024 * 1024

SKIN_TYPE_LABELS = (
    "Normal",
    "Oily",
    "Dry",
    "Combination",
    "Redness",
    "Dry & Redness",
    "Oily & Redness",
    "Combination & Redness",
)


@dataclass(frozen=True)
class Concern:
    name: str
    """The API's action name, e.g. ``hd_pore``."""
    label: str
    """What people read, e.g. "Pores"."""
    description: str
    """One line on what the score measures."""
    quality: Quality
    regions: tuple[str, ...] = ()
    """Sub-regions the API scores separately (HD pores and wrinkles, skin type zones)."""

    @property
    def is_skin_type(self) -> bool:
        return self.name.endswith("skin_type")


# (SD name, label, description); the HD name is "hd_" + SD name except for dark circles.
_BASE = (
    ("wrinkle", "Wrinkles", "Lines and creases on forehead, around the eyes and mouth."),
    ("pore", "Pores", "How visible and enlarged the pores are."),
    ("texture", "Texture", "Smoothness of the skin surface; roughness and bumps."),
    ("acne", "Acne", "Blemishes, pimples and inflamed spots."),
    ("oiliness", "Oiliness", "Shine from sebum, mostly in the T-zone."),
    ("radiance", "Radiance", "Glow and evenness of skin brightness."),
    ("eye_bag", "Eye bags", "Puffiness below the eyes."),
    ("age_spot", "Age spots", "Brown spots and uneven pigmentation."),
    ("dark_circle_v2", "Dark circles", "Darkness of the skin under the eyes."),
    ("droopy_upper_eyelid", "Upper eyelids", "Droop: sagging of the upper eyelids."),
    ("droopy_lower_eyelid", "Lower eyelids", "Droop: sagging of the lower eyelids."),
    ("firmness", "Firmness", "Elasticity and sagging of the cheeks and jawline."),
    ("moisture", "Moisture", "Hydration: dull, flaky or dry-looking skin scores lower."),
    ("redness", "Redness", "Red patches and visible irritation."),
    ("tear_trough", "Tear troughs", "Hollows between the lower eyelid and the cheek."),
    ("skin_type", "Skin type", "Normal, oily, dry or combination, per zone."),
)

REGIONS: dict[str, tuple[str, ...]] = {
    "hd_pore": ("forehead", "nose", "cheek", "whole"),
    "hd_wrinkle": (
        "forehead",
        "glabellar",
        "crowfeet",
        "periocular",
        "nasolabial",
        "marionette",
        "whole",
    ),
    "hd_texture": ("whole",),
    "hd_acne": ("whole",),
    "skin_type": ("whole", "t_zone", "u_zone"),
    "hd_skin_type": ("whole", "t_zone", "u_zone"),
}

REGION_LABELS = {
    "whole": "Whole face",
    "forehead": "Forehead",
    "nose": "Nose",
    "cheek": "Cheeks",
    "glabellar": "Between the brows",
    "crowfeet": "Crow's feet",
    "periocular": "Around the eyes",
    "nasolabial": "Smile lines",
    "marionette": "Marionette lines",
    "t_zone": "T-zone",
    "u_zone": "U-zone",
}


# The colour each concern's mask is painted in, by family (SD and HD share one).
FAMILY_COLOURS: dict[str, tuple[int, int, int]] = {
    "wrinkle": (0, 170, 255),
    "pore": (255, 200, 0),
    "texture": (160, 90, 255),
    "acne": (255, 40, 80),
    "oiliness": (255, 255, 120),
    "radiance": (200, 255, 0),
    "eye_bag": (120, 200, 255),
    "age_spot": (255, 0, 255),
    "dark_circle": (90, 60, 160),
    "droopy_upper_eyelid": (0, 220, 180),
    "droopy_lower_eyelid": (0, 180, 140),
    "firmness": (255, 140, 0),
    "moisture": (0, 200, 255),
    "redness": (255, 0, 0),
    "tear_trough": (140, 0, 200),
    "skin_type": (80, 220, 120),
}
UNKNOWN_COLOUR = (255, 0, 160)


def family(action: str) -> str:
    """The concern without its quality: ``hd_pore`` and ``pore`` are both ``pore``, and both
    dark-circle actions are ``dark_circle``; SD and HD results compare by family."""
    name = action[3:] if action.startswith("hd_") else action
    return "dark_circle" if name.startswith("dark_circle") else name


def family_label(name: str) -> str:
    """What people read for a family, e.g. "Dark circles" for ``dark_circle``."""
    return label("dark_circle_v2" if name == "dark_circle" else name)


def mask_colour(action: str) -> tuple[int, int, int]:
    return FAMILY_COLOURS.get(family(action), UNKNOWN_COLOUR)


def colour_hex(action: str) -> str:
    r, g, b = mask_colour(action)
    return f"#{r:02x}{g:02x}{b:02x}"


BRAND_COLOUR = "#5937E0"
"""The theme's primaryColor (.streamlit/config.toml), the first radar's and the report's. Its
text on Streamlit's selected chip (itself at a fifth over white) reads 5.0:1; #6C4CF1 gave 4.0."""


def hd_name(sd_name: str) -> str:
    return "hd_dark_circle" if sd_name == "dark_circle_v2" else f"hd_{sd_name}"


def _build() -> dict[str, Concern]:
    catalogue: dict[str, Concern] = {}
    for sd, label, description in _BASE:
        catalogue[sd] = Concern(sd, label, description, "sd", REGIONS.get(sd, ()))
        hd = hd_name(sd)
        catalogue[hd] = Concern(hd, label, description, "hd", REGIONS.get(hd, ()))
    return catalogue


CONCERNS: dict[str, Concern] = _build()
SD_ACTIONS: tuple[str, ...] = tuple(n for n, c in CONCERNS.items() if c.quality == "sd")
HD_ACTIONS: tuple[str, ...] = tuple(n for n, c in CONCERNS.items() if c.quality == "hd")

# Presets name SD concerns; `preset_actions` maps them to the chosen quality.
PRESETS: dict[str, tuple[str, ...]] = {
    "all": tuple(sd for sd, _, _ in _BASE),
    "eyes": (
        "eye_bag",
        "dark_circle_v2",
        "droopy_upper_eyelid",
        "droopy_lower_eyelid",
        "tear_trough",
    ),
    "texture": ("pore", "texture", "acne", "wrinkle"),
    "tone": ("redness", "radiance", "age_spot", "oiliness", "moisture"),
}
PRESET_LABELS = {
    "all": "All 16 concerns",
    "eyes": "Eyes",
    "texture": "Texture & pores",
    "tone": "Tone & glow",
}

# Units per task, by number of concerns: (up to N concerns, SD units, HD units).
UNIT_TABLE: tuple[tuple[int, int, int], ...] = ((4, 9, 12), (8, 12, 16), (12, 14, 20), (16, 16, 22))


def preset_actions(preset: str, quality: Quality) -> tuple[str, ...]:
    if preset not in PRESETS:
        raise RequestValidationError(
            [f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}."]
        )
    names = PRESETS[preset]
    return names if quality == "sd" else tuple(hd_name(n) for n in names)


def label(name: str) -> str:
    concern = CONCERNS.get(name)
    return concern.label if concern else name


def region_label(region: str | None) -> str:
    return REGION_LABELS.get(region or "whole", region or "Whole face")


def quality_of(actions: tuple[str, ...] | list[str]) -> Quality:
    return "hd" if actions and all(a.startswith("hd_") for a in actions) else "sd"


def unit_cost(actions: tuple[str, ...] | list[str]) -> int:
    """Units one successful task costs, from the documented table."""
    count = len(actions)
    if count == 0:
        return 0
    hd = quality_of(actions) == "hd"
    for up_to, sd_units, hd_units in UNIT_TABLE:
        if count <= up_to:
            return hd_units if hd else sd_units
    raise RequestValidationError([f"{count} concerns requested; a task takes at most 16."])


MINISERVER_BOOL_ARGS = (
    "enable_mask_overlay",
    "enable_dark_background_hd_pore",
    "enable_dark_background_hd_wrinkle",
)
MINISERVER_COLOR_ARGS = ("color_dark_background_hd_pore", "color_dark_background_hd_wrinkle")
MINISERVER_OPACITY_ARGS = ("opacity_dark_background_hd_pore", "opacity_dark_background_hd_wrinkle")
_HEX_COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides what a task computes (and so what it costs)."""

    actions: tuple[str, ...]
    """The `dst_actions`: all SD or all HD."""
    format: ResultFormat = "json"
    api_version: ApiVersion = "v2.1"
    miniserver_args: tuple[tuple[str, object], ...] = field(default=())
    """Sorted (key, value) pairs, so settings stay hashable and comparable."""
    pf_camera_kit: bool | None = None
    """v2.1 only; None leaves the field out of the request."""

    @classmethod
    def build(
        cls,
        actions,
        *,
        format: str = "json",
        api_version: str = "v2.1",
        miniserver_args: Mapping[str, object] | None = None,
        pf_camera_kit: bool | None = None,
    ) -> AnalysisSettings:
        settings = cls(
            actions=tuple(actions),
            format=format,  # type: ignore[arg-type]
            api_version=api_version,  # type: ignore[arg-type]
            miniserver_args=tuple(sorted((miniserver_args or {}).items())),
            pf_camera_kit=pf_camera_kit,
        )
        settings.validate()
        return settings

    @property
    def quality(self) -> Quality:
        return quality_of(self.actions)

    @property
    def args(self) -> dict[str, object]:
        return dict(self.miniserver_args)

    @property
    def overlay(self) -> bool:
        return bool(self.args.get("enable_mask_overlay", False))

    @property
    def units(self) -> int:
        return unit_cost(self.actions)

    def problems(self) -> list[str]:
        return validation_problems(
            self.actions, self.format, self.api_version, self.args, self.pf_camera_kit
        )

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise RequestValidationError(problems)

    def task_body(self, *, src_file_id: str | None = None, src_file_url: str | None = None) -> dict:
        if (src_file_id is None) == (src_file_url is None):
            raise RequestValidationError(["Give exactly one of src_file_id or src_file_url."])
        body: dict[str, object] = {"dst_actions": list(self.actions), "format": self.format}
        if src_file_id is not None:
            body["src_file_id"] = src_file_id
        else:
            body["src_file_url"] = src_file_url
        if self.miniserver_args:
            body["miniserver_args"] = self.args
        if self.pf_camera_kit is not None:
            body["pf_camera_kit"] = self.pf_camera_kit
        return body

    def to_dict(self) -> dict:
        """A plain dict for the run store, exports and the CLI; `from_dict` reads it back."""
        return {
            "actions": list(self.actions),
            "format": self.format,
            "api_version": self.api_version,
            "miniserver_args": self.args,
            "pf_camera_kit": self.pf_camera_kit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> AnalysisSettings:
        """Settings as `to_dict` wrote them; not validated, so a stored run always reads back."""
        return cls(
            actions=tuple(data["actions"]),  # type: ignore[arg-type]
            format=data.get("format") or "json",  # type: ignore[arg-type]
            api_version=data.get("api_version") or "v2.1",  # type: ignore[arg-type]
            miniserver_args=tuple(sorted(dict(data.get("miniserver_args") or {}).items())),
            pf_camera_kit=data.get("pf_camera_kit"),  # type: ignore[arg-type]
        )


def validation_problems(actions, format, api_version, miniserver_args, pf_camera_kit) -> list[str]:
    """Every reason the API would refuse this request, each as its own sentence."""
    problems: list[str] = []
    actions = list(actions)
    if not actions:
        problems.append("Choose at least one concern.")
    unknown = [a for a in actions if a not in CONCERNS]
    for name in unknown:
        problems.append(f"Unknown concern {name!r}: it is not one of the 16 SD or 16 HD actions.")
    duplicates = sorted({a for a in actions if actions.count(a) > 1})
    if duplicates:
        problems.append(f"Each concern may appear once; repeated: {', '.join(duplicates)}.")
    known = [a for a in actions if a in CONCERNS]
    if {CONCERNS[a].quality for a in known} == {"sd", "hd"}:
        problems.append("SD and HD concerns cannot be mixed in one task; pick all SD or all HD.")
    if len(set(actions)) > 16:
        problems.append("A task takes at most 16 concerns.")
    if format not in RESULT_FORMATS:
        problems.append(f"Format must be 'json' or 'zip', not {format!r}.")
    if api_version not in API_VERSIONS:
        problems.append(f"API version must be v2.1 or v2.0, not {api_version!r}.")
    if pf_camera_kit is not None:
        if not isinstance(pf_camera_kit, bool):
            problems.append("pf_camera_kit must be true or false.")
        elif api_version == "v2.0":
            problems.append("pf_camera_kit exists only in API v2.1; leave it out for v2.0.")
    problems.extend(_miniserver_problems(miniserver_args or {}))
    return problems


def _miniserver_problems(args: Mapping[str, object]) -> list[str]:
    problems = []
    known = MINISERVER_BOOL_ARGS + MINISERVER_COLOR_ARGS + MINISERVER_OPACITY_ARGS
    for key, value in args.items():
        if key not in known:
            problems.append(f"Unknown miniserver_args option {key!r}.")
        elif key in MINISERVER_BOOL_ARGS and not isinstance(value, bool):
            problems.append(f"{key} must be true or false.")
        elif key in MINISERVER_COLOR_ARGS and not (
            isinstance(value, str) and _HEX_COLOR.match(value)
        ):
            problems.append(f"{key} must be a hex colour RRGGBB such as 3D3D3D, not {value!r}.")
        elif key in MINISERVER_OPACITY_ARGS and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
        ):
            problems.append(f"{key} must be a number from 0 to 1, not {value!r}.")
    return problems

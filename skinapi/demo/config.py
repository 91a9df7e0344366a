"""The emulator's settings: timing, rate limits, expiry and fault injection, from code or from
``SKINSCOPE_EMULATOR_<FIELD>`` environment variables."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields

DEMO_API_KEY = "skinscope-demo-key"


ENGINE_ERROR_CODES = tuple(
    """
    error_below_min_image_size error_exceed_max_image_size exceed_max_filesize
    error_src_face_too_small error_src_face_out_of_bound error_lighting_dark
    error_no_face error_multiple_people error_large_face_angle error_pose
    error_face_parsing error_decode_image error_download_image invalid_parameter
    error_nsfw_content_detected error_inference error_upload unknown_internal_error
    """.split()
)
"""The engine errors the contract documents (`../shared/youcam-skin-api.md`), in its order: the
only codes `fault_engine_error` may inject."""


@dataclass(frozen=True)
class EmulatorConfig:
    processing_time: float = 1.5
    """Seconds a task stays `running`."""
    polling_interval: float = 1.0
    """Seconds, sent as `polling_interval`."""
    interval_unit: str = "ms"
    """How `polling_interval` is written: ``ms`` or ``s`` (the documents disagree); intervals of
    0.1 s or less always go out in seconds, since the client reads ≤ 100 as seconds."""
    zip_results_shape: str = "object"
    """``object`` → results {"url": …}; ``string`` → a bare URL, as in the vendor's example."""
    api_keys: frozenset[str] = frozenset({DEMO_API_KEY})
    any_key: bool = False
    """Accept any non-empty bearer key, not only `api_keys`, so a client written for the real
    API runs against the emulator with the key it already has; each key keeps its own units."""
    starting_units: float = 1000.0
    task_expiry: float = 120.0
    """A running task not polled for this many seconds expires (InvalidTaskId)."""
    result_retention: float = 86400.0
    """A finished task (its success seen by a poll) stays pollable this long: 24 h, as the
    vendor keeps results."""
    url_lifetime: float = 7200.0
    """Result URLs stop working this long after the poll that handed them out (2 h); every
    poll hands out fresh ones."""
    send_polling_interval: bool = False
    """Whether answers carry `polling_interval`: no vendor example or recorded answer does."""
    rate_limit: bool = True
    rate_per_second: int = 5
    rate_per_window: int = 250
    rate_window: float = 300.0
    # Fault injection.
    latency: float = 0.0
    """Extra seconds before every answer."""
    fault_429_rate: float = 0.0
    """Share of API requests answered 429 at random (seeded)."""
    fault_task_timeout: bool = False
    """Polls of a finished task answer 500 TaskTimeout."""
    fault_engine_error: str = ""
    """Every task fails with this engine error code."""
    fault_drop_rate: float = 0.0
    """Share of API requests whose connection is dropped after the work is done."""
    fault_502_rate: float = 0.0
    """Share of API requests answered 502 Bad Gateway after the work is done."""
    seed: int = 0

    def __post_init__(self):
        if self.fault_engine_error and self.fault_engine_error not in ENGINE_ERROR_CODES:
            raise ValueError(
                f"fault_engine_error {self.fault_engine_error[:40]!r} is not an engine error the "
                f"API documents ({', '.join(ENGINE_ERROR_CODES[:3])}, …)"
            )

    @classmethod
    def from_env(cls, environ=os.environ, **overrides) -> EmulatorConfig:
        """Read SKINSCOPE_EMULATOR_<FIELD> variables, e.g. SKINSCOPE_EMULATOR_LATENCY=0.5."""
        values = {}
        for f in fields(cls):
            name = f"SKINSCOPE_EMULATOR_{f.name.upper()}"
            raw = environ.get(name)
            if raw is None or f.name == "api_keys":
                continue
            try:
                values[f.name] = _parse(raw, f.type)
            except ValueError:
                raise ValueError(f"{name}={raw[:40]!r} is not a valid {f.type}") from None
        values.update(overrides)
        return cls(**values)


def _parse(raw: str, kind):
    if kind in ("float", float):
        value = float(raw)
        if not math.isfinite(value) or value < 0:
            raise ValueError
        return value
    if kind in ("int", int):
        value = int(raw)
        if value < 0:
            raise ValueError
        return value
    if kind in ("bool", bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw

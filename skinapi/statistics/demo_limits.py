"""What a comparison of demo runs cannot show: settings the demo engine does not read leave
every score as it was, so a difference of zero between them is made by the engine, not found."""

from __future__ import annotations

from ..backends import EMULATOR
from ..store import RunRecord

IGNORED_BY_THE_DEMO_ENGINE = {
    "api_version": "v2.0 and v2.1",
    "format": "JSON and ZIP answers",
    "pf_camera_kit": "runs with pf_camera_kit on and off",
    "miniserver_args": "runs with and without the mask overlay or dark backgrounds",
}
"""Settings the demo engine scores alike (its scores come from the photo and the concerns
alone), with how a sentence names their values."""


def zero_by_construction(runs: list[RunRecord], *, paired: bool = False) -> str | None:
    """A plain statement for a comparison of demo runs that differ in a setting the demo engine
    ignores (None when some run is live, or nothing ignored differs). `paired`: each
    difference is between runs of the same photo (two batches of the same photos)."""
    if not runs or any(r.backend != EMULATOR for r in runs):
        return None
    differing = [
        words
        for name, words in IGNORED_BY_THE_DEMO_ENGINE.items()
        if len({getattr(r.settings, name) for r in runs}) > 1
    ]
    if not differing:
        return None
    what = " and ".join(differing)
    same_photos = paired or len({r.photo_hash for r in runs}) == 1
    if same_photos and len({r.quality for r in runs}) == 1:
        outcome = "every difference between these runs is zero by construction, not a finding"
    else:
        outcome = "any difference here comes from the photos or the quality, none from " + (
            "these settings" if len(differing) > 1 else "this setting"
        )
    return (
        f"In demo mode, {what} are scored by the same engine: {outcome}. Compare them with a "
        "live key."
    )

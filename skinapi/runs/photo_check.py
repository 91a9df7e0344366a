"""One photo's pre-flight checks as a `Verdict`, for `analyze` and for a batch's plan. Only the
standard library loads with this module; OpenCV loads when a photo is checked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """What the checks said of one photo's bytes."""

    blocking: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    upload: bytes | None = None
    """The bytes to send when they differ from the file's (a photo turned by its EXIF)."""
    fixable: bool = False
    """`python -m skinapi check --fix` has a fix for something the checks found."""


def checked(raw: bytes, quality: str) -> Verdict:
    """Every pre-flight check of `raw` at `quality`; a photo that cannot be read at all raises
    PhotoError, saying why."""
    # OpenCV loads here, in the process that checks, not where the module is imported.
    from ..imaging.checks import check_photo
    from ..imaging.photo import load_photo, upload_bytes

    loaded = load_photo(raw)
    report = check_photo(loaded, quality)
    if not report.ok:
        return Verdict(tuple(c.message for c in report.blocking), fixable=bool(report.fixes))
    data = upload_bytes(loaded)
    warnings = tuple(c.message for c in report.warnings)
    return Verdict((), warnings, data if data is not raw else None)

"""One photo's pre-flight checks as a `Verdict`, for `analyze` and for a batch's plan. Only the
standard library loads with this module; OpenCV loads when a photo is checked."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..errors import PhotoError


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


class CheckAhead:
    """`checked(raw, quality)` on a thread of its own, for a caller with imports of its own to
    make before it sends: OpenCV's and numpy's loading holds the interpreter lock, the face search
    does not. So the constructor returns once OpenCV has loaded, and what the caller loads next
    (the HTTP client) loads while faces are searched, rather than fighting the load for the
    lock; `verdict()` then waits for the answer. Nothing is sent until `verdict()` has returned."""

    LOAD_DEADLINE_S = 60.0
    CHECK_DEADLINE_S = 120.0

    def __init__(self, raw: bytes, quality: str):
        self._loaded = threading.Event()
        self._done = threading.Event()
        self._verdict: Verdict | None = None
        self._error: BaseException | None = None
        threading.Thread(
            target=self._work, args=(raw, quality), name="skinapi-photo-check", daemon=True
        ).start()
        self._loaded.wait(self.LOAD_DEADLINE_S)

    def _work(self, raw: bytes, quality: str) -> None:
        try:
            try:
                from ..imaging import checks  # noqa: F401  (loads OpenCV and numpy)
            finally:
                self._loaded.set()
            self._verdict = checked(raw, quality)
        except BaseException as exc:  # raised again on the caller's thread, by verdict()
            self._error = exc
        finally:
            self._done.set()

    def verdict(self) -> Verdict:
        if not self._done.wait(self.CHECK_DEADLINE_S):
            raise PhotoError(
                f"Checking the photo took over {self.CHECK_DEADLINE_S:g} s; nothing was sent",
                hint="Try again; if it keeps happening, --skip-checks sends without checking.",
            )
        if self._error is not None:
            raise self._error
        assert self._verdict is not None
        return self._verdict

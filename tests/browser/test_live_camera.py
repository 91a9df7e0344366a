"""The live trial's real-time camera in Chromium, inside a loopback-only network namespace
(`unshare --net`, as root), so WebRTC can reach nothing else; it skips where that is not
possible. The session itself is tests/browser/live_camera_session.py."""

import os
import shutil
import subprocess
import sys
import warnings

import pytest

from ..helpers import ROOT
from .actions import browser_test

pytestmark = browser_test("live-camera")


def _namespaces_available() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(
    not _namespaces_available(),
    reason="needs root and `unshare --net` for a loopback-only network namespace",
)
def test_live_camera_guides_then_auto_captures_and_analyses_in_chromium_without_internet():
    out = ROOT / "test-artifacts" / "screenshots"
    session = subprocess.run(
        [
            "unshare",
            "--net",
            "sh",
            "-c",
            f"ip link set lo up && exec {sys.executable} -m tests.browser.live_camera_session {out}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert session.returncode == 0, session.stdout[-4000:] + session.stderr[-1000:]
    print(session.stdout)  # the figures measured (pytest -s shows them)
    for line in session.stdout.splitlines():
        if line.startswith("warning: "):
            warnings.warn(line, stacklevel=1)
    assert "auto-capture took one full-resolution photo per participant" in session.stdout
    for name in (
        "10-live-far-face-red",
        "11-live-near-face-green",
        "12-live-auto-capture-kiosk",
        "13-live-trial-summary",
        "14-live-follow-up-before-after",
        "15-live-follow-up-ghost-low-match",
    ):
        assert (out / f"{name}.png").exists(), name

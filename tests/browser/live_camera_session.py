"""The live camera end to end in headless Chromium: run as a script inside a network namespace
whose only interface is loopback (see tests/test_live.py), so WebRTC cannot reach anything else.
Far face: red guidance. Near face: green guidance, then auto-capture and a completed analysis;
then P-001 back at week 2, chosen from the due participants, and their before/after.

Usage: python -m tests.live_camera_session OUTPUT_DIR   (exit 0 when every check held)
"""

import os
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect, sync_playwright

from tests.browser.actions import choose, go_to, settle, wait_for_app_run
from tests.helpers import CHROMIUM, serve_app, webcam_frame, write_y4m

expect.set_options(timeout=90_000)


def open_live_page(playwright, url: str, clip: Path):
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            *os.environ.get("EXTRA_CHROMIUM_ARGS", "").split(),
        ],
    )  # fmt: skip
    page = browser.new_context(
        viewport={"width": 1440, "height": 900}, permissions=["camera"]
    ).new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    wait_for_app_run(page)
    go_to(page, "Live trial")
    page.get_by_label("Trial name").fill("Browser trial")
    page.get_by_label("Trial name").press("Enter")
    wait_for_app_run(page)
    page.get_by_role("textbox", name="Participant ID").fill("P-001")
    page.get_by_role("textbox", name="Participant ID").press("Enter")
    wait_for_app_run(page)
    page.get_by_text("Consent to photo and analysis given").click()
    wait_for_app_run(page)
    camera = page.frame_locator("iframe[title*='streamlit_webrtc']").first
    wait_for_app_run(page)
    camera.get_by_role("button", name=re.compile("^start$", re.I)).click()
    expect(camera.get_by_role("button", name=re.compile("^stop$", re.I))).to_be_visible()
    return browser, page


def walk_through(playwright, url: str, near: Path, far: Path, out: Path) -> None:
    """Far face, then near face into auto-capture, the result, and a second participant."""
    page = None
    try:
        browser, page = open_live_page(playwright, url, far)
        expect(page.get_by_text("Come closer")).to_be_visible()
        size = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="Face size")
        expect(size.get_by_role("img", name="cancel icon")).to_be_visible()
        resolution = page.locator("[data-testid='stMarkdownContainer']").filter(
            has_text="Resolution"
        )
        expect(resolution.filter(has_text="px (≥")).to_be_visible()  # the photo camera's size
        settle(page)
        # The video, its checks and Capture now all on a laptop's first screen.
        for name, element in (
            ("video", page.frame_locator("iframe[title*='streamlit_webrtc']").locator("video")),
            ("checks", resolution.first),
            ("capture", page.get_by_role("button", name="Capture now")),
        ):
            box = element.bounding_box()
            assert box and box["y"] + box["height"] <= 900, (name, box)
        page.screenshot(path=out / "10-live-far-face-red.png")
        browser.close()

        browser, page = open_live_page(playwright, url, near)
        for check in ("Face found", "Face size", "Centred", "Light", "Sharp", "Resolution"):
            row = page.locator("[data-testid='stMarkdownContainer']").filter(has_text=check)
            expect(row.get_by_role("img", name="check_circle icon")).to_be_visible()
        green = time.monotonic()
        page.screenshot(path=out / "11-live-near-face-green.png", full_page=True)
        # Auto-capture: a full-resolution still is taken and analysed with no click.
        expect(page.get_by_text("Skin age")).to_be_visible()
        print(f"guidance green → result shown: {time.monotonic() - green:.1f} s")
        expect(page.get_by_text("Photo taken: the results are at the top")).to_be_visible()
        settle(page)  # the radar and masks have drawn
        page.screenshot(path=out / "12-live-auto-capture-kiosk.png")
        # The next participant: one click clears the screen, consent arms the camera again.
        page.get_by_role("button", name="Next participant").first.click()
        wait_for_app_run(page)
        expect(page.get_by_text("Skin age")).to_have_count(0)
        consent = page.get_by_role("checkbox", name="Consent to photo and analysis given")
        expect(consent).not_to_be_checked()
        page.get_by_text("Consent to photo and analysis given").click()
        summary = page.get_by_text("2 participants analysed")
        expect(summary).to_be_visible()
        summary.scroll_into_view_if_needed()
        settle(page)
        page.screenshot(path=out / "13-live-trial-summary.png")
        follow_up(page, out)
        browser.close()
    except Exception:
        if page is not None:  # what the page showed when a step failed, for the log
            page.screenshot(path=out / "live-failure.png")
            print("page at failure:", page.locator("[data-testid='stMain']").inner_text())
        raise


def follow_up(page, out: Path) -> None:
    """Week 2: P-001 is offered, capture waits for the choice, and their before/after opens."""
    started = time.monotonic()
    page.get_by_role("button", name="Next participant").first.click()
    wait_for_app_run(page)
    choose(page, "Visit", "week 2")
    page.get_by_text("Consent to photo and analysis given").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Capture stays off until you choose the participant")).to_be_visible()
    choose(page, "Returning participant", "P-001")
    expect(page.get_by_text("Change since baseline")).to_be_visible()  # auto-captured
    settle(page)
    # The before/after on the first screen: both radars and both photos.
    radar = page.get_by_test_id("stPlotlyChart").first
    photos = page.get_by_test_id("stImage").filter(has=page.locator("img"))
    for name, element in (("radar", radar), ("photo", photos.nth(0)), ("photo", photos.nth(1))):
        box = element.bounding_box()
        assert box and box["y"] + box["height"] <= 900, (name, box)
    expect(radar.get_by_text("week 2", exact=False).first).to_be_visible()  # the legend
    print(f"week 2 follow-up of P-001 → before/after shown: {time.monotonic() - started:.1f} s")
    page.screenshot(path=out / "14-live-follow-up-before-after.png")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="live-"))
    near, far = work / "near.y4m", work / "far.y4m"
    write_y4m(near, webcam_frame(1.0))
    write_y4m(far, webcam_frame(0.5))
    server, url = serve_app(
        work / "data",
        work / "server.log",
        SKINSCOPE_WEBRTC_LOOPBACK="1",
        SKINSCOPE_EMULATOR_PROCESSING_TIME="1.0",
        SKINSCOPE_EMULATOR_POLLING_INTERVAL="0.3",
        SKINSCOPE_EMULATOR_SEND_POLLING_INTERVAL="1",
    )
    print(f"server log: {work / 'server.log'}")
    try:
        with sync_playwright() as playwright:
            walk_through(playwright, url, near, far, out)
    finally:
        server.terminate()
        server.wait(timeout=10)
    check_stored_runs(work / "data")
    print(
        "live camera session: the guidance is red for the far face and green for the near one; "
        "auto-capture took one full-resolution photo per participant and each analysis completed"
    )
    return 0


def check_stored_runs(data_dir: Path) -> None:
    """One run (one task) per participant and visit — P-001 at baseline and week 2, one other at
    baseline — each from a photo of at least SD's 480 px short side."""
    with sqlite3.connect(data_dir / "runs.sqlite3") as db:
        rows = db.execute(
            "SELECT id, state, trial, participant, source, visit FROM runs"
        ).fetchall()
    assert len(rows) == 3, f"expected three runs, found {rows}"
    pairs = sorted((participant, visit) for *_, participant, _, visit in rows)
    assert pairs[:2] == [("P-001", "baseline"), ("P-001", "week 2")], pairs
    assert pairs[2][0] != "P-001" and pairs[2][1] == "baseline", pairs
    for run_id, state, trial, participant, source, _ in rows:
        assert (state, trial, source) == ("success", "Browser trial", "camera"), rows
        assert participant.startswith("P-"), participant
        photo = Image.open(data_dir / "runs" / run_id / "photo.jpg")
        assert min(photo.size) >= 480, f"the captured photo is {photo.size}, below SD's 480 px"
        print(f"{participant}: captured photo {photo.size[0]}×{photo.size[1]}, run {state}")


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

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
import traceback
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect, sync_playwright

from tests.browser.actions import choose, go_to, settle, wait_for_app_run
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, moved_copy, serve_app, webcam_frame, write_y4m

expect.set_options(timeout=90_000)


def camera_frame(page):
    """The live camera's own frame (streamlit-webrtc's component): its video and buttons."""
    return page.frame_locator("iframe[title*='streamlit_webrtc']").first


def open_live_page(playwright, url: str, clip: Path, follow_up: bool = False):
    """The Live trial in a browser whose camera plays `clip`: P-001 at the baseline, or (with
    `follow_up`) P-001 chosen back at week 2 — capture off until chosen — and the camera on."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
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
    if follow_up:
        choose(page, "Visit", "week 2")
        page.get_by_text("Consent to photo and analysis given").click()
        wait_for_app_run(page)
        waiting = page.get_by_text("Capture stays off until you choose the participant")
        expect(waiting).to_be_visible()
        choose(page, "Returning participant", "P-001")
    else:
        page.get_by_role("textbox", name="Participant ID").fill("P-001")
        page.get_by_role("textbox", name="Participant ID").press("Enter")
        wait_for_app_run(page)
        page.get_by_text("Consent to photo and analysis given").click()
        wait_for_app_run(page)
    camera = camera_frame(page)
    wait_for_app_run(page)
    camera.get_by_role("button", name=re.compile("^start$", re.I)).click()
    expect(camera.get_by_role("button", name=re.compile("^stop$", re.I))).to_be_visible()
    return browser, page


def shown_while_filming(page, target) -> None:
    """Wait for `target` while the camera films. streamlit-webrtc stops the camera when the
    connection reports `disconnected` or `failed`, which a starved CI machine can cause: the page
    then says "Start the camera". A facilitator presses Start again, so this does too, once,
    and says so in a `warning:` line of the session's output (the test warns with it)."""
    camera = camera_frame(page)
    stopped = camera.get_by_role("button", name=re.compile("^start$", re.I))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # Playwright cannot wait on a frame's locator or a page's
        if target.first.is_visible():
            return
        if stopped.is_visible():
            shown = camera.locator("body").inner_text()
            print(f"warning: the camera stopped by itself and was started again ({shown!r})")
            stopped.click()
            break
        page.wait_for_timeout(250)
    expect(target.first).to_be_visible()


def check_row(page, label: str):
    return page.locator("[data-testid='stMarkdownContainer']").filter(has_text=label)


def walk_through(playwright, url: str, near: Path, far: Path, out: Path) -> None:
    """Far face, then near face into auto-capture, the result, and a second participant."""
    page = None
    try:
        browser, page = open_live_page(playwright, url, far)
        shown_while_filming(page, page.get_by_text("Come closer"))
        size = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="Face size")
        expect(size.get_by_role("img", name="cancel icon")).to_be_visible()
        resolution = page.locator("[data-testid='stMarkdownContainer']").filter(
            has_text="Resolution"
        )
        expect(resolution.filter(has_text="px (≥")).to_be_visible()  # the photo camera's size
        settle(page)
        # The video, its checks and Capture now all on a laptop's first screen.
        for name, element in (
            ("video", camera_frame(page).locator("video")),
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
            shown_while_filming(page, row.get_by_role("img", name="check_circle icon"))
        green = time.monotonic()
        page.screenshot(path=out / "11-live-near-face-green.png", full_page=True)
        # Auto-capture: a full-resolution still is taken and analysed with no click.
        shown_while_filming(page, page.get_by_text("Skin age"))
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
        browser.close()
    except Exception as error:
        report_failure(page, out, error)
        raise


def follow_up(playwright, url: str, work: Path, out: Path) -> None:
    """P-001 back at week 2, the camera fed their stored baseline photo moved (a low match with
    the ghost: no capture, though every other check passes), then the photo itself (a high
    match: auto-capture, and their before/after on the first screen)."""
    baseline = stored_photo(work / "data", "P-001").resize((540, 720))
    moved, same = work / "moved.y4m", work / "baseline.y4m"
    write_y4m(moved, Image.fromarray(moved_copy(baseline, dx=0.08, dy=0.06)))
    write_y4m(same, baseline)
    page = None
    try:
        browser, page = open_live_page(playwright, url, moved, follow_up=True)
        shown_while_filming(
            page, check_row(page, "Baseline match").get_by_role("img", name="cancel icon")
        )
        for check in ("Face found", "Face size", "Centred", "Light", "Sharp", "Resolution"):
            expect(
                check_row(page, check).get_by_role("img", name="check_circle icon")
            ).to_be_visible()
        shown_while_filming(page, page.get_by_text("capture armed"))
        frames, armed = frames_checked(page), time.monotonic()
        # Two seconds and a dozen checked frames while armed (the hold is one second of good
        # frames), and still no photo. Counting 60 frames took 10 s here, at ~6 checked a second.
        page.wait_for_function(FRAMES_CHECKED_AT_LEAST, arg=frames + 12, timeout=30_000)
        page.wait_for_timeout(max(0.0, 2.0 - (time.monotonic() - armed)) * 1000)
        expect(page.get_by_text("Change from baseline by concern")).to_have_count(0)
        print(f"moved baseline: {check_row(page, 'Baseline match').first.inner_text()}")
        settle(page)
        # With the ghost's controls, the video, the match and Capture now still fit the screen.
        for name, element in (
            ("video", camera_frame(page).locator("video")),
            ("match", check_row(page, "Baseline match").first),
            ("capture", page.get_by_role("button", name="Capture now")),
        ):
            box = element.bounding_box()
            assert box and box["y"] + box["height"] <= 900, (name, box)
        page.screenshot(path=out / "15-live-follow-up-ghost-low-match.png")
        browser.close()

        started = time.monotonic()
        browser, page = open_live_page(playwright, url, same, follow_up=True)
        shown_while_filming(
            page, page.get_by_text("Change from baseline by concern")
        )  # auto-captured
        print(f"baseline itself → before/after shown: {time.monotonic() - started:.1f} s")
        settle(page)
        # The before/after on the first screen: both radars and both photos.
        radar = page.get_by_test_id("stPlotlyChart").first
        photos = page.get_by_test_id("stImage").filter(has=page.locator("img"))
        for name, element in (("radar", radar), ("photo", photos.nth(0)), ("photo", photos.nth(1))):
            box = element.bounding_box()
            assert box and box["y"] + box["height"] <= 900, (name, box)
        expect(radar.get_by_text("week 2", exact=False).first).to_be_visible()  # the legend
        page.screenshot(path=out / "14-live-follow-up-before-after.png")
        browser.close()
    except Exception as error:
        report_failure(page, out, error)
        raise


def report_failure(page, out: Path, error: Exception) -> None:
    """What the page and its camera showed when a step failed, and the step, printed last so
    the test's message (the output's tail) names them."""
    if page is not None:
        page.screenshot(path=out / "live-failure.png")
        print("page at failure:", page.locator("[data-testid='stMain']").inner_text())
        camera = camera_frame(page)
        try:
            print("camera at failure:", camera.locator("body").inner_text(timeout=5_000))
        except Exception as unread:  # the step's own failure matters more than this one
            print("camera at failure: unreadable,", type(unread).__name__)
    step = traceback.extract_tb(error.__traceback__)
    print("failed step:", " ← ".join(f"{f.name}:{f.lineno} {f.line}" for f in reversed(step)))
    print("failure:", str(error).split("Aria snapshot")[0][:1500])


FRAMES_CHECKED_AT_LEAST = """(least) => {
    const m = document.body.innerText.match(/(\\d+) frames checked/);
    return m !== null && Number(m[1]) >= least;
}"""


def frames_checked(page) -> int:
    found = re.search(r"(\d+) frames checked", page.locator("body").inner_text())
    return int(found.group(1)) if found else 0


def stored_photo(data_dir: Path, participant: str) -> Image.Image:
    """The participant's baseline photo as the run store keeps it."""
    with sqlite3.connect(data_dir / "runs.sqlite3") as db:
        (run_id,) = db.execute(
            "SELECT id FROM runs WHERE participant = ? AND visit = 'baseline'", (participant,)
        ).fetchone()
    return Image.open(data_dir / "runs" / run_id / "photo.jpg").convert("RGB")


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
            follow_up(playwright, url, work, out)
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

"""The dashboard in a real headless Chromium, driven by Playwright, with a fake camera.

Chromium comes from Debian (`apt-get install chromium`); CI installs it. Screenshots of every
page land in test-artifacts/screenshots/.
"""

import re
from pathlib import Path

import pytest
from PIL import Image

from ..helpers import (
    CHROMIUM,
    FACE_PATH,
    SHOTS,
    serve_app,
    server_stacks,
    webcam_frame,
    write_y4m,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),  # one worker runs the browsers; the other the rest
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium` to run the browser tests",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
expect.set_options(timeout=60_000)
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
RUN_STARTS_WITHIN_MS = 200
"""How long a widget's change takes to reach the server and flip the app to `running`: an app
that still looks idle this soon after a click may not have begun the run the click asked for."""
RENDERED_WITHIN_MS = 100
"""What the page takes to draw the last run's elements after the script reports idle."""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    server, url = serve_app(
        tmp_path_factory.mktemp("data"),
        tmp_path_factory.mktemp("streamlit") / "server.log",
        SKINSCOPE_EMULATOR_PROCESSING_TIME="1.2",
        SKINSCOPE_EMULATOR_POLLING_INTERVAL="0.3",
        SKINSCOPE_EMULATOR_SEND_POLLING_INTERVAL="1",
    )
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    clip = tmp_path_factory.mktemp("camera") / "face.y4m"
    write_y4m(clip, webcam_frame())
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={clip}",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture
def open_page(browser):
    """New windows (each its own context) of a given size, closed when the test ends: a window
    left open keeps its session, and its fragments, running for the rest of the module."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield make
    for context in contexts:
        context.close()


def wait_for_app_run(page, *, after_input: bool = True) -> None:
    """The one wait of this suite, as Streamlit's own e2e tests do it (`wait_for_app_run`):
    the app is connected, its script (and every fragment) has finished the run the last input
    asked for, and the page has drawn it. `after_input` first gives that run time to start."""
    try:
        if after_input:
            page.wait_for_timeout(RUN_STARTS_WITHIN_MS)
        page.wait_for_selector(CONNECTED)
        page.wait_for_selector(IDLE)
        page.wait_for_timeout(RENDERED_WITHIN_MS)
    except sync_api.TimeoutError:
        fail_with_server_state(page, "the app never finished its run")


def script_runs_within(page, seconds: float) -> int:
    """How many times the app's script (or a fragment of it) starts running within `seconds`."""
    return page.evaluate(
        """async (ms) => {
            const app = document.querySelector("[data-testid='stApp']");
            let runs = 0;
            const watch = new MutationObserver(() => {
                if (app.dataset.testScriptState === "running") runs++;
            });
            watch.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
            await new Promise((done) => setTimeout(done, ms));
            watch.disconnect();
            return runs;
        }""",
        seconds * 1000,
    )


def fail_with_server_state(page, what: str) -> None:
    """A wait timed out: a screenshot, the page's address and what the server's threads were
    doing, so a failure on a CI machine can be read without rerunning it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    picture = SHOTS / f"failed-{re.sub(r'[^a-z0-9]+', '-', what)}.png"
    page.screenshot(path=picture, full_page=True)
    base = re.match(r"https?://[^/]+", page.url)
    stacks = server_stacks(base.group(0)) if base else "(no server address)"
    pytest.fail(f"{what} at {page.url} (screenshot {picture}); server:\n{stacks}")


PAINTED = """() => [...document.images].every(i => i.complete && i.naturalWidth > 0)
    && [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
        .every(chart => chart.querySelector('.main-svg'))"""


def settle(page) -> None:
    """The script is idle and every image and chart has painted."""
    wait_for_app_run(page)
    page.wait_for_function(PAINTED)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def open_app(page, url: str) -> None:
    """Load the app and wait until its first script run has drawn the Analyse page: the page
    reports idle before that run starts, and a click in between can race it."""
    page.goto(url)
    expect(page.get_by_role("button", name=re.compile("^Analyse"))).to_be_visible()
    wait_for_app_run(page)


def go_to(page, name: str, *, when_idle: bool = True) -> None:
    """Sidebar navigation; links are inert while the app reconnects, so wait for them."""
    if when_idle:
        wait_for_app_run(page)
    link = page.get_by_role("link", name=name, exact=True)
    expect(link).not_to_have_attribute("disabled", "")
    link.click()
    if when_idle:
        wait_for_app_run(page)


def analyse_to_results(page) -> None:
    """Click Analyse (or View results) once the run of the last choice is over, and wait for
    Results."""
    wait_for_app_run(page)
    button = page.get_by_role("button", name=re.compile("^(Analyse · |View results)")).first
    expect(button).to_be_enabled()
    button.click()
    try:
        expect(page.get_by_role("heading", name="Results")).to_be_visible()
    except AssertionError:
        fail_with_server_state(page, "Analyse did not open Results")


def upload(page, index: int, files: list[Path]) -> None:
    """Give the page's `index`th uploader its files once the run of the last input is over,
    and wait until they show as chips."""
    wait_for_app_run(page)
    uploader = page.get_by_test_id("stFileUploader").nth(index)
    uploader.locator("input[type=file]").set_input_files([str(f) for f in files])
    try:
        expect(uploader.get_by_test_id("stFileChip").first).to_be_visible()
    except AssertionError:
        fail_with_server_state(page, "the upload did not arrive")
    wait_for_app_run(page)


def choose_preset(page, name: str) -> None:
    """Choose the Analyse page's concern preset by its label."""
    page.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    page.get_by_role("option", name=name).click()


def pick(page, option: str) -> None:
    """Choose a radio option (its label may carry an icon before the words)."""
    page.get_by_role("radiogroup").locator("label").filter(has_text=option).click()
    wait_for_app_run(page)


def tasks_created(page, app_url) -> int:
    go_to(page, "Settings")
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Tasks created")
    expect(metric).to_be_visible()
    wait_for_app_run(page)
    return int(metric.locator("[data-testid='stMetricValue']").inner_text())


def test_camera_photo_runs_demo_analysis_and_shows_radar(page, app_url):
    open_app(page, app_url)
    shot(page, "01-analyse-empty")
    pick(page, "Camera")
    take = page.get_by_test_id("stCameraInputButton")
    expect(take).to_be_enabled()
    take.click()
    fix = page.get_by_role("button", name=re.compile("^Fix:"))
    expect(fix).to_be_visible()  # a 16:9 webcam frame: the face is under 60 % of the width
    shot(page, "02-analyse-camera-photo-checked")
    fix.click()
    wait_for_app_run(page)
    expect(page.get_by_text("Photo check passed")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Analyse · ")).click()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect(page.locator("[data-testid='stImage'] img").first).to_be_visible()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    shot(page, "03-results-after-camera")


def test_switching_pages_during_a_run_resumes_the_same_task(page, app_url):
    open_app(page, app_url)
    before = tasks_created(page, app_url)
    go_to(page, "Analyse")
    pick(page, "Sample photo")
    page.get_by_role("button", name=re.compile("^Analyse · ")).click()
    expect(page.get_by_text("Waiting for the analysis")).to_be_visible()
    go_to(page, "Settings", when_idle=False)  # leave mid-wait
    wait_for_app_run(page)
    shot(page, "04-settings-during-run")
    go_to(page, "Analyse")
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    shot(page, "05-results-after-resume")
    assert tasks_created(page, app_url) == before + 1
    shot(page, "06-settings")


def test_results_page_overlay_views(page, app_url):
    open_app(page, app_url)
    pick(page, "Sample photo")
    button = page.get_by_role("button", name=re.compile("^(Analyse · |View results)"))
    button.first.click()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    page.get_by_role("button", name=re.compile("Display")).click()  # the display options
    pick(page, "Side by side")
    expect(page.get_by_text("With masks")).to_be_visible()
    page.keyboard.press("Escape")  # close the options to see the result
    shot(page, "07-results-side-by-side")


def test_two_demo_runs_with_different_settings_share_one_radar_on_compare(page, app_url):
    open_app(page, app_url)
    pick(page, "Sample photo")
    analyse_to_results(page)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    go_to(page, "Analyse")
    choose_preset(page, "Eyes")
    wait_for_app_run(page)
    expect(page.get_by_role("button", name=re.compile("^Analyse · 12 units"))).to_be_visible()
    analyse_to_results(page)
    go_to(page, "History")
    shot(page, "08-history")
    go_to(page, "Compare")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible()
    expect(chart.locator(".legendtext")).to_have_count(2)
    shot(page, "09-compare")


def test_a_direct_link_to_a_page_on_a_fresh_server_gets_the_full_app(page, tmp_path):
    """A kiosk's bookmark of /live as the first request after a restart: Streamlit would run the
    page file alone (its pages-folder mode); it must come up inside the app's navigation."""
    server, url = serve_app(tmp_path / "data", tmp_path / "server.log")
    try:
        page.goto(f"{url}/live")
        expect(page.get_by_role("heading", name="Live trial", level=1)).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_role("heading", name="Connection")).to_be_visible()
        expect(sidebar.get_by_role("link", name="Live trial", exact=True)).to_be_visible()
        expect(sidebar.get_by_role("link", name="live", exact=True)).to_have_count(0)
        shot(page, "14-direct-link-to-live")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_delete_and_purge_ask_in_a_dialog_first(page, app_url):
    open_app(page, app_url)
    for preset in ("All 16 concerns", "Eyes"):  # two runs at least (stored ones cost nothing)
        go_to(page, "Analyse")
        pick(page, "Sample photo")
        choose_preset(page, preset)
        wait_for_app_run(page)
        analyse_to_results(page)
    go_to(page, "History")
    caption = page.get_by_text(re.compile(r"^\d+ of \d+ runs"))
    expect(caption).to_be_visible()
    before = int(caption.inner_text().split()[0])
    table = page.get_by_test_id("stDataFrame").first  # the runs; the ledger comes after
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    delete = page.get_by_role("button", name=re.compile("^Delete 1 run"))
    expect(delete).to_be_visible()
    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Delete locally", exact=True)).to_be_visible()
    shot(page, "15-history-delete-dialog")
    dialog.get_by_role("button", name="Delete locally", exact=True).click()
    expect(page.get_by_text(f"{before - 1} of {before - 1} runs")).to_be_visible()
    expect(page.get_by_text("1 selected")).to_have_count(0)  # no other run inherits the row

    page.get_by_role("button", name=re.compile("^Purge all local data")).click()
    dialog = page.get_by_role("dialog")
    purge = dialog.get_by_role("button", name="Purge", exact=True)
    expect(purge).to_be_disabled()
    dialog.get_by_text(re.compile("^Yes, delete all")).click()
    expect(purge).to_be_enabled()
    shot(page, "16-history-purge-dialog")
    purge.click()
    expect(page.get_by_text("No runs yet")).to_be_visible()


def test_a_second_tab_offers_the_stored_result_and_creates_no_task(open_page, app_url):
    """Never billed twice across tabs: the same photo and settings in a new tab (a new session)
    find the first tab's result in the run store."""
    first = open_page(1440, 900)
    open_app(first, app_url)
    pick(first, "Sample photo")
    choose_preset(first, "Tone & glow")
    wait_for_app_run(first)
    analyse_to_results(first)
    before = tasks_created(first, app_url)

    second = open_page(1440, 900)
    open_app(second, app_url)
    pick(second, "Sample photo")
    choose_preset(second, "Tone & glow")
    wait_for_app_run(second)
    expect(second.get_by_text("found in History")).to_be_visible()
    expect(second.get_by_role("button", name=re.compile("^Analyse · "))).to_have_count(0)
    shot(second, "17-second-tab-finds-the-stored-result")
    second.get_by_role("button", name="View results").click()
    expect(second.get_by_role("heading", name="Results")).to_be_visible()
    assert tasks_created(second, app_url) == before


@pytest.mark.parametrize("quality", ["SD", "HD"])
def test_results_show_the_radar_and_the_masked_face_on_the_first_screen(
    open_page, app_url, tmp_path, quality
):
    page = open_page(1440, 900)
    open_app(page, app_url)
    if quality == "HD":
        photo = tmp_path / "hd.jpg"
        face = Image.open(FACE_PATH).convert("RGB").resize((1080, 1440))
        face.save(photo, "JPEG", quality=92)
        pick(page, "HD · short side")
        pick(page, "Upload")
        upload(page, 0, [photo])
        expect(page.get_by_text("Photo check passed")).to_be_visible()
    else:
        pick(page, "Sample photo")
    analyse_to_results(page)
    settle(page)
    radar = page.get_by_test_id("stPlotlyChart").first.bounding_box()
    face = page.locator("[data-testid='stImage'] img").first.bounding_box()
    for name, box in (("radar", radar), ("masked face", face)):
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900, (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1440, (name, box)
    assert face["x"] > radar["x"] + radar["width"] / 2  # side by side, not stacked
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"18-results-first-screen-{quality.lower()}-1440.png")
    phone = open_page(390, 844)
    phone.goto(page.url)
    expect(phone.get_by_role("heading", name="Results")).to_be_visible()
    expect(phone.get_by_test_id("stMetric").nth(2)).to_be_visible()
    settle(phone)
    numbers = [
        m.bounding_box() for m in phone.get_by_test_id("stMetric").all()
    ]  # Overall, skin age, skin type: one row, in the top half of a phone's first screen
    assert len(numbers) == 3 and len({round(box["y"]) for box in numbers}) == 1, numbers
    assert max(box["y"] + box["height"] for box in numbers) <= 844 / 2, numbers
    phone.screenshot(path=SHOTS / f"19-results-{quality.lower()}-390.png", full_page=True)


def test_mask_chips_wear_their_colours_and_a_chosen_concern_highlights_its_mask(page, app_url):
    open_app(page, app_url)
    pick(page, "Sample photo")
    analyse_to_results(page)
    settle(page)
    chips = page.locator("[class*='st-key-results_masks'] [data-tag-index]")
    expect(chips.first).to_be_visible()
    legend = page.get_by_test_id("mask-legend").locator("span > span")
    colours = [
        chips.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
        for i in range(chips.count())
    ]
    swatches = [
        legend.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
        for i in range(chips.count())
    ]
    assert colours == swatches and len(set(colours)) == len(colours)
    before = page.locator("[data-testid='stImage'] img").first.get_attribute("src")
    weakest = page.get_by_test_id("stButtonGroup").get_by_role("radio").first
    weakest.click()
    expect(page.get_by_text("Highlighting")).to_be_visible()
    settle(page)
    assert page.locator("[data-testid='stImage'] img").first.get_attribute("src") != before
    shot(page, "20-results-a-chosen-concern-highlights-its-mask")
    # A click on the radar's Wrinkles point (the first, at the top) chooses Wrinkles.
    points = page.get_by_test_id("stPlotlyChart").first.locator(".scatterlayer .trace").last
    box = points.locator(".point").first.bounding_box()  # a person's click, through plotly's
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # drag layer
    expect(page.get_by_text("Highlighting Wrinkles")).to_be_visible()
    chosen = page.get_by_test_id("stButtonGroup").get_by_role("radio", checked=True)
    expect(chosen).to_have_text(re.compile("^Wrinkles"))
    settle(page)
    shot(page, "20b-results-a-radar-point-highlights-its-mask")


@pytest.mark.parametrize("width, height", [(1440, 900), (390, 844)])
def test_results_open_at_their_top_after_analyse_was_scrolled(open_page, app_url, width, height):
    page = open_page(width, height)
    open_app(page, app_url)
    pick(page, "Sample photo")
    expect(
        page.get_by_role("button", name=re.compile("^(Analyse · |View results)")).first
    ).to_be_enabled()
    wait_for_app_run(page)
    page.evaluate(
        "() => { const m = document.querySelector(\"[data-testid='stMain']\");"
        " m.scrollTop = m.scrollHeight; }"
    )  # as far down as Analyse goes
    scrolled = page.evaluate(SCROLL_TOP)
    assert scrolled > 0  # the case to test: Analyse was scrolled down
    analyse_to_results(page)
    settle(page)
    heading = page.get_by_role("heading", name="Results").bounding_box()
    assert heading["y"] >= 0 and heading["y"] + heading["height"] <= height, heading
    assert page.evaluate(SCROLL_TOP) == 0


SCROLL_TOP = "() => document.querySelector(\"[data-testid='stMain']\").scrollTop"


def test_the_chart_code_loads_at_start_not_on_the_first_click(page, app_url):
    """The first radar waited 1 s for plotly.js; the app now fetches it while Analyse shows."""
    open_app(page, app_url)
    assert not page.get_by_test_id("stPlotlyChart").count()  # Analyse draws no chart
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(e => e.name.includes('/static/js/PlotlyChart.'))",
        timeout=20_000,
    )


def test_batch_page_plans_runs_and_shows_the_cohort(open_page, app_url, tmp_path):
    """The plan (one photo blocked), the live progress, then the cohort split by group."""
    from PIL import ImageEnhance

    from ..helpers import face_image, jpeg

    names = []
    for index, (group, brightness) in enumerate(
        [("light", 1.1), ("light", 1.0), ("dark", 0.8), ("dark", 0.7), ("dark", 0.75)]
    ):
        path = tmp_path / f"{group}-{index}.jpg"
        path.write_bytes(jpeg(ImageEnhance.Brightness(face_image()).enhance(brightness)))
        names.append(path)
    wall = tmp_path / "wall.jpg"
    Image.new("RGB", (720, 960), (180, 170, 160)).save(wall)
    meta = tmp_path / "meta.csv"
    meta.write_text("file,group\n" + "".join(f"{p.name},{p.name.split('-')[0]}\n" for p in names))
    page = open_page(1440, 900)
    open_app(page, app_url)
    go_to(page, "Batch")
    # One upload at a time: a file set while the page reruns for the last one can be lost.
    upload(page, 1, [meta])
    expect(page.get_by_text("meta.csv")).to_be_visible()
    upload(page, 0, [*names, wall])
    expect(page.get_by_text("5 photos to send")).to_be_visible()
    expect(page.get_by_text("Meta columns read: group")).to_be_visible()  # the plan has them
    page.get_by_label("Batch name").fill("browser-set")
    page.get_by_label("Batch name").press("Enter")
    wait_for_app_run(page)
    shot(page, "21-batch-plan")
    page.get_by_role("button", name=re.compile("^Run the batch")).click()
    expect(page.get_by_text("Requests left in the window")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "22-batch-progress.png")
    expect(page.get_by_text("5 succeeded")).to_be_visible()
    wait_for_app_run(page)
    assert script_runs_within(page, 2.0) == 0  # once ended, the page stops redrawing itself
    page.screenshot(path=SHOTS / "23-batch-done.png", full_page=True)
    split = page.get_by_role("combobox", name="Split by")
    split.click()
    split.fill("group")
    page.get_by_role("option", name="group").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Means with 95% confidence intervals")).to_be_visible()
    page.get_by_text("Means with 95% confidence intervals").scroll_into_view_if_needed()
    shot(page, "23-batch-cohort")
    phone = open_page(390, 844)
    phone.goto(page.url)
    means = phone.get_by_text("Means with 95% confidence intervals")
    expect(means).to_be_visible()
    settle(phone)
    phone.get_by_test_id("stPlotlyChart").first.scroll_into_view_if_needed()
    settle(phone)
    phone.screenshot(path=SHOTS / "23-batch-cohort-390.png", full_page=True)


PAGE_PATHS = ["", "results", "live", "history", "compare", "batch", "settings"]


@pytest.mark.parametrize("width, height", [(1440, 900), (390, 844)])
def test_every_page_fits_the_screen_without_an_exception(open_page, app_url, width, height):
    """After a run exists, each page at a laptop's and a phone's size: no exception, nothing
    wider than the screen; a screenshot of each."""
    page = open_page(width, height)
    open_app(page, app_url)
    pick(page, "Sample photo")
    analyse_to_results(page)
    for path in PAGE_PATHS:
        page.goto(f"{app_url}/{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        settle(page)
        assert not page.get_by_test_id("stException").count(), path
        # Idle, a page stays idle (the camera component's first report may rerun it once).
        assert script_runs_within(page, 1.2) <= 1, f"{path} keeps rerunning while idle"
        overflow = page.evaluate(
            "() => { const m = document.querySelector(\"[data-testid='stMain']\");"
            " return m.scrollWidth - m.clientWidth; }"
        )
        assert overflow <= 1, (path, overflow)
        if path == "history":  # the filters leave room for the runs on the first screen
            table = page.get_by_test_id("stDataFrame").first.bounding_box()
            assert table["y"] < height - 80, table
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"30-{path or 'analyse'}-{width}.png")


def test_trial_visits_show_the_change_from_baseline(open_page, tmp_path):
    """A trial of three participants at baseline and week 4 (one missing it): the summary's
    forest plot and table, at 1440×900 and 390×844."""
    from PIL import ImageEnhance

    from skinapi import AnalysisSettings
    from skinapi.store import SqliteRunStore

    from ..helpers import face_image, jpeg, record_run, start_emulator, test_client

    emulator = start_emulator(processing_time=0.05, polling_interval=0.01, rate_limit=False)
    store = SqliteRunStore(tmp_path / "data" / "runs.sqlite3")
    settings = AnalysisSettings.build(["redness", "radiance", "pore", "wrinkle"])
    client = test_client(emulator)
    for index, person in enumerate(("P-1", "P-2", "P-3")):
        for visit, light in (("baseline", 1.0 + index * 0.03), ("week 4", 0.85 + index * 0.03)):
            if person == "P-3" and visit == "week 4":
                continue
            photo = jpeg(ImageEnhance.Brightness(face_image()).enhance(light))
            record_run(store, client, photo, settings, source="camera", trial="Serum",
                       participant=person, visit=visit)  # fmt: skip
    store.close()
    emulator.stop()
    server, url = serve_app(tmp_path / "data", tmp_path / "server.log")
    try:
        for width, height in ((1440, 900), (390, 844)):
            page = open_page(width, height)
            page.set_default_timeout(60_000)
            page.goto(f"{url}/live")
            trial = page.get_by_label("Trial name")
            expect(trial).to_be_visible()
            trial.fill("Serum")
            trial.press("Enter")
            heading = page.get_by_text("Change from baseline", exact=True)
            expect(heading).to_be_visible()
            expect(page.get_by_text("2 participants with both visits")).to_be_visible()
            expect(page.get_by_text(re.compile(r"P-3 \(no follow-up\)"))).to_be_visible()
            heading.scroll_into_view_if_needed()
            settle(page)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SHOTS / f"24-trial-change-from-baseline-{width}.png")
            page.context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

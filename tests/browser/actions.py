"""The browser tests' actions and their one wait (`wait_for_app_run`), as Streamlit's own e2e
suite has them: each action waits until the run the last input asked for is over; nothing
clicks twice."""

import re
from pathlib import Path

import pytest

from ..helpers import CHROMIUM, SHOTS, server_stacks


def browser_test(group: str) -> list:
    """A browser test module's marks: `pytestmark = browser_test("name")`. Each group runs on
    one worker with its own server and Chromium; groups run side by side, since these tests
    mostly wait on the app and the emulator rather than use the cores."""
    return [
        pytest.mark.browser,
        pytest.mark.xdist_group(f"browser-{group}"),
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
PAGES = {
    "Analyse": "analyse",
    "Results": "results",
    "Live trial": "live",
    "History": "history",
    "Compare": "compare",
    "Batch": "batch",
    "Settings": "settings",
    "Audit": "audit",
}
"""Each page's title in the sidebar, and its short name in screenshots."""
RENDERED_WITHIN_MS = 100
"""What the page takes to draw the last run's elements after the script reports idle."""


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
    # The run button: "Analyse · N units", or "View results" once the sample (the photo Analyse
    # opens on) has a stored result.
    expect(
        page.get_by_role("button", name=re.compile("^(Analyse|View results)")).first
    ).to_be_visible()
    wait_for_app_run(page)


def go_to(page, name: str, *, when_idle: bool = True) -> None:
    """Sidebar navigation as a person does it: where a narrow screen has folded the sidebar
    away, open it, choose, and fold it again (it would cover the page). Links are inert while
    the app reconnects, so wait for them."""
    if when_idle:
        wait_for_app_run(page)
    link = page.get_by_role("link", name=name, exact=True)
    folded = page.get_by_test_id("stExpandSidebarButton").is_visible()
    if folded:
        page.get_by_test_id("stExpandSidebarButton").click()
    expect(link).not_to_have_attribute("disabled", "")
    link.click()
    if folded:
        page.get_by_test_id("stSidebarCollapseButton").click()
        expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
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


def choose(page, label: str, typed: str) -> None:
    """Choose the first option that `typed` finds in the select box labelled `label`, typed as
    a person does (a click may land while the page still scrolls the box into view)."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).get_by_role("combobox")
    box.focus()
    page.keyboard.type(typed)
    # The list shows every option before it filters on what was typed: Enter on the unfiltered
    # list chooses its first option instead.
    wanted = re.compile(re.escape(typed), re.IGNORECASE)
    expect(page.get_by_role("option").first).to_contain_text(wanted)
    box.press("Enter")
    expect(box).to_have_value(wanted)
    wait_for_app_run(page)


def tasks_created(page, app_url) -> int:
    go_to(page, "Settings")
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Tasks created")
    expect(metric).to_be_visible()
    wait_for_app_run(page)
    return int(metric.locator("[data-testid='stMetricValue']").inner_text())

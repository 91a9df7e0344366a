"""Every page in Chromium at a laptop's and a phone's size, audited by axe-core on the laptop's
tour; the Batch page's cohort and a trial's change from baseline; a screenshot of each."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from skinapi.concerns import preset_actions

from ..helpers import SHOTS, record_sample_runs, serve_app, stop_app
from .actions import (
    PAGES,
    analyse_to_results,
    browser_test,
    choose,
    expect,
    go_to,
    open_app,
    pick,
    script_runs_within,
    settle,
    shot,
    upload,
    wait_for_app_run,
)

pytestmark = browser_test("pages")
axe_playwright = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
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
    expect(page.get_by_text("5 photos pass the photo check")).to_be_visible()
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
    # The cohort opens split by the meta CSV's column, saying its groups are small.
    expect(
        page.get_by_text(re.compile(r"^Too few photos for a trustworthy interval: dark"))
    ).to_be_visible()
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


@dataclass
class PageSeen:
    """What one page showed on a tour: every figure the tests judge, taken on one visit."""

    exceptions: int
    reruns_while_idle: int
    overflow: float
    runs_table_top: float | None
    violations: list[str] = field(default_factory=list)
    radar_read_out: bool = False


def tour(page, app_url: str, *, audit: Path | None = None) -> dict[str, PageSeen]:
    """Each page reached from the sidebar as a person moves (a direct link has its own test),
    after a run from the Analyse page exists; a screenshot of each. With `audit` (the server's
    data folder), an earlier run of the eye concerns is recorded there first, so Compare has two
    radars to draw, and axe-core's findings on each page are taken."""
    width = page.viewport_size["width"]
    if audit:
        record_sample_runs(audit, preset_actions("eyes", "sd"))
    open_app(page, app_url)
    pick(page, "Sample photo")
    analyse_to_results(page)
    wait_for_app_run(page)
    seen = {}
    for title, path in PAGES.items():
        go_to(page, title, when_idle=False)  # the last page has settled
        settle(page)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        seen[title] = PageSeen(
            exceptions=page.get_by_test_id("stException").count(),
            # Idle, a page stays idle (the camera component's first report may rerun it once).
            reruns_while_idle=script_runs_within(page, 1.2),
            overflow=page.evaluate(
                "() => { const m = document.querySelector(\"[data-testid='stMain']\");"
                " return m.scrollWidth - m.clientWidth; }"
            ),
            runs_table_top=(
                page.get_by_test_id("stDataFrame").first.bounding_box()["y"]
                if path == "history"
                else None
            ),
            violations=violations(page) if audit else [],
            radar_read_out=bool(audit) and radar_figure(page).is_visible(),
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"30-{path}-{width}.png")
    return seen


@pytest.fixture(scope="module")
def laptop_tour(browser, app_url, app_data) -> dict[str, PageSeen]:
    """One laptop-sized tour for the module, judged by the fit test and the accessibility
    audit alike: a tour costs Chromium a page load, a run and eight pages drawn."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield tour(page, app_url, audit=app_data)
    finally:
        context.close()


def assert_fits(seen: dict[str, PageSeen], height: int) -> None:
    for title, facts in seen.items():
        assert not facts.exceptions, title
        assert facts.reruns_while_idle <= 1, f"{title} keeps rerunning while idle"
        assert facts.overflow <= 1, (title, facts.overflow)
        if facts.runs_table_top is not None:  # the filters leave room for the runs
            assert facts.runs_table_top < height - 80, (title, facts.runs_table_top)


def test_every_page_fits_a_laptop_screen_without_an_exception(laptop_tour):
    """At 1440×900: no exception, nothing wider than the screen, idle pages stay idle."""
    assert_fits(laptop_tour, 900)


@pytest.mark.xdist_group("browser-pages-phone")  # beside the laptop's, with a server of its own
def test_every_page_fits_a_phone_screen_without_an_exception(open_page, app_url):
    """At 390×844, the sidebar folded away: the same as on a laptop."""
    assert_fits(tour(open_page(390, 844), app_url), 844)


def test_every_page_has_no_critical_or_serious_accessibility_violation(laptop_tour):
    """axe-core (WCAG 2.1 A and AA, its default rules) on every page of the laptop tour, after
    two runs: no critical or serious violation; the radar's text alternative is read out as a
    figure on Results and Compare."""
    assert laptop_tour["Results"].radar_read_out
    assert laptop_tour["Compare"].radar_read_out
    found = {title: facts.violations for title, facts in laptop_tour.items()}
    assert not any(found.values()), "\n".join(
        f"{title}: {line}" for title, lines in found.items() for line in lines
    )


BLOCKING = {"critical", "serious"}


def violations(page) -> list[str]:
    """axe-core's critical and serious findings on the page as it is, one line per element."""
    found = axe_playwright.Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary'].splitlines()[-1]}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def radar_figure(page):
    """A radar's text alternative: its scores in words, read out as a figure."""
    return page.get_by_role("figure", name=re.compile("^Radar chart of ui scores")).first


def participant_screens(page, width: int) -> None:
    """A participant's before/after opened from the summary, and P-3 offered at week 4."""
    choose(page, "A participant's before/after", "P-1")
    expect(page.get_by_text("Change from baseline by concern")).to_be_visible()
    expect(page.get_by_text("Taken under other conditions: room and light")).to_be_visible()
    page.get_by_text("Change from baseline by concern").scroll_into_view_if_needed()
    settle(page)
    page.screenshot(path=SHOTS / f"25-trial-participant-before-after-{width}.png")
    choose(page, "Visit", "week 4")
    choose(page, "Returning participant", "P-3")
    expect(page.get_by_text("P-3's baseline photo")).to_be_visible()
    settle(page)
    page.screenshot(path=SHOTS / f"26-live-follow-up-returning-participant-{width}.png")
    if width > 1000:
        go_to(page, "History")
        table = page.get_by_test_id("stDataFrame").first
        expect(table).to_be_visible()
        table.hover()
        page.mouse.wheel(900, 0)  # along to the Conditions column
        settle(page)
        page.screenshot(path=SHOTS / "27-history-conditions-1440.png")


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
            room = "Room 2, ring light" if visit == "baseline" else "Room 5, window"
            conditions = {"skin": "clean face", "room": room, "time_of_day": "morning (09:10)"}
            record_run(store, client, photo, settings, source="camera", trial="Serum",
                       participant=person, visit=visit, conditions=conditions)  # fmt: skip
    store.close()
    emulator.stop()
    _, url = serve_app(tmp_path / "data", tmp_path / "server.log")
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
            participant_screens(page, width)
            page.context.close()
    finally:
        tracebacks = stop_app(url)
    assert not tracebacks, "the server logged a traceback:\n" + "\n".join(tracebacks)

"""Every page in Chromium at a laptop's and a phone's size, the Batch page's cohort and a
trial's change from baseline, with a screenshot of each."""

import re

import pytest
from PIL import Image

from ..helpers import SHOTS, serve_app, stop_app
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


@pytest.mark.parametrize(
    "width, height",
    # The phone's round runs beside the laptop's, with a server of its own.
    [(1440, 900), pytest.param(390, 844, marks=pytest.mark.xdist_group("browser-pages-phone"))],
)
def test_every_page_fits_the_screen_without_an_exception(open_page, app_url, width, height):
    """After a run exists, each page at a laptop's and a phone's size, reached from the sidebar
    as a person moves (a direct link has its own test): no exception, nothing wider than the
    screen; a screenshot of each."""
    page = open_page(width, height)
    open_app(page, app_url)
    pick(page, "Sample photo")
    analyse_to_results(page)
    wait_for_app_run(page)
    for title, path in PAGES.items():
        go_to(page, title, when_idle=False)  # the last page has settled
        settle(page)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
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
        page.screenshot(path=SHOTS / f"30-{path}-{width}.png")


def participant_screens(page, width: int) -> None:
    """A participant's before/after opened from the summary, and P-3 offered at week 4."""
    choose(page, "A participant's before/after", "P-1")
    expect(page.get_by_text("Change since baseline")).to_be_visible()
    expect(page.get_by_text("Taken under other conditions: room and light")).to_be_visible()
    page.get_by_text("Change since baseline").scroll_into_view_if_needed()
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

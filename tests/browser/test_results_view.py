"""The Results page in Chromium: the radar and the masked face on the first screen (SD and
HD, laptop and phone), mask colours and highlights, opening at the top, the chart code
loaded early."""

import re

import pytest
from PIL import Image

from ..helpers import FACE_PATH, SHOTS
from .actions import (
    analyse_to_results,
    browser_test,
    expect,
    open_app,
    pick,
    settle,
    shot,
    upload,
    wait_for_app_run,
)

pytestmark = browser_test("results")


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
    radar = phone.get_by_test_id("stPlotlyChart").first.bounding_box()
    face = phone.locator("[data-testid='stImage'] img").first.bounding_box()
    for name, box in (("radar", radar), ("masked face", face)):  # issue 24: both, first screen
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
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

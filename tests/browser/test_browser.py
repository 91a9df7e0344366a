"""The dashboard in a real headless Chromium, driven by Playwright, with a fake camera: the
analyse → results → history → compare flows. Chromium comes from Debian (`apt-get install
chromium`); CI installs it. Screenshots land in test-artifacts/screenshots/.
"""

import re

from ..helpers import record_sample_runs, serve_app, stop_app
from .actions import (
    analyse_to_results,
    browser_test,
    choose_preset,
    expect,
    go_to,
    open_app,
    pick,
    shot,
    tasks_created,
    wait_for_app_run,
)

pytestmark = browser_test("runs")


TWO_RUNS = (
    ["wrinkle", "pore", "redness", "eye_bag", "dark_circle_v2"],
    ["dark_circle_v2", "eye_bag"],
)
"""Runs of the sample recorded straight into the server's store, for tests whose subject is
what History and Compare do with runs (the Analyse flow is the other tests')."""


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
    analyse_to_results(page)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    wait_for_app_run(page)
    page.get_by_role("button", name=re.compile("Display")).click()  # the display options
    pick(page, "Side by side")
    expect(page.get_by_text("With masks")).to_be_visible()
    page.keyboard.press("Escape")  # close the options to see the result
    shot(page, "07-results-side-by-side")


def test_two_demo_runs_with_different_settings_share_one_radar_on_compare(page, app_url, app_data):
    """A run of the first concerns (recorded in the store) and one of the eye preset from the
    Analyse page: Compare draws both on one radar."""
    record_sample_runs(app_data, TWO_RUNS[0])
    open_app(page, app_url)
    pick(page, "Sample photo")
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
    _, url = serve_app(tmp_path / "data", tmp_path / "server.log")
    try:
        page.goto(f"{url}/live")
        expect(page.get_by_role("heading", name="Live trial", level=1)).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_role("heading", name="Connection")).to_be_visible()
        expect(sidebar.get_by_role("link", name="Live trial", exact=True)).to_be_visible()
        expect(sidebar.get_by_role("link", name="live", exact=True)).to_have_count(0)
        shot(page, "14-direct-link-to-live")
    finally:
        tracebacks = stop_app(url)
    assert not tracebacks, "the server logged a traceback:\n" + "\n".join(tracebacks)


def test_history_shows_the_selected_runs_large_with_one_report_for_them(
    open_page, app_url, app_data
):
    """Two runs selected in History: the detail pane shows both photos larger than the table's
    thumbnails with their facts, and one HTML report covers both; at a laptop's and a phone's
    size (screenshots 17-history-selection-*)."""
    record_sample_runs(app_data, *TWO_RUNS)
    for width, height in ((1440, 900), (390, 844)):
        page = open_page(width, height)
        page.goto(f"{app_url}/history")
        table = page.get_by_test_id("stDataFrame").first
        expect(table).to_be_visible()
        wait_for_app_run(page)
        box = table.bounding_box()
        for row in (0, 1):  # each row's selection box
            page.mouse.click(box["x"] + 18, box["y"] + 35 + 17 + 35 * row)
            wait_for_app_run(page)
        expect(page.get_by_text("2 selected")).to_be_visible()
        pane = page.locator(".st-key-history_detail")
        expect(pane.locator("[data-testid='stImage'] img")).to_have_count(2)
        expect(pane.get_by_text(re.compile(r"SD × \d+ concerns")).first).to_be_visible()
        expect(page.get_by_role("button", name="HTML report")).to_be_visible()
        pane.scroll_into_view_if_needed()
        shot(page, f"17-history-selection-{width}")


def test_delete_and_purge_ask_in_a_dialog_first(page, app_url, app_data):
    record_sample_runs(app_data, *TWO_RUNS)
    page.goto(f"{app_url}/history")
    wait_for_app_run(page)
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
    expect(dialog.get_by_text(re.compile("^This cannot be undone"))).to_be_visible()
    shot(page, "15-history-delete-dialog")
    dialog.get_by_role("button", name="Cancel", exact=True).click()  # closes, deletes nothing
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text(f"{before} of {before} runs")).to_be_visible()
    delete.click()
    dialog.get_by_role("button", name="Delete locally", exact=True).click()
    left = f"{before - 1} of {before - 1} run{'' if before - 1 == 1 else 's'} ·"
    expect(page.get_by_text(re.compile("^" + re.escape(left)))).to_be_visible()
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
    # The audit trail outlives the purge and holds both: a deletion and the purge itself.
    go_to(page, "Audit")
    actions = page.get_by_test_id("stMultiSelect").filter(has_text="Actions")
    for action in ("purge", "delete"):
        actions.get_by_role("combobox").focus()
        page.keyboard.type(action)
        page.get_by_role("option", name=action, exact=True).click()
        page.keyboard.press("Escape")
        wait_for_app_run(page)
    expect(page.get_by_text("2 entries, newest first")).to_be_visible()
    shot(page, "17-audit-trail")


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

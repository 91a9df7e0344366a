"""Every page audited by axe-core (WCAG 2.1 A and AA, its default rules) after two demo runs,
visited by the sidebar's navigation in one window: no critical or serious violation."""

import re

import pytest

from .actions import (
    analyse_to_results,
    browser_test,
    choose_preset,
    expect,
    go_to,
    open_app,
    pick,
    settle,
    wait_for_app_run,
)

pytestmark = browser_test("accessibility")
axe_playwright = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
)

PAGES = ["Analyse", "Results", "Live trial", "History", "Compare", "Batch", "Settings"]
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


def test_every_page_has_no_critical_or_serious_accessibility_violation(open_page, app_url):
    page = open_page(1440, 900)
    open_app(page, app_url)
    pick(page, "Sample photo")
    analyse_to_results(page)
    go_to(page, "Analyse")
    choose_preset(page, "Eyes")
    wait_for_app_run(page)
    expect(page.get_by_role("button", name=re.compile("^Analyse · 12 units"))).to_be_visible()
    analyse_to_results(page)
    settle(page)
    found = {"Results": violations(page)}
    for name in PAGES:
        if name != "Results":
            go_to(page, name)
            if name == "Compare":  # both runs on the radar, their masks below
                expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
            settle(page)
            found[name] = violations(page)
    assert not any(found.values()), "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )

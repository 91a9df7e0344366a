"""Every page audited by axe-core (WCAG 2.1 A and AA, its default rules) after two demo runs,
visited by the sidebar's navigation in one window: no critical or serious violation."""

import re

import pytest

from .actions import (
    PAGES,
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
    expect(radar_figure(page)).to_be_visible()
    for name in (title for title in PAGES if title != "Results"):  # the runs end on Results
        go_to(page, name)
        settle(page)
        found[name] = violations(page)
        if name == "Compare":
            expect(radar_figure(page)).to_be_visible()
    assert not any(found.values()), "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )

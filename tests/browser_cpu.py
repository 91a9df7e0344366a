"""What one load of the app's first page costs Chromium, in CPU-seconds by process kind, with the
suite's switches (`CHROMIUM_ARGS`) and with any switches left out or added. The browser tests are
CPU-bound on two cores, so this is the figure their switches are chosen by.

Usage: python -m tests.browser_cpu [--loads N] [--without SWITCH ...] [--with SWITCH ...]
"""

import argparse
import os
import re
import statistics
import tempfile
from collections import Counter
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, serve_app, stop_app

TICKS = os.sysconf("SC_CLK_TCK")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def chromium_cpu() -> Counter:
    """CPU-seconds so far of every Chromium process by kind (renderer, gpu-process, …); a
    process's reaped children count in it, so a renderer that exits mid-measure is not lost."""
    kinds = Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue  # gone meanwhile
        kind = re.search(r"--type=(\S+)", command)
        sub = re.search(r"--utility-sub-type=([\w]+)", command)
        name = (kind.group(1) if kind else "browser") + (f":{sub.group(1)}" if sub else "")
        name += ":webui" if "top-chrome-webui" in command else ""
        kinds[name] += sum(int(f) for f in fields[11:15]) / TICKS
    return kinds


def load_costs(url: str, args: list[str], loads: int) -> tuple[list[float], Counter]:
    """CPU-seconds of each load (a new context, the page drawn and 2.5 s of settling), and the
    last load's split by process kind."""
    costs, split = [], Counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1400, "height": 1800})
            page = context.new_page()
            before = chromium_cpu()
            page.goto(url)
            page.wait_for_selector(IDLE)
            page.get_by_role("button", name=re.compile("^(Analyse|View results)")).first.wait_for()
            page.wait_for_timeout(2500)
            after = chromium_cpu()
            split = Counter({k: round(after[k] - before.get(k, 0), 2) for k in after})
            costs.append(sum(after.values()) - sum(before.values()))
            context.close()
        browser.close()
    return costs, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--without", action="append", default=[], metavar="SWITCH")
    parser.add_argument("--with", dest="extra", action="append", default=[], metavar="SWITCH")
    options = parser.parse_args()
    args = [a for a in CHROMIUM_ARGS if a not in options.without] + options.extra
    work = Path(tempfile.mkdtemp(prefix="browser-cpu-"))
    _, url = serve_app(work / "data", work / "server.log")
    try:
        costs, split = load_costs(url, args, options.loads)
    finally:
        stop_app(url)
    print(f"switches: {' '.join(args)}")
    print(
        f"Chromium CPU per page load: median {statistics.median(costs):.2f} s "
        f"(min {min(costs):.2f}, max {max(costs):.2f}, {len(costs)} loads)"
    )
    print("last load by process:", ", ".join(f"{k} {v:.2f}" for k, v in split.most_common()))


if __name__ == "__main__":
    main()

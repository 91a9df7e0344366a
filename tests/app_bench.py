"""The dashboard's benchmarks, a test-side tool run from a checkout: `python -m tests.app_bench
results` (AppTest, no browser) or `first` (click → radar in Chromium). Figures are
medians, printed, never asserted."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

APP = str(Path(__file__).parent.parent / "app.py")


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def bench_results(runs: int) -> None:
    """Server time of a Results-page rerun (AppTest, no browser) and API calls made by reruns."""
    import os
    import tempfile

    from streamlit.testing.v1 import AppTest

    from skinapi.ui.connection import demo_emulator

    os.environ["SKINSCOPE_DATA_DIR"] = tempfile.mkdtemp(prefix="skinscope-bench-")
    emulator = demo_emulator()
    emulator.configure(processing_time=0.3, polling_interval=0.2, rate_limit=False)
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.radio(key="analyse_source").set_value("sample").run()
    app.button(key="do_run").click().run()
    if app.exception or app.title[0].value != "Results":
        print("results bench: the analysis did not reach the Results page")
        return
    before = len(emulator.request_log)
    times = []
    for _ in range(max(runs, 10)):
        start = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - start)
    calls = len(emulator.request_log) - before
    print(f"results Results page of an SD all-concern demo result, reruns={len(times)}")
    print(f"  rerun server time    median {1000 * _median(times):.0f} ms  (target ≤ 150 ms)")
    print(f"  API requests made by {len(times)} reruns: {calls}  (target 0)")


def bench_first(runs: int, servers: int = 3) -> None:
    """Click → radar in a real headless Chromium: the first analysis after the server starts
    and the later ones, each a new task (a photo of its own), on the app's default demo timing.
    `servers` fresh servers give the first-click figure its median."""
    import re
    import tempfile

    from playwright.sync_api import expect, sync_playwright

    from .helpers import CHROMIUM, CHROMIUM_ARGS, face_image, jpeg, serve_app

    folder = Path(tempfile.mkdtemp(prefix="skinscope-first-"))
    photos = []
    for index in range(runs + 1):
        path = folder / f"face-{index}.jpg"
        path.write_bytes(jpeg(face_image().rotate(index * 0.5, fillcolor=(196, 198, 204))))
        photos.append(path)
    firsts, laters = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for attempt in range(servers):
            data = folder / f"data-{attempt}"
            server, url = serve_app(data, folder / f"server-{attempt}.log")
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(120_000)
                page.goto(url)
                idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
                button = page.get_by_role("button", name=re.compile("^Analyse"))
                expect(button).to_be_visible(timeout=120_000)
                page.wait_for_selector(idle)
                page.get_by_role("radiogroup").locator("label").filter(has_text="Upload").click()
                for index, photo in enumerate(photos if attempt == 0 else photos[:1]):
                    if index:
                        page.get_by_role("link", name="Analyse", exact=True).click()
                    page.wait_for_selector(idle)
                    page.locator("input[type=file]").set_input_files(str(photo))
                    expect(page.get_by_text("Photo check passed")).to_be_visible(timeout=120_000)
                    page.wait_for_selector(idle)
                    start = time.perf_counter()
                    button.first.click()
                    page.wait_for_selector(
                        "[data-testid='stPlotlyChart'] .main-svg .scatterlayer", timeout=120_000
                    )
                    took = time.perf_counter() - start
                    (laters if index else firsts).append(took)
                page.close()
            finally:
                server.terminate()
                server.wait(timeout=20)
        browser.close()
    print(f"first click → radar in Chromium, demo defaults, {servers} fresh servers")
    print(f"  first analysis after start   median {_median(firsts):.2f} s  {_spread(firsts)}")
    print(
        f"  later analyses ({len(laters)})         median {_median(laters):.2f} s  {_spread(laters)}"
    )
    print(f"  first ÷ later                {_median(firsts) / _median(laters):.2f}  (target ≤ 1.1)")


def _spread(samples: list[float]) -> str:
    return f"(min {min(samples):.2f}, max {max(samples):.2f})"


BENCHMARKS = {"results": bench_results, "first": bench_first}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.app_bench")
    parser.add_argument("what", nargs="+", choices=tuple(BENCHMARKS))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for name in args.what:
        BENCHMARKS[name](args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

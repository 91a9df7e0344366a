"""`python -m skinapi bench`: performance figures as medians, printed, never asserted."""

from __future__ import annotations

import io
import statistics
import time

from PIL import Image

from .photo import SAMPLE_PHOTO


def _photo(size: tuple[int, int] | None = None) -> bytes:
    image = Image.open(SAMPLE_PHOTO)
    if size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def bench_client(runs: int, processing_time: float, interval: float) -> None:
    from .client import Client, polls_bound
    from .concerns import AnalysisSettings, preset_actions
    from .emulator import DEMO_API_KEY, Emulator, EmulatorConfig

    config = EmulatorConfig(
        processing_time=processing_time, polling_interval=interval, rate_limit=False
    )
    photo = _photo()
    settings = AnalysisSettings.build(preset_actions("eyes", "sd"), format="zip")
    walls, requests_, polls = [], [], []
    with Emulator(config) as emulator:
        client = Client(DEMO_API_KEY, base_url=emulator.url)
        for _ in range(runs):
            before = len(emulator.request_log)
            start = time.perf_counter()
            client.analyze(photo, settings)
            walls.append(time.perf_counter() - start)
            log = emulator.request_log[before:]
            api = [p for m, p in log if p.startswith("/s2s/") or m == "PUT"]
            requests_.append(len(api))
            polls.append(sum(1 for m, p in log if m == "GET" and "/task/" in p))
    wall = _median(walls)
    bound = polls_bound(processing_time, interval)
    print(f"client  T={processing_time:g}s I={interval:g}s runs={runs} (SD eyes, zip)")
    print(f"  wall per analysis    median {wall:.3f} s")
    print(
        f"  client overhead      median {wall - processing_time:.3f} s  (target ≤ {0.25 + interval:.2f} s)"
    )
    print(
        f"  requests / analysis  median {_median(requests_):.0f}  = 3 + polls (polls median {_median(polls):.0f}, bound {bound})"
    )


def bench_engine(runs: int) -> None:
    from .concerns import HD_ACTIONS
    from .engine import analyze
    from .photo import check_photo, load_photo

    photo = load_photo(_photo((1920, 2560)))
    face = check_photo(photo, "hd").faces[0]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        analyze(photo, face, HD_ACTIONS)
        times.append(time.perf_counter() - start)
    print(f"engine  1920×2560 HD photo, all 16 HD concerns, runs={runs}")
    print(f"  demo engine          median {_median(times):.3f} s  (target ≤ 2 s)")


def bench_check(runs: int) -> None:
    from .photo import check_photo, load_photo

    data = _photo((3000, 4000))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check_photo(load_photo(data), "hd")
        times.append(time.perf_counter() - start)
    print(f"check   12 MP JPEG (3000×4000), load + every check, runs={runs}")
    print(f"  pre-flight           median {1000 * _median(times):.0f} ms  (target ≤ 300 ms)")


def bench_results(runs: int) -> None:
    """Server time of a Results-page rerun (AppTest, no browser) and API calls made by reruns."""
    import os
    import tempfile
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from . import ui

    os.environ["SKINSCOPE_DATA_DIR"] = tempfile.mkdtemp(prefix="skinscope-bench-")
    emulator = ui.demo_emulator()
    emulator.configure(processing_time=0.3, polling_interval=0.2, rate_limit=False)
    app = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=120)
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


def bench_history(runs: int, stored: int = 1000) -> None:
    """Server time of the History page with `stored` runs in the store (AppTest, no browser)."""
    import os
    import random
    import tempfile
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from .concerns import SD_ACTIONS, AnalysisSettings
    from .engine import ui_score
    from .store import RunStore

    folder = tempfile.mkdtemp(prefix="skinscope-history-")
    os.environ["SKINSCOPE_DATA_DIR"] = folder
    store = RunStore(Path(folder) / "runs.sqlite3")
    rng = random.Random(1)
    photo = _photo((96, 128))
    settings = AnalysisSettings.build(SD_ACTIONS)
    for index in range(stored):
        run_id = store.begin(
            photo=photo,
            settings=settings,
            mode="demo",
            source="upload",
            photo_hash="h",
            label=f"trial {index % 7}",
        )
        concerns = [
            {"type": a, "region": None, "raw_score": (raw := rng.uniform(20, 95)), "ui_score": ui_score(raw), "mask": None}
            for a in SD_ACTIONS if a != "skin_type"
        ]  # fmt: skip
        result = {
            "task_id": f"task_{index}",
            "api_version": "v2.1",
            "format": "json",
            "overall": 70.0,
            "skin_age": 33,
            "concerns": concerns,
            "skin_types": [],
        }
        store.update(
            run_id, task_id=f"task_{index}", state="success", result=result, units=16, duration=3.0
        )
    store.close()
    app = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/history.py")
    times = []
    for _ in range(max(runs, 5)):
        start = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - start)
    rows = len(app.dataframe[0].value) if app.dataframe else 0
    print(
        f"history History page with {stored} stored runs ({rows} rows shown), renders={len(times)}"
    )
    print(f"  server time          median {1000 * _median(times):.0f} ms  (target ≤ 1000 ms)")


def bench_live(runs: int) -> None:
    """Per-frame guidance (assess + draw) on a 640×480 webcam frame."""
    import numpy as np

    from .live import LiveState

    face = Image.open(SAMPLE_PHOTO).convert("RGB").resize((360, 480))
    frame = Image.new("RGB", (640, 480), (196, 198, 204))
    frame.paste(face, (140, 0))
    rgb = np.asarray(frame)
    state = LiveState()
    times = []
    for _ in range(max(runs, 30)):
        start = time.perf_counter()
        state.on_frame(rgb, every=1)
        times.append(time.perf_counter() - start)
    median = _median(times)
    print(f"live    640×480 frame, every check assessed and drawn, frames={len(times)}")
    print(
        f"  per-frame guidance   median {1000 * median:.1f} ms  (target ≤ 30 ms → {1 / median:.0f} fps)"
    )


def run(what: list[str], *, runs: int, processing_time: float, interval: float) -> int:
    for name in what:
        if name == "client":
            bench_client(runs, processing_time, interval)
        elif name == "engine":
            bench_engine(runs)
        elif name == "check":
            bench_check(runs)
        elif name == "live":
            bench_live(runs)
        elif name == "history":
            bench_history(runs)
        elif name == "results":
            bench_results(runs)
        elif name == "overlay":
            from .overlay import bench_overlay

            bench_overlay(runs)
        else:
            print(f"unknown benchmark {name!r}")
            return 2
    return 0

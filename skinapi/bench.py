"""`python -m skinapi bench`: performance figures as medians, printed, never asserted.

The dashboard's own benchmarks (`results` through AppTest; `first`, click → radar in Chromium)
drive app.py with the test tools, so they are a test-side tool: `python -m tests.app_bench
results|first` from a checkout. `history` fills a throwaway history here and measures the page
in a process of its own (skinapi.ui.history_bench); its `--runs` is the number of runs. `batch`,
`batch-split` (two processes sharing the store: `--database-url`'s PostgreSQL, else one SQLite
folder) and `plan` (`--runs` photos to pre-flight) are in bench_batch."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from .imaging.photo import SAMPLE_PHOTO
from .imaging.photo import sample_jpeg as _photo

APP_BENCHMARKS = ("results", "first")
"""Run from a checkout with `python -m tests.app_bench`, not from here."""
BENCHMARKS = tuple("client cli engine check overlay live history batch plan batch-split".split())


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def bench_client(runs: int, processing_time: float, interval: float) -> None:
    from .client import Client, polls_bound
    from .concerns import AnalysisSettings, preset_actions
    from .demo import DEMO_API_KEY, Emulator, EmulatorConfig

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


CLI_TASK_SECONDS = 2.5
CLI_INTERVAL = 1.0


def bench_cli(runs: int) -> None:
    """What one `analyze` costs beyond its task: the CLI in a fresh interpreter, with its photo
    checks and history on, against the emulator (task 2.5 s, polling interval 1 s, sent in
    every answer), less the task and a bare interpreter's start-up. Twice: a photo new to the
    history (checked), and the same photo again (its earlier pass remembered). Python's
    bytecode is cached, as after any first run (this machine may set PYTHONDONTWRITEBYTECODE,
    which would compile every module of the command on every run)."""
    import os
    import tempfile

    from .demo import DEMO_API_KEY, Emulator, EmulatorConfig

    config = EmulatorConfig(
        processing_time=CLI_TASK_SECONDS,
        polling_interval=CLI_INTERVAL,
        send_polling_interval=True,
        rate_limit=False,
    )
    startup = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        startup.append(time.perf_counter() - start)
    python = _median(startup)
    with Emulator(config) as emulator, tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "face.jpg"
        photo.write_bytes(_photo())
        command = [
            sys.executable,
            "-m",
            "skinapi",
            "analyze",
            str(photo),
            "--preset",
            "sd-all",
            "--base-url",
            emulator.url,
        ]

        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")

        def timed(history: str) -> float:
            env = dict(cached, YOUCAM_API_KEY=DEMO_API_KEY, SKINSCOPE_DATA_DIR=history)
            start = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            return time.perf_counter() - start - CLI_TASK_SECONDS - python

        timed(tempfile.mkdtemp(dir=folder))  # writes the bytecode
        new = [timed(tempfile.mkdtemp(dir=folder)) for _ in range(runs)]
        shared = tempfile.mkdtemp(dir=folder)
        timed(shared)
        again = [timed(shared) for _ in range(runs)]
    print(
        f"cli  analyze SD all concerns, checks and the run store on, T={CLI_TASK_SECONDS:g}s "
        f"I={CLI_INTERVAL:g}s, runs={runs}, bytecode cached; interpreter start {python:.3f} s"
    )
    for name, samples in (("a new photo", new), ("the same photo again", again)):
        print(
            f"  beyond task + start, {name:<21} median {_median(samples):.2f} s "
            f"(min {min(samples):.2f}, max {max(samples):.2f})  (target ≤ 0.70 s)"
        )


def bench_engine(runs: int) -> None:
    from .concerns import HD_ACTIONS
    from .demo.engine import analyze
    from .imaging.checks import check_photo
    from .imaging.photo import load_photo

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
    from .imaging.checks import check_photo
    from .imaging.photo import load_photo

    data = _photo((3000, 4000))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check_photo(load_photo(data), "hd")
        times.append(time.perf_counter() - start)
    print(f"check   12 MP JPEG (3000×4000), load + every check, runs={runs}")
    print(f"  pre-flight           median {1000 * _median(times):.0f} ms  (target ≤ 300 ms)")


def bench_live(runs: int) -> None:
    """Per-frame guidance (assess + draw) on a 640×480 webcam frame."""
    import numpy as np

    from .imaging.live import LiveState

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


def bench_overlay(runs: int) -> None:
    """Median time to composite every mask of an all-HD result at 2560 px."""
    import numpy as np

    from .concerns import HD_ACTIONS
    from .demo.engine import analyze
    from .imaging.checks import check_photo
    from .imaging.overlay import composite, decode_layers
    from .imaging.photo import load_photo

    photo = load_photo(_photo((1920, 2560)))
    output = analyze(photo, check_photo(photo, "hd").faces[0], HD_ACTIONS)
    masks = {name: data for name, data in output.masks.items() if name.endswith(".png")}
    rgb = np.asarray(photo.image)
    start = time.perf_counter()
    layers = decode_layers(masks, photo.image.size)
    decode = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        composite(rgb, layers, list(layers), {}, 0.6)
        times.append(time.perf_counter() - start)
    print(f"overlay 1920×2560, all {len(layers)} HD masks, runs={runs}")
    print(f"  decode masks (once)  {decode:.3f} s")
    print(f"  composite all masks  median {_median(times):.3f} s  (target ≤ 0.3 s)")


HISTORY_LABELS = ("trial 3", "study A", "study B", "batch 12", "trial 5", "pilot", "")
HISTORY_PHOTOS = 4
HISTORY_PEOPLE = ("ana@example.com", "otto@example.com", "mei@example.com")
"""Small photos the runs share: a run's photo is a file of its own, its bytes need not be."""


def history_runs(count: int, seed: int = 1):
    """`count` runs as a team's history holds them: each a photo, 15 SD concerns, a label,
    a date in the last year; mostly successful, some failed or not sent, a fifth live."""
    import random

    from .concerns import SD_ACTIONS, AnalysisSettings
    from .demo.engine import ui_score
    from .results import AnalysisResult
    from .store import RunRecord
    from .store.ids import photo_hash

    rng = random.Random(seed)
    photos = [_photo((96 + 8 * i, 128)) for i in range(HISTORY_PHOTOS)]
    hashes = [photo_hash(p) for p in photos]
    actions = tuple(a for a in SD_ACTIONS if a != "skin_type")
    settings = AnalysisSettings.build(actions)
    now = time.time()
    for index in range(count):
        which = rng.randrange(HISTORY_PHOTOS)
        state = rng.choices(("success", "error", "unsent"), (90, 7, 3))[0]
        result = None
        if state == "success":
            concerns = [
                {
                    "type": a,
                    "region": None,
                    "raw_score": (raw := rng.uniform(20, 95)),
                    "ui_score": ui_score(raw),
                    "mask": None,
                }
                for a in actions
            ]
            result = AnalysisResult.from_dict(
                {
                    "task_id": f"task_{index}",
                    "api_version": "v2.1",
                    "format": "json",
                    "overall": round(rng.uniform(40, 95), 1),
                    "skin_age": rng.randrange(18, 70),
                    "concerns": concerns,
                    "skin_types": [],
                }
            )
        record = RunRecord(
            settings=settings,
            backend="live" if rng.random() < 0.2 else "emulator",
            source=rng.choice(("upload", "batch", "camera", "cli")),
            created=now - rng.uniform(0, 365 * 86400),
            photo_hash=hashes[which],
            task_id=f"task_{index}" if state != "unsent" else None,
            state=state,
            result=result,
            duration=rng.uniform(2, 9) if result else None,
            units=settings.units if result else 0,
            label=rng.choice(HISTORY_LABELS),
            participant=f"P{rng.randrange(500):03d}",
            file=f"face_{which + 1:02d}.jpg",  # no draw of its own: the same runs as before
            person=HISTORY_PEOPLE[index % len(HISTORY_PEOPLE)],
            error_message="The engine found no face." if state == "error" else None,
        )
        yield record, photos[which]


def bench_history(stored: int, database_url: str | None = None) -> None:
    """History at a team's scale: a throwaway history filled with `stored` runs through the
    store's public interface (`add_runs`), then the page measured in a fresh process
    (skinapi.ui.history_bench: AppTest of app.py): opening the store, first render, reruns,
    a label filter, the last page, CSV/ZIP/HTML exports of every run, and peak memory. With
    `database_url` (or SKINSCOPE_DATABASE_URL) the history is that shared store, which must
    hold no runs: the bench never writes into a team's history."""
    import json
    import os
    import tempfile

    from .store import DATABASE_URL, RunQuery, open_store

    if database_url:
        os.environ[DATABASE_URL] = database_url
    app = Path(__file__).parent.parent / "app.py"
    if not app.is_file():
        print("bench history: needs a checkout (app.py beside the skinapi package)")
        return
    with tempfile.TemporaryDirectory(prefix="skinscope-history-bench-") as folder:
        store = open_store(Path(folder) / "runs.sqlite3")
        if store.totals(RunQuery()).runs:
            store.close()
            print("bench history: the shared store holds runs; give it an empty database")
            return
        start = time.perf_counter()
        store.add_runs(history_runs(stored))
        fill = time.perf_counter() - start
        size = store.size_on_disk()
        store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("YOUCAM_")}
        child = subprocess.run(
            [sys.executable, "-m", "skinapi.ui.history_bench", folder, str(app), "exports"],
            capture_output=True,
            text=True,
            env=env,
            cwd=app.parent,
        )
        if child.returncode:
            print(f"bench history: the measuring process failed:\n{child.stderr[-3000:]}")
            return
        f = json.loads(child.stdout.strip().splitlines()[-1])
    kept = "PostgreSQL" if os.environ.get(DATABASE_URL) else "SQLite"
    print(
        f"history {stored:,} stored runs in {kept} (15 SD concerns each, a year of dates), "
        f"filled through add_runs in {fill:.1f} s, {size / 1e6:.0f} MB on disk"
    )
    print(f"  open store + totals + first page   {1000 * f['open_s']:.0f} ms")
    print(
        f"  History first render (AppTest)     {1000 * f['first_render_s']:.0f} ms  ({f['rows_shown']} rows shown)"
    )
    print(
        f"  rerun                       median {1000 * f['rerun_s']:.0f} ms  (target ≤ {1000 if stored <= 10_000 else 1500} ms)"
    )
    print(
        f"  label filter                median {1000 * f['filter_s']:.0f} ms  ({f['filtered_rows_shown']} rows shown)"
    )
    print(f"  last page                          {1000 * f['last_page_s']:.0f} ms")
    print(f"  peak memory, History page          {f['render_peak_mb']:.0f} MB  (target ≤ 400 MB)")
    for kind in ("csv", "zip", "html"):
        print(
            f"  export {kind.upper():<4} of every run          {f[f'export_{kind}_s']:.1f} s, {f[f'export_{kind}_mb']:.1f} MB"
        )
    print(f"  peak memory after the exports      {f['export_peak_mb']:.0f} MB")
    if f["exceptions"]:
        print(f"  exceptions on the page: {f['exceptions']}")


def run(
    what: list[str],
    *,
    runs: int,
    processing_time: float,
    interval: float,
    database_url: str | None = None,
) -> int:
    for name in what:
        if name == "client":
            bench_client(runs, processing_time, interval)
        elif name == "engine":
            bench_engine(runs)
        elif name == "check":
            bench_check(runs)
        elif name == "live":
            bench_live(runs)
        elif name == "cli":
            bench_cli(runs)
        elif name == "history":
            bench_history(runs, database_url)
        elif name in APP_BENCHMARKS:
            print(
                f"bench {name}: the dashboard's benchmarks drive app.py with the test tools; "
                f"from a checkout: python -m tests.app_bench {name}"
            )
            return 2
        elif name == "overlay":
            bench_overlay(runs)
        elif name in ("batch", "plan"):
            from . import bench_batch

            (bench_batch.bench_batch if name == "batch" else bench_batch.bench_plan)(runs)
        elif name == "batch-split":
            from . import bench_batch

            bench_batch.bench_batch_split(runs, database_url)
        else:
            print(
                f"error: unknown benchmark {name!r:.40}; the benchmarks are "
                f"{', '.join(BENCHMARKS)}",
                file=sys.stderr,
            )
            return 2
    return 0

"""The batch benchmarks: a batch against the emulator's rate limits (`batch`), the same split
across two processes sharing one store (`batch-split`), and a batch's pre-flight over many
photos (`plan`)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from PIL import Image

from .imaging.photo import SAMPLE_PHOTO


def _face_variants(count: int) -> list[tuple[str, bytes]]:
    """`count` distinct photos of the sample face: a row of 8×8 black or white blocks in the
    top corner spells each one's number (a single pixel would not survive JPEG)."""
    import io

    from PIL import ImageDraw

    face = Image.open(SAMPLE_PHOTO).convert("RGB")
    photos = []
    for index in range(count):
        variant = face.copy()
        draw = ImageDraw.Draw(variant)
        for bit in range(12):
            shade = 255 if index >> bit & 1 else 0
            draw.rectangle((bit * 8, 0, bit * 8 + 7, 7), fill=(shade, shade, shade))
        buffer = io.BytesIO()
        variant.save(buffer, "JPEG", quality=92)
        photos.append((f"face-{index:04d}.jpg", buffer.getvalue()))
    return photos


def bench_batch(runs: int) -> None:
    """A batch against the emulator with its rate limits on (T = 2 s, interval 1 s): how close
    the wall time comes to the rate limits' bound, with no 429, duplicate create or expiry."""
    import tempfile

    from .client import Client
    from .concerns import AnalysisSettings, preset_actions
    from .demo import DEMO_API_KEY, Emulator, EmulatorConfig
    from .runs.batch import RateLimits, collect_photos, plan_batch, run_batch
    from .store import open_store

    settings = AnalysisSettings.build(preset_actions("eyes", "sd"))
    cases = [
        (30, RateLimits.parse("5/1,250/300"), min(runs, 3)),
        (200, RateLimits.parse("5/1,250/60"), 1),
    ]
    for count, limits, repeats in cases:
        start = time.perf_counter()
        plan = plan_batch(collect_photos(_face_variants(count)), settings)
        preflight = time.perf_counter() - start
        window = limits.longest
        config = EmulatorConfig(
            processing_time=2.0,
            polling_interval=1.0,
            send_polling_interval=True,
            starting_units=1e9,
            rate_per_second=5,
            rate_per_window=window.requests,
            rate_window=window.seconds,
        )
        rows = []
        for repeat in range(repeats):
            with Emulator(config) as emulator, tempfile.TemporaryDirectory() as folder:
                store = open_store(Path(folder) / "runs.sqlite3")
                client = Client(DEMO_API_KEY, base_url=emulator.url)
                summary = run_batch(plan, client, store, batch=f"bench-{repeat}", rate=limits)
                stats = emulator.stats()
                created = {r.photo_hash for r in store.batch_runs(f"bench-{repeat}") if r.task_id}
                store.close()
            bound = limits.bound(stats["api_requests"])
            rows.append(
                (
                    summary.wall_s,
                    stats["api_requests"],
                    stats["rate_limited"],
                    stats["creates"] - len(created),
                    stats["expired"],
                    bound,
                    bound / summary.wall_s,
                    summary.succeeded,
                )
            )
        wall, requests_, limited, duplicates, expired, bound, ratio, succeeded = (
            statistics.median([row[i] for row in rows]) for i in range(8)
        )
        print(
            f"batch   {count} photos (SD eyes), T=2 s, interval 1 s, rate {limits}, runs={repeats}"
        )
        print(f"  pre-flight           {preflight:.1f} s ({len(plan.sendable)} sendable)")
        print(f"  wall                 median {wall:.1f} s, {succeeded:.0f} succeeded")
        print(f"  requests             median {requests_:.0f} (rate-limit bound {bound:.1f} s)")
        print(f"  bound / wall         median {ratio:.2f}  (target ≥ 0.85)")
        print(
            f"  429s {limited:.0f}, duplicate creates {duplicates:.0f}, expired tasks {expired:.0f}"
            "  (target 0, 0, 0)"
        )


def bench_plan(count: int) -> None:
    """A batch's pre-flight over `count` distinct photos: in threads (how it ran before), in
    worker processes across the cores, and again with every photo's pass remembered."""
    import tempfile

    from .concerns import AnalysisSettings, preset_actions
    from .runs.batch import collect_photos, plan_batch
    from .runs.photo_judging import usable_cores
    from .store import open_store

    settings = AnalysisSettings.build(preset_actions("eyes", "sd"))
    photos = collect_photos(_face_variants(count))
    cores = usable_cores()

    def timed(**options) -> float:
        start = time.perf_counter()
        plan = plan_batch(photos, settings, **options)
        assert len(plan.sendable) == count, plan.blocked[:3]
        return time.perf_counter() - start

    threads = timed(workers=1)
    processes = timed(workers=cores)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "runs.sqlite3")
        timed(workers=cores, store=store)
        remembered = timed(workers=cores, store=store)
        store.close()
    print(f"plan  {count} distinct photos, SD, {cores} cores")
    cpu = _cpu_of_one_check(photos[0])
    print(f"  threads              {threads:.2f} s  ({1000 * threads / count:.1f} ms a photo)")
    print(f"  worker processes     {processes:.2f} s  (speed-up ×{threads / processes:.2f})")
    print(f"  passes remembered    {remembered:.2f} s  (speed-up ×{threads / remembered:.1f})")
    floor = cpu * count / cores
    print(
        f"  one check's CPU      {1000 * cpu:.1f} ms (OpenCV's own threads included): the {cores} "
        f"cores' floor is {floor:.2f} s, reached at ×{floor / processes:.2f}"
    )


def _cpu_of_one_check(photo) -> float:
    """CPU seconds (all threads) of one photo's checks, the median of five."""
    from .runs.photo_judging import judge

    raw = photo.read()
    judge(raw, "sd")
    times = []
    for _ in range(5):
        start = time.process_time()
        judge(raw, "sd")
        times.append(time.process_time() - start)
    return statistics.median(times)


SPLIT_PHOTOS = 30


def bench_batch_split(runs: int, database_url: str | None) -> None:
    """A 30-photo batch split across two `batch` processes (15 photos each, one batch name
    each) that share one store — the PostgreSQL at `database_url` (a data folder each, as two
    machines), else one SQLite data folder — against one emulator with its rate limits on
    (5/1, 250/300; T = 2 s, interval 1 s): the wall time against the rate limits' bound for
    every API request both made, and the 429s."""
    import json
    import os
    import subprocess
    import sys
    import tempfile

    from .demo import DEMO_API_KEY, Emulator, EmulatorConfig
    from .runs.batch import RateLimits

    limits = RateLimits()
    config = EmulatorConfig(
        processing_time=2.0,
        polling_interval=1.0,
        send_polling_interval=True,
        starting_units=1e9,
        rate_per_second=limits.shortest.requests,
        rate_per_window=limits.longest.requests,
        rate_window=limits.longest.seconds,
    )
    photos = _face_variants(SPLIT_PHOTOS)
    rows = []
    for repeat in range(runs):
        with Emulator(config) as emulator, tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            children = []
            start = time.perf_counter()
            for half in range(2):
                source = root / f"half-{half}"
                source.mkdir()
                for name, data in photos[half::2]:
                    (source / name).write_bytes(data)
                data_dir = root / (f"data-{half}" if database_url else "data")
                env = {k: v for k, v in os.environ.items() if not k.startswith("SKINSCOPE_")}
                env |= {"YOUCAM_API_KEY": DEMO_API_KEY, "SKINSCOPE_DATA_DIR": str(data_dir)}
                if database_url:
                    env["SKINSCOPE_DATABASE_URL"] = database_url
                argv = [
                    sys.executable,
                    "-m",
                    "skinapi",
                    "batch",
                    str(source),
                    "--yes",
                    "--base-url",
                    emulator.url,
                    "--preset",
                    "sd-eyes",
                    "--label",
                    f"split-{os.getpid()}-{repeat}-{half}",
                    "--out",
                    str(root / f"out-{half}"),
                ]
                children.append(
                    subprocess.Popen(
                        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                    )
                )
            answers = [child.communicate(timeout=900) for child in children]
            wall = time.perf_counter() - start
            stats = emulator.stats()
        summaries = []
        for child, (out, err) in zip(children, answers, strict=True):
            if child.returncode != 0:
                raise SystemExit(f"bench batch-split: a batch failed: {err.strip()[-500:]}")
            summaries.append(json.loads(out))
        batch_wall = max(s["wall_s"] for s in summaries)
        bound = limits.bound(stats["api_requests"])
        rows.append(
            (
                wall,
                batch_wall,
                bound,
                bound / batch_wall,
                stats["api_requests"],
                stats["rate_limited"],
                stats["creates"],
                sum(s["succeeded"] for s in summaries),
            )
        )
    wall, batch_wall, bound, ratio, requests_, limited, creates, succeeded = (
        statistics.median([row[i] for row in rows]) for i in range(8)
    )
    where = "PostgreSQL (a data folder each)" if database_url else "SQLite (one data folder)"
    print(f"batch-split  {SPLIT_PHOTOS} photos (SD eyes) in two processes of 15, one {where}")
    print(f"  emulator             T=2 s, interval 1 s, rate {limits}, runs={runs}")
    print(f"  wall (processes)     median {wall:.1f} s (start-up and pre-flight included)")
    print(f"  wall (batches)       median {batch_wall:.1f} s, {succeeded:.0f} succeeded")
    print(f"  requests             median {requests_:.0f} (rate-limit bound {bound:.1f} s)")
    print(f"  bound / batch wall   median {ratio:.2f}  (target ≥ 0.85)")
    print(f"  429s {limited:.0f}, creates {creates:.0f}  (target 0, {SPLIT_PHOTOS})")
    for index, row in enumerate(rows):
        print(f"    run {index + 1}: wall {row[1]:.1f} s, ratio {row[3]:.2f}, 429s {row[5]}")

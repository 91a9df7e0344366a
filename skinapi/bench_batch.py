"""The batch benchmarks: a batch against the emulator's rate limits (`batch`), and a batch's
pre-flight over many photos (`plan`)."""

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
    print(f"  threads (before)     {threads:.2f} s  ({1000 * threads / count:.1f} ms a photo)")
    print(f"  worker processes     {processes:.2f} s  (speed-up ×{threads / processes:.2f})")
    print(f"  passes remembered    {remembered:.2f} s  (speed-up ×{threads / remembered:.1f})")

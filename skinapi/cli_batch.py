"""`python -m skinapi batch INPUT`: a folder or ZIP of photos at the rate limit's full speed.

Pre-flights every photo, prints the plan and its cost on stderr, asks (or takes --yes), then runs
the batch (skinapi.runs.batch) with a progress bar on stderr, writes results.csv under --out and prints
one JSON summary on stdout. Re-running the same command resumes: what succeeded is not sent
again, tasks in flight are polled again. Exit codes: 0 every photo succeeded; 2 bad usage or
nothing to send; 3 the API refused; 4 the engine refused photos; 5 some failed transiently (run
it again to resume).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .backends import EMULATOR, LIVE
from .cli_common import cli_person
from .cli_common import say as _say
from .cli_types import rate_limits, units
from .concerns import AnalysisSettings
from .errors import RequestValidationError
from .names import one_line, write_inside
from .runs.budget import RateLimits

if TYPE_CHECKING:
    from .client import Client

SHOWN_BLOCKED = 20


def add_parser(commands, add_task_options: Callable[[argparse.ArgumentParser], None]) -> None:
    batch = commands.add_parser(
        "batch", help="analyse a folder or ZIP of photos at the rate limit's full speed"
    )
    batch.add_argument("input", type=Path, help="a folder (read recursively) or a ZIP of photos")
    add_task_options(batch)
    batch.add_argument("--out", type=Path, default=Path("."), help="folder for results.csv")
    batch.add_argument("--meta", type=Path, metavar="CSV", help="a 'file' column and any others")
    batch.add_argument(
        "--label", help="the batch's name (default: the input's); the same name resumes it"
    )
    batch.add_argument(
        "--max-units", type=units, metavar="N", help="refuse if the batch may cost more"
    )
    batch.add_argument(
        "--rate",
        type=rate_limits,
        default=RateLimits(),
        metavar="R/S,N/WINDOW_S",
        help="the API's rate limits (default 5/1,250/300)",
    )
    batch.add_argument("--yes", action="store_true", help="do not ask before spending units")


def run(
    args,
    settings: AnalysisSettings,
    open_client: Callable[[ExitStack], Client],
    check_out: Callable[[Path], None],
) -> int:
    from .presentation.exports import batch_results_csv  # composites overlays: loads OpenCV
    from .runs.batch import (
        BatchSummary,
        collect_photos,
        plan_batch,
        read_meta,
        run_batch,
        standing_of,
    )
    from .store import open_store

    label = one_line(args.label if args.label is not None else _label_of(args.input), 80)
    if not label:
        raise RequestValidationError(["--label needs a name."])
    meta = read_meta(args.meta) if args.meta else None
    photos = collect_photos(args.input)
    check_out(args.out)
    store = open_store()
    backend = EMULATOR if args.demo else LIVE
    plan = plan_batch(photos, settings, meta, on_checked=_Checking(), store=store)
    if not plan.sendable:
        empty = BatchSummary(label, plan.photos, plan.blocked, plan.skipped, 0, [], 0, 0, 0, 0, 0.0)
        print(json.dumps(empty.to_dict(), indent=2))
        _print_blocked(plan)
        why = (
            "each photo's reason is above"
            if plan.blocked
            else "it holds no JPG or PNG photo (hidden files and folders are not read)"
        )
        raise RequestValidationError([f"No photo of {args.input} can be sent: {why}."])
    url = None if args.demo else args.base_url  # the embedded emulator's port is new each time
    standing = standing_of(plan, store, batch=label, backend=backend, base_url=url or "")
    _print_plan(args, plan, standing, label)
    person = cli_person()
    _print_cap(store, person, plan.settings.units, len(standing.to_create))
    if args.max_units is not None and standing.units > args.max_units:
        raise RequestValidationError(
            [f"The batch may spend {standing.units} units, more than --max-units {args.max_units}."]
        )
    if standing.units and not (args.yes or args.demo) and not _confirmed(standing.units):
        _say("nothing was sent")
        return 0
    stop = threading.Event()
    with ExitStack() as stack, _stopped_by_ctrl_c(stop):
        client = open_client(stack)
        summary = run_batch(
            plan,
            client,
            store,
            batch=label,
            backend=backend,
            rate=args.rate,
            on_progress=_Bar(),
            stop=stop,
            timeout=args.timeout,
            person=person,
        )
    try:
        csv_path = write_inside(
            args.out,
            "results.csv",
            batch_results_csv(plan, store, batch=label, backend=backend, base_url=client.base_url),
        )
        _say(f"results: {csv_path}")
    except (OSError, ValueError) as exc:
        _say(f"warning: results.csv not written under {args.out} ({exc}); the summary follows")
    print(json.dumps(summary.to_dict(), indent=2))
    sendable = len(plan.sendable)
    if summary.exit_code:
        unsent = sum(not f.sent for f in summary.failed)
        said = f" ({unsent} not sent)" if unsent else ""
        again = " Run the same command again to carry on." if summary.exit_code == 5 else ""
        _say(
            f"error: {len(summary.failed)} of {_count(sendable, 'photo')} did not succeed{said}: "
            f"see 'failed'.{again}"
        )
    else:
        _say(f"done: {summary.succeeded} of {sendable} photos succeeded")
    return summary.exit_code


def _label_of(path: Path) -> str:
    resolved = path.resolve()
    name = resolved.stem if resolved.suffix.lower() == ".zip" else resolved.name
    return name or "batch"


def _print_plan(args, plan, standing, label: str) -> None:
    skipped = f"; {_count(len(plan.skipped), 'file')} left out (not photos)" if plan.skipped else ""
    _say(
        f"plan: {_count(plan.photos, 'photo')} in {args.input}: {len(plan.sendable)} to send, "
        f"{len(plan.blocked)} blocked{skipped}"
    )
    _print_blocked(plan)
    if plan.unmatched_meta:
        shown = ", ".join(plan.unmatched_meta[:3])
        more = "…" if len(plan.unmatched_meta) > 3 else ""
        _say(f"warning: the meta CSV names files not in the input: {shown}{more}")
    earlier = [
        (len(standing.succeeded), "succeeded"),
        (len(standing.in_flight), "in flight (polled again)"),
        (len(standing.lost), "may have been created with no answer (not sent again)"),
    ]
    if any(count for count, _ in earlier):
        said = ", ".join(f"{count} {what}" for count, what in earlier if count)
        _say(f"batch {label!r} has run before: {said}")
    new = len(standing.to_create)
    _say(
        f"cost: {_count(new, 'new task')} + {len(standing.in_flight)} in flight × "
        f"{plan.settings.units} "
        f"units = up to {standing.units} units (spent on success only); rate {args.rate}"
    )


def _print_blocked(plan) -> None:
    for blocked in plan.blocked[:SHOWN_BLOCKED]:
        _say(f"blocked: {blocked.file}: {' '.join(blocked.reasons)}")
    if len(plan.blocked) > SHOWN_BLOCKED:
        _say(f"blocked: … and {len(plan.blocked) - SHOWN_BLOCKED} more (listed in the summary)")


def _print_cap(store, person: str, units_each: int, new: int) -> None:
    """What today's caps leave (run_batch sends no more photos than fit)."""
    from .runs import spend

    for problem in spend.cap_problems():
        _say(f"warning: {problem}")
    room = spend.allowance(store, person)
    if room is not None:
        fit = min(room.left // max(units_each, 1), new)
        _say(
            f"cap: {room.left} of {room.limit} units left today ({room.cap} cap, as {person}): "
            f"{fit} of {new} new photos fit" + ("" if fit == new else "; the rest are not sent")
        )


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


def _confirmed(units_: int) -> bool:
    if not sys.stdin.isatty():
        raise RequestValidationError(
            ["The batch asks before spending units; pass --yes to run it without asking."]
        )
    return input(f"Spend up to {units_} units? [y/N] ").strip().lower() in ("y", "yes")


@contextmanager
def _stopped_by_ctrl_c(stop: threading.Event):
    """The first Ctrl-C stops sending and polls the tasks in flight to their end; the second
    quits at once (what was created is resumed by the next run)."""

    def first(signum, frame):
        stop.set()
        _say("stopping: no new task; the tasks in flight are polled to their end (Ctrl-C quits)")
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Checking:
    """The pre-flight's count on stderr: redrawn on a terminal, once at the end elsewhere."""

    def __call__(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rchecking photos {done}/{total}", end="", file=sys.stderr, flush=True)
            if done == total:
                print(file=sys.stderr)
        elif done == total:
            _say(f"checked {_count(total, 'photo')}")


class _Bar:
    """A progress bar with ETA on stderr: redrawn on a terminal, a line every 10 s elsewhere."""

    WIDTH = 24

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.printed = 0.0
        self.ended = False

    def __call__(self, p) -> None:
        finished = p.done + p.failed + p.not_sent
        if self.ended:
            return
        self.ended = finished == p.total and not p.running
        filled = int(self.WIDTH * finished / p.total) if p.total else self.WIDTH
        eta = f"{int(p.eta) // 60}:{int(p.eta) % 60:02d}"
        line = (
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {p.done}/{p.total} done · "
            f"{p.running} running · {p.failed} failed · "
            + (f"{p.not_sent} not sent · " if p.not_sent else "")
            + f"{p.queued} queued · "
            f"{p.requests_left_in_window} requests left in the window · ETA {eta}"
        )
        if self.tty:
            print(f"\r{line}\x1b[K", end="\n" if self.ended else "", file=sys.stderr, flush=True)
        elif self.ended or time.monotonic() - self.printed >= 10:
            self.printed = time.monotonic()
            _say(line)

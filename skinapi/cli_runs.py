"""The CLI's run commands: `analyze` a photo, `resume` a task, list the stored `runs`. Each run
goes through the run lifecycle (skinapi.runs.lifecycle), like a run started in the app."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from .backends import BACKENDS, EMULATOR, LIVE
from .cli_common import (
    check_out,
    cli_person,
    client_from,
    emit,
    open_run_store,
    print_progress,
    read_photo,
    say,
    settings_from,
)
from .errors import (
    InvalidTaskIdError,
    PhotoError,
    RequestValidationError,
    SkinApiError,
)
from .names import is_task_id, one_line
from .progress import Progress

GLOSSARY_STATES = ("unsent", "unconfirmed", "running", "success", "failed", "expired")
"""The states `runs` shows (README's glossary); the store's finer ones map onto them."""
_GLOSSARY_STATE = {
    "pending": "unsent",
    "sending": "unconfirmed",
    "stalled": "running",
    "error": "failed",
}


def add_parsers(commands, add_task_options: Callable[..., None]) -> None:
    resume = commands.add_parser(
        "resume",
        help="carry on with a task created earlier (the run store knows its settings and URL)",
    )
    resume.add_argument("task_id", help="the whole task id, as `runs` prints it")
    add_task_options(resume, required=False, base_url_default=None)
    resume.add_argument("--out", type=Path)

    runs = commands.add_parser("runs", help="list the stored runs (a table, or --json)")
    runs.add_argument("--json", action="store_true", help="one JSON object per line and run")
    runs.add_argument("--state", choices=GLOSSARY_STATES)
    runs.add_argument("--label", help="runs whose label contains this text")
    runs.add_argument("--since", type=_day, help="runs from this day on (YYYY-MM-DD)")
    runs.add_argument("--backend", choices=BACKENDS)
    runs.add_argument("--limit", type=_how_many, default=None, help="the newest N runs only")


def analyze(args) -> int:
    settings = settings_from(args)
    data = read_photo(args.image)
    check_out(args.out)
    with ExitStack() as stack:
        store = None if args.no_history else open_run_store()
        if store is not None:
            stack.callback(store.close)
        checking = (
            None if args.skip_checks else _PhotoChecks(args.image, data, settings.quality, store)
        )
        from .runs.lifecycle import Run, run_analysis  # requests loads while faces are searched

        if checking is not None:
            data = checking.bytes_to_send()

        say(f"{len(settings.actions)} concerns, {settings.units} units on success")
        from .runs.spend import cap_problems

        for problem in cap_problems():
            say(f"warning: {problem}")
        client = client_from(args, stack)
        run = Run(
            key="cli",
            photo=data,
            file=args.image.name,
            source="cli",
            settings=settings,
            backend=EMULATOR if args.demo else LIVE,
            person=cli_person(),
        )

        def progress(p: Progress) -> None:
            if p.phase == "waiting" and not p.polls and p.task_id:
                say(f"task {p.task_id} created")
            print_progress(p)

        try:
            outcome = run_analysis(run, client, store, on_progress=progress, timeout=args.timeout)
        except KeyboardInterrupt:
            _say_where_it_stopped(run)
            raise
    if outcome.elsewhere:
        raise SkinApiError(
            "This photo is being analysed with the same settings by another window or process "
            f"right now, still after {args.timeout:g} s; nothing was sent",
            hint="Its result will be in History (python -m skinapi runs) when it ends.",
        )
    if outcome.adopted:
        say(
            f"the same analysis of this photo ran elsewhere at the same moment (task "
            f"{run.task_id}): its stored result follows; nothing was sent or billed here"
        )
    return _finish(run, outcome, args.out)


def _say_where_it_stopped(run) -> None:
    """Ctrl-C: what was spent, if anything, and how to carry on."""
    if run.task_id:
        say(
            f"stopped: task {run.task_id} was created and runs on; "
            f"`python -m skinapi resume {run.task_id}` fetches its result"
        )
    elif run.state == "sending":
        say(
            "stopped while the create was out: it may have been created and billed; "
            "`python -m skinapi runs --state unconfirmed` lists it"
        )
    else:
        say("stopped before anything was sent")


class _PhotoChecks:
    """The photo's pre-flight for `analyze`: remembered from an earlier pass of the same bytes,
    or checked on a thread (CheckAhead) while the caller loads what it sends with."""

    def __init__(self, image: Path, data: bytes, quality: str, store):
        from .runs.photo_check import CheckAhead
        from .runs.photo_verdicts import passed_before
        from .store.ids import photo_hash

        self._image, self._data, self._quality, self._store = image, data, quality, store
        self._digest = photo_hash(data)
        self._warnings = passed_before(store, self._digest, quality)
        self._ahead = None if self._warnings is not None else CheckAhead(data, quality)

    def bytes_to_send(self) -> bytes:
        """The bytes to send once the photo passed its checks (or passed them before); raises
        PhotoError, naming the fix, when the checks block it."""
        from .runs.photo_verdicts import remember_pass

        data, warnings = self._data, self._warnings
        if self._ahead is not None:
            verdict = self._ahead.verdict()
            if verdict.blocking:
                image, quality = self._image, self._quality
                fixes = (
                    f" Fix with: python -m skinapi check {image} --quality {quality} --fix OUT."
                    if verdict.fixable
                    else ""
                )
                raise PhotoError(
                    f"The photo would be refused: {' '.join(verdict.blocking)}{fixes}",
                    hint="Nothing was sent; --skip-checks sends anyway.",
                )
            warnings = list(verdict.warnings)
            if verdict.upload is None:  # sent as it is: the same bytes need no second look
                remember_pass(self._store, self._digest, self._quality, warnings)
            else:
                data = verdict.upload
        for warning in warnings:
            say(f"warning: {warning}")
        return data


def resume(args) -> int:
    """Poll a task to its end. A task in the history goes to the URL it was sent to, with the
    settings it was created with, under its lease; one the history does not know needs
    --actions or --preset."""
    if not is_task_id(args.task_id):
        raise RequestValidationError([f"{args.task_id!r:.60} is not a task id."])
    check_out(args.out)
    from .runs.lifecycle import Run, run_analysis, run_from_store

    store = open_run_store()
    stored = store.by_task(args.task_id) if store is not None else None
    if stored is None:
        if not (args.actions or args.preset):
            raise RequestValidationError(
                [
                    f"Task {args.task_id} is not in the run store: name its concerns with "
                    "--actions or --preset."
                ]
            )
        settings = settings_from(args)
        backend = EMULATOR if args.demo else LIVE
        run = Run(
            key="cli",
            photo=b"",
            file="photo.jpg",
            source="cli",
            settings=settings,
            backend=backend,
            task_id=args.task_id,
            person=cli_person(),
        )
        url, store = None, None
    else:
        url = stored.base_url or None
        if url and args.base_url and args.base_url.rstrip("/") != url.rstrip("/"):
            raise RequestValidationError(
                [
                    f"Task {args.task_id} was sent to {url}, not {args.base_url}: a task is known "
                    "only where it was created. Resume it without --base-url (nothing was polled; "
                    "the run stays resumable)."
                ]
            )
        run = run_from_store(store, stored)
        if stored.state == "success":
            say(f"task {args.task_id} already succeeded; its stored result follows")
            return _finish(run, None, args.out)
    with ExitStack() as stack:
        if url:
            args.base_url = url
        elif not args.base_url:
            from .client import DEFAULT_BASE_URL

            args.base_url = os.environ.get("YOUCAM_BASE_URL", DEFAULT_BASE_URL)
        client = client_from(args, stack)
        outcome = run_analysis(run, client, store, on_progress=print_progress, timeout=args.timeout)
    if outcome.elsewhere:
        raise SkinApiError(
            f"Task {args.task_id} is being followed by another window or process right now; "
            "nothing was polled",
            hint="Its result will be in History (python -m skinapi runs) when it ends.",
            task_id=args.task_id,
        )
    return _finish(run, outcome, args.out)


def _finish(run, outcome, out: Path | None) -> int:
    if run.not_saved:
        say(f"warning: not recorded in the run store ({run.not_saved})")
    if outcome is not None and outcome.exception is not None:
        exc = outcome.exception
        if run.task_id and not exc.task_id:
            exc.task_id = run.task_id
        # A task the API no longer knows answers the same to a resume. (A TaskTimeout may
        # pass: the API's words are "Task execution timed out" on a poll; it stays resumable.)
        if run.task_id and exc.exit_code == 5 and not isinstance(exc, InvalidTaskIdError):
            exc.hint = f"{exc.hint} Resume with: python -m skinapi resume {run.task_id}".strip()
        raise exc
    emit(run.result, out)
    return 0


def list_runs(args) -> int:
    store = open_run_store("there are no runs to list")
    if store is None:
        return 2
    from .store import RunQuery
    from .store.states import STATE_LABELS

    states = tuple(s for s in STATE_LABELS if _GLOSSARY_STATE.get(s, s) == args.state)
    query = RunQuery(
        since=args.since.timestamp() if args.since else None,
        label=args.label or "",
        backends=(args.backend,) if args.backend else (),
        states=states if args.state else (),
        limit=args.limit or None,
    )
    rows = []
    for run in store.iterate(query) if query.limit is None else store.query(query).runs:
        state = _GLOSSARY_STATE.get(run.state, run.state)
        row = {
            "run_id": run.id,
            "task_id": run.task_id,
            "state": state,
            "store_state": run.state,
            "base_url": run.base_url or None,
            "backend": run.backend,
            "created_at": datetime.fromtimestamp(run.created)
            .astimezone()
            .isoformat(timespec="seconds"),
            "label": run.label,
            "photo": run.file or None,
            "quality": run.quality.upper(),
            "api_version": run.api_version,
            "units": run.units,
            "source": run.source,
            "participant": run.participant or None,
            "visit": run.visit or None,
            "batch": run.batch or None,
            "overall": run.overall,
        }
        rows.append(row)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        _print_table(rows)
    if left_out := store.unreadable:
        named = ", ".join(left_out[:5]) + (
            f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
        )
        say(f"warning: {len(left_out)} stored run(s) matching are damaged and left out: {named}")
    return 0


_TABLE = (
    ("created_at", 19),
    ("state", 11),
    ("backend", 8),
    ("quality", 7),
    ("api_version", 11),
    ("units", 5),
    ("label", 20),
    ("photo", 20),
    ("task_id", None),
)
"""Columns and their widths; the task id last and whole, as `resume` needs it (cut to 24
characters, it was copied into `resume` and named a task the run store did not know)."""


def _print_table(rows: list[dict]) -> None:
    def cell(value, width: int | None) -> str:
        text = "" if value is None else str(value)
        return one_line(text) if width is None else one_line(text, width).ljust(width)

    print("  ".join(cell(name, width) for name, width in _TABLE).rstrip())
    for row in rows:
        values = dict(row, created_at=row["created_at"][:19].replace("T", " "))
        print("  ".join(cell(values[name], width) for name, width in _TABLE).rstrip())
    print(f"{len(rows)} run{'' if len(rows) == 1 else 's'}", file=sys.stderr)


def _day(text: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
        day.timestamp()  # a day a run's time can be compared with
    except (ValueError, OverflowError, OSError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-12-31") from None
    return day


def _how_many(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 1_000_000_000:
        raise argparse.ArgumentTypeError(f"{text!r:.30} is not a number of runs from 1 up")
    return number

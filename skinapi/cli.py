"""`python -m skinapi`: analyse a photo or a batch of them, check one, run the emulator, or
benchmark.

Exit codes: 0 success; 2 bad usage or input (nothing sent); 3 the API refused; 4 the engine
failed the task; 5 transient or timed out (the message names the task_id to resume).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from contextlib import ExitStack
from pathlib import Path

from . import cli_batch, cli_runs, cli_store
from .backends import DEFAULT_BASE_URL
from .cli_common import (
    api_key_of,
    check_out,
    client_from,
    default_base_url,
    read_photo,
    say,
    settings_from,
)
from .cli_types import count as _count
from .cli_types import non_negative as _non_negative
from .cli_types import port as _port
from .cli_types import seconds as _seconds
from .cli_types import share as _share
from .concerns import PRESETS, AnalysisSettings
from .errors import InputError, PhotoError, RequestValidationError, SkinApiError


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        # No abbreviations: `--pre` for --preset would break when an option --pre… is added.
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):  # exit 2 with one line, like every other input error
        raise _UsageError(f"{message} (`{self.prog} --help` lists what it takes)")


def build_parser() -> argparse.ArgumentParser:
    summary, exits = (" ".join(part.split()) for part in __doc__.split("\n\n")[:2])
    parser = _Parser(
        prog="python -m skinapi", description=summary.split(": ", 1)[1].capitalize(), epilog=exits
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    analyze = commands.add_parser("analyze", aliases=["analyse"], help="analyse a photo end to end")
    analyze.add_argument("image", type=Path, help="the photo: JPG or PNG under 10 MB")
    _add_task_options(analyze)
    analyze.add_argument(
        "--skip-checks", action="store_true", help="send even if pre-flight blocks"
    )
    analyze.add_argument(
        "--out", type=Path, help="folder to save the masks in (under OUT/TASK_ID/)"
    )
    analyze.add_argument(
        "--no-history", action="store_true", help="do not record the run in the run store"
    )

    cli_batch.add_parser(commands, _add_task_options)

    cli_runs.add_parsers(commands, _add_task_options)
    cli_store.add_parser(commands)

    check = commands.add_parser("check", help="pre-flight a photo; print the report as JSON")
    check.add_argument("image", type=Path)
    check.add_argument("--quality", choices=("sd", "hd"), default="sd")
    # The old name, still read, no longer offered: the glossary's word is quality.
    check.add_argument(
        "--mode",
        dest="quality",
        choices=("sd", "hd"),
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )
    check.add_argument("--fix", type=Path, metavar="OUT", help="write the fixed photo here")

    emulator = commands.add_parser("emulator", help="run the YouCam-compatible emulator")
    emulator.add_argument("--port", type=_port, default=8765)
    emulator.add_argument("--processing-time", type=_non_negative)
    emulator.add_argument("--polling-interval", type=_seconds)
    emulator.add_argument("--latency", type=_non_negative)
    emulator.add_argument("--fault-429-rate", type=_share)
    emulator.add_argument("--fault-task-timeout", action="store_true", default=None)
    emulator.add_argument("--fault-engine-error")
    emulator.add_argument("--fault-drop-rate", type=_share)
    emulator.add_argument("--fault-502-rate", type=_share)
    emulator.add_argument(
        "--any-key",
        action="store_true",
        default=None,
        help="accept any non-empty bearer key (each with its own units), not only the demo key",
    )

    balance = commands.add_parser("balance", help="print the unit balance as JSON")
    _add_connection_options(balance)

    probe = commands.add_parser(
        "probe", help="check a key against the real API and record its answers (free by default)"
    )
    _add_connection_options(probe)
    probe.add_argument("--spend-units", action="store_true", help="also run one cheapest SD task")
    probe.add_argument("--yes", action="store_true", help="do not ask before spending units")
    probe.add_argument("--out", type=Path, default=Path("."), help="where the capture goes")

    bench = commands.add_parser("bench", help="print performance figures")
    bench.add_argument(
        "what",
        nargs="*",
        default=["client", "cli", "engine", "check", "overlay", "live"],
    )
    bench.add_argument("--runs", type=_count, default=7)
    bench.add_argument("--processing-time", type=_non_negative, default=1.0)
    bench.add_argument("--interval", type=_seconds, default=0.25)
    bench.add_argument(
        "--database-url",
        help="bench history: fill this empty PostgreSQL instead of a SQLite file; bench "
        "batch-split: the PostgreSQL both processes share",
    )
    return parser


def _add_task_options(
    parser: argparse.ArgumentParser, *, required: bool = True, base_url_default: str | None = ""
) -> None:
    """The options that make a task's settings and its connection; `base_url_default` None
    leaves --base-url unset unless given (resume goes to a stored run's own URL)."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--actions", help="comma-separated concerns, e.g. redness,hd_pore")
    group.add_argument(
        "--preset",
        help="sd- or hd- then a preset: "
        + ", ".join(f"sd-{name}" for name in PRESETS)
        + " (hd- alike)",
    )
    parser.add_argument(
        "--format", choices=("json", "zip"), default="json", help="how the API returns the result"
    )
    parser.add_argument(
        "--api-version", choices=("v2.1", "v2.0"), default="v2.1", help="the API's task version"
    )
    parser.add_argument("--overlay", action="store_true", help="masks blended onto the photo")
    parser.add_argument("--camera-kit", action="store_true", help="pf_camera_kit=true (v2.1)")
    _add_connection_options(parser, base_url_default)
    parser.add_argument(
        "--timeout", type=_seconds, default=300.0, help="seconds the whole analysis may take"
    )


def _add_connection_options(parser: argparse.ArgumentParser, base_url: str | None = "") -> None:
    default = default_base_url() if base_url == "" else base_url
    parser.add_argument(
        "--base-url",
        default=default,
        help="the API's address (default: $YOUCAM_BASE_URL, else " + DEFAULT_BASE_URL + ")"
        if base_url == ""
        else "another address than the run's own (refused for a run the store knows)",
    )
    parser.add_argument("--api-key", help="defaults to $YOUCAM_API_KEY")
    parser.add_argument("--demo", action="store_true", help="use the embedded emulator, no key")
    if not parser.get_default("api_version"):
        parser.set_defaults(api_version="v2.1")


def main(argv: list[str] | None = None) -> int:
    # Before any thread starts: the photo check's `catch_warnings` on its thread swaps the
    # process's filters while requests loads on this one, and the filter requests sets for
    # this notice (we never use SOCKS) was lost, printing it on stderr (seen once in CI).
    warnings.filterwarnings("ignore", message="SOCKS support in urllib3")
    try:
        parser = build_parser()
        argv = sys.argv[1:] if argv is None else argv
        if unknown := _unknown_option(parser, argv):
            raise _UsageError(unknown)
        args = parser.parse_args(argv)
        return _COMMANDS[args.command](args)
    except _UsageError as exc:
        say(f"error: {exc}")
        return 2
    except SkinApiError as exc:
        say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except Exception as exc:  # a bug of ours: still one line, never a traceback or the key
        say(f"error: unexpected {type(exc).__name__}: {exc}. Please report it.")
        return 1


def _unknown_option(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """An option the command does not take, named (with the nearest it does take) before
    anything else: argparse first said "one of --actions --preset is required" for --presets."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command = next((a for a in argv if not a.startswith("-")), None)
    chosen = commands.choices.get(command) if command else None
    while chosen is not None:  # `store copy`: the innermost command's options
        inner = [a for a in chosen._actions if isinstance(a, argparse._SubParsersAction)]
        after = argv[argv.index(command) + 1 :] if command in argv else []
        command = next((a for a in after if not a.startswith("-")), None)
        if not inner or command not in inner[0].choices:
            break
        chosen = inner[0].choices[command]
    known = set((chosen or parser)._option_string_actions)
    for token in argv:
        if token == "--":
            break
        name = token.split("=", 1)[0]
        if name.startswith("--") and name not in known:
            import difflib  # only for a mistake: every command runs this check

            near = difflib.get_close_matches(name, sorted(known), n=1)
            return f"unknown option {name}" + (f" (did you mean {near[0]}?)" if near else "")
    return None


def _check(args) -> int:
    from .imaging.checks import check_photo
    from .imaging.photo import FIX_LABELS, apply_fixes, load_photo

    if args.fix and _same_file(args.fix, args.image):
        raise InputError(
            f"--fix {args.fix} is the photo itself: give another path, e.g. fixed.jpg."
        )
    data = read_photo(args.image)
    try:
        photo = load_photo(data)
    except PhotoError as exc:
        print(
            json.dumps(
                {"quality": args.quality, "ok": False, "readable": False, "error": str(exc)},
                indent=2,
            )
        )
        return 2
    report = check_photo(photo, args.quality)
    output = report.to_dict() | {"readable": True, "size": list(photo.size)}
    if args.fix and not report.fixes:  # a copy of a photo that still fails is no fix
        say(f"no fix applies to this photo: {args.fix} was not written")
        output["fixed"] = {"path": None, "applied": [], "ok": report.ok}
    elif args.fix:
        fixed = apply_fixes(photo, report.fixes, args.quality)
        try:
            args.fix.write_bytes(fixed.data)
        except OSError as exc:
            raise PhotoError(
                f"Cannot write the fixed photo to {args.fix}: {exc.strerror or exc}",
                hint="Give a file path in a folder you can write, e.g. fixed.jpg.",
            ) from None
        after = check_photo(fixed, args.quality)
        output["fixed"] = {
            "path": str(args.fix),
            "applied": [FIX_LABELS[f] for f in report.fixes],
            "size": list(fixed.size),
            "ok": after.ok,
            "checks": after.to_dict()["checks"],
        }
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0 if report.ok or (args.fix and output["fixed"]["ok"]) else 2


def _same_file(one: Path, other: Path) -> bool:
    """Whether writing `one` would overwrite `other` (the same file by another name too)."""
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except OSError:  # `one` does not exist yet: it is not the photo
        return False


def _emulator(args) -> int:
    from .demo import DEMO_API_KEY, Emulator, EmulatorConfig

    overrides = {
        name: value
        for name in (
            "processing_time",
            "polling_interval",
            "latency",
            "fault_429_rate",
            "fault_task_timeout",
            "fault_engine_error",
            "fault_drop_rate",
            "fault_502_rate",
            "any_key",
        )
        if (value := getattr(args, name)) is not None
    }
    try:
        config = EmulatorConfig.from_env(**overrides)
    except ValueError as exc:
        raise InputError(f"{exc}.") from None
    try:
        emulator = Emulator(config, port=args.port).start()
    except OSError as exc:
        raise InputError(
            f"The emulator cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})."
        ) from None
    keys = f"any non-empty key, or {DEMO_API_KEY}" if config.any_key else DEMO_API_KEY
    print(f"YouCam emulator on {emulator.url} — key: {keys}", flush=True)
    print(
        f"try: YOUCAM_API_KEY={DEMO_API_KEY} python -m skinapi analyze PHOTO --preset sd-all --base-url {emulator.url}",
        flush=True,
    )
    try:
        import time

        while True:
            time.sleep(3600)
    finally:
        emulator.stop()


def _balance(args) -> int:
    with ExitStack() as stack:
        client = client_from(args, stack)
        balance = client.credit_balance()
    source = "demo" if args.demo else ("--api-key" if args.api_key else "YOUCAM_API_KEY")
    print(json.dumps({"balance": balance, "source": source, "base_url": client.base_url}))
    return 0


def _probe(args) -> int:
    from .imaging.photo import sample_jpeg
    from .probe import CHEAPEST, run_probe

    check_out(args.out)
    spend = args.spend_units
    if spend and not args.demo:
        api_key_of(args)  # no key is said before asking to spend, not after
    if spend:
        settings = AnalysisSettings.build(CHEAPEST)
        say(f"one SD task with {len(CHEAPEST)} concern costs {settings.units} units on success")
        if not args.yes:
            if not sys.stdin.isatty():
                raise RequestValidationError(
                    ["--spend-units asks before spending; give --yes to run without asking."]
                )
            if input(f"Spend {settings.units} units? [y/N] ").strip().lower() not in ("y", "yes"):
                say("nothing was spent")
                spend = False
    with ExitStack() as stack:
        client = client_from(args, stack)
        report = run_probe(client, args.out, spend=spend, photo=sample_jpeg() if spend else None)
    print(json.dumps(report, indent=2))
    if report.get("error"):
        say(f"error: {report['error']}")
        return report["exit_code"]
    return 0


def _batch(args) -> int:
    settings = settings_from(args)
    return cli_batch.run(args, settings, lambda stack: client_from(args, stack), check_out)


def _bench(args) -> int:
    from . import bench

    return bench.run(
        args.what,
        runs=args.runs,
        processing_time=args.processing_time,
        interval=args.interval,
        database_url=args.database_url,
    )


_COMMANDS = {
    "store": cli_store.store_command,
    "analyze": cli_runs.analyze,
    "analyse": cli_runs.analyze,
    "batch": _batch,
    "resume": cli_runs.resume,
    "runs": cli_runs.list_runs,
    "check": _check,
    "emulator": _emulator,
    "balance": _balance,
    "probe": _probe,
    "bench": _bench,
}

"""What the CLI's commands share: one-line messages, the settings and client from the options,
progress lines, the run store, reading a photo, and printing a result."""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from .backends import DEFAULT_BASE_URL
from .concerns import AnalysisSettings, preset_actions
from .errors import InputError, PhotoError, RequestValidationError, StoreError
from .local_files import read_capped
from .names import one_line, write_inside
from .progress import Progress
from .results import mask_file_name

if TYPE_CHECKING:
    from .client import Client


def say(message: str) -> None:
    """One line on stderr, whatever a server put in the text: no control characters."""
    print(one_line(message, 600), file=sys.stderr, flush=True)


def cli_person() -> str:
    """Who runs a command, as its runs and the audit trail record it: ``local:<OS user>``."""
    try:
        import getpass

        user = getpass.getuser()
    except (ImportError, KeyError, OSError):  # no user name in the environment or passwd
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"local:{one_line(user, 80)}"


def settings_from(args) -> AnalysisSettings:
    if args.preset is not None:
        quality, _, preset = args.preset.lower().partition("-")
        if quality not in ("sd", "hd") or not preset:
            raise RequestValidationError(
                [f"--preset takes QUALITY-PRESET such as sd-all, not {args.preset!r}."]
            )
        actions = preset_actions(preset, quality)  # type: ignore[arg-type]
    else:
        actions = tuple(a.strip() for a in args.actions.split(",") if a.strip())
    miniserver_args = {"enable_mask_overlay": True} if args.overlay else None
    return AnalysisSettings.build(
        actions,
        format=args.format,
        api_version=args.api_version,
        miniserver_args=miniserver_args,
        pf_camera_kit=True if args.camera_kit else None,
    )


def default_base_url() -> str:
    """Where a command sends without --base-url: $YOUCAM_BASE_URL, else YouCam's."""
    return os.environ.get("YOUCAM_BASE_URL", DEFAULT_BASE_URL)


def client_from(args, stack: ExitStack, *, base_url: str | None = None) -> Client:
    """The client the options name; `base_url` (a stored run's own) wins over --base-url."""
    from .client import Client  # requests loads once a command talks to an API

    if args.demo:
        from .demo import DEMO_API_KEY, Emulator

        given = [
            option
            for option, value, default in (
                ("--api-key", args.api_key, None),
                ("--base-url", args.base_url, default_base_url()),
            )
            if value not in (None, default)
        ]
        if given:  # a run the user meant for one place must not quietly go to another
            raise InputError(
                f"--demo runs on SkinScope's own emulator, so {' and '.join(given)} "
                "would not be used: give one or the other."
            )

        emulator = stack.enter_context(Emulator())
        say(f"demo mode: emulator at {emulator.url} (scores from the demo engine, not YouCam)")
        return Client(DEMO_API_KEY, base_url=emulator.url, api_version=args.api_version)
    return Client(
        api_key_of(args), base_url=base_url or args.base_url, api_version=args.api_version
    )


def api_key_of(args) -> str:
    """The live key the options or the environment give; raises when there is none."""
    key = args.api_key or os.environ.get("YOUCAM_API_KEY")
    if not key:
        raise RequestValidationError(
            ["No API key: set YOUCAM_API_KEY, pass --api-key, or use --demo."]
        )
    return key


def print_progress(progress: Progress) -> None:
    if progress.phase == "retrying":
        say(f"retrying: {progress.note}")
    elif progress.phase == "waiting" and progress.polls:
        say(
            f"waiting: {progress.elapsed:5.1f} s, poll {progress.polls}, "
            f"every {progress.interval:g} s, task {progress.task_status}"
        )
    elif progress.phase == "waiting" and progress.note:
        say(f"waiting: {progress.note}")
    elif progress.phase != "waiting":
        say(f"{progress.phase}…" if progress.phase != "done" else "done")


def open_run_store(without_it: str = "the analysis is not recorded"):
    """The run store the app shows in History, or None (said on stderr, with what that means
    for the command: `without_it`) when it is unusable."""
    from .store import open_store

    try:
        return open_store()
    except StoreError as exc:
        say(f"warning: the run store cannot be used ({exc}); {without_it}")
        return None


MAX_PHOTO_READ = 64 * 1024 * 1024
"""Far more than any photo (the API takes under 10 MB): past it a file is not read on."""


def read_photo(path: Path) -> bytes:
    try:
        data = read_capped(path, MAX_PHOTO_READ)
    except OSError as exc:
        raise PhotoError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_PHOTO_READ:
        raise PhotoError(f"Cannot read {path}: it is over 64 MB, far more than a photo")
    return data


def check_out(out: Path | None) -> None:
    """--out must be a folder we can write, checked before anything is sent or billed."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder: give a folder for the masks.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".skinscope-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RequestValidationError(
            [f"--out {out} is not a folder SkinScope can write ({exc.strerror or exc})."]
        ) from None


def emit(result, out: Path | None) -> None:
    """Print the result; save its masks under OUT/<task_id>. The analysis is paid for: a mask
    that cannot be saved is reported, and the result is printed all the same."""
    if result.missing:
        say(
            f"warning: a partial answer: {len(result.missing)} of the concerns asked for did not "
            f"come back ({', '.join(result.missing)}); they are listed under 'missing'"
        )
    paths: dict[str, str] = {}
    if out:
        try:
            folder = out / result.task_id
            folder.mkdir(parents=True, exist_ok=True)
            for key, data in result.masks.items():
                paths[key] = str(write_inside(folder, mask_file_name(key, data), data))
        except (OSError, ValueError) as exc:
            say(f"warning: masks not saved under {out} ({exc}); the scores follow")
    print(json.dumps(result.as_document(paths), indent=2))

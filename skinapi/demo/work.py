"""The work a task does in the background: take or fetch its photo, judge it by the contract's
photo rules, run the demo engine and keep the answer's files and output on the task."""

from __future__ import annotations

import time
import urllib.request
from urllib.parse import urlsplit

from . import engine
from .answers import json_output, result_zip
from .rules import QUALITY_OF_ACTION, judge_photo
from .tasks import Task

MAX_SOURCE_BYTES = 25 * 1024 * 1024
SOURCE_DEADLINE_S = 20.0
"""A whole download's time: a host that trickles a byte at a time would otherwise hold one of
the engine's two workers, and every task queued behind it, for as long as it liked."""


def run_task(
    task: Task, data: bytes | None, source_url: str | None, fault: str, files_path: str
) -> None:
    """Fill in `task.error`, or its files and output; `fault` is an engine error injected in
    place of the verdict, and `files_path` where its files will be served."""
    if fault:
        task.error = fault
        return
    if source_url is not None:
        data = fetch_source(source_url)
        if data is None:
            task.error = "error_download_image"
            return
    if data is None:  # reserved but never uploaded
        task.error = "unknown_internal_error"
        return
    verdict = judge_photo(data, QUALITY_OF_ACTION[task.actions[0]])
    if verdict.error:
        task.error = verdict.error
        return
    result = engine.analyze(verdict.photo, verdict.face, task.actions, task.miniserver_args)
    task.files = dict(result.masks)
    task.files["resize_image.jpg"] = result.resized_image
    task.output = json_output(result, task.actions, task.miniserver_args, files_path)
    if task.format == "zip":
        task.files["result.zip"] = result_zip(result, task.actions)


def fetch_source(url: str) -> bytes | None:
    """The photo a task names with `src_file_url`: http(s) only, capped, each read within 10 s
    and the whole within SOURCE_DEADLINE_S; None when it cannot be fetched (the task then fails
    with error_download_image, as the API's does)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    deadline = time.monotonic() + SOURCE_DEADLINE_S
    chunks, size = [], 0
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - scheme checked
            while chunk := answer.read1(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_SOURCE_BYTES or time.monotonic() > deadline:
                    return None
    except (OSError, ValueError):
        return None
    return b"".join(chunks)

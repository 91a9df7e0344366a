"""The work a task does in the background: take or fetch its photo, judge it by the contract's
photo rules, run the demo engine and keep the answer's files and output on the task."""

from __future__ import annotations

import http.client
import threading
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
    """The photo a task names with `src_file_url`: http(s) only, capped, within
    SOURCE_DEADLINE_S from the connection to the last byte; None when it cannot be fetched (the
    task then fails with error_download_image, as the API's does). The download runs on a thread
    of its own, so a host that trickles its headers or body frees the engine's worker at the
    deadline all the same; at most MAX_FETCHES such threads are ever alive."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    if not _fetches.acquire(blocking=False):
        return None  # hosts that never finish hold every fetch: this one fails at once
    fetched: list[bytes | None] = []

    def fetch() -> None:
        try:
            fetched.append(_download(url))
        finally:
            _fetches.release()

    worker = threading.Thread(target=fetch, name="demo-source-fetch", daemon=True)
    worker.start()
    worker.join(SOURCE_DEADLINE_S)
    return fetched[0] if fetched and not worker.is_alive() else None


MAX_FETCHES = 8
_fetches = threading.BoundedSemaphore(MAX_FETCHES)


def _download(url: str) -> bytes | None:
    chunks, size = [], 0
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - scheme checked
            while chunk := answer.read1(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_SOURCE_BYTES:
                    return None
    except (OSError, ValueError, http.client.HTTPException):  # IncompleteRead, bad status
        return None
    return b"".join(chunks)

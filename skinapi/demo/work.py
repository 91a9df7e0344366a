"""The emulator's tasks and uploads, the work a task does, and presigned-style result URLs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from ..concerns import MAX_FILE_BYTES
from ..errors import PhotoError
from ..imaging.checks import check_photo
from ..imaging.photo import load_photo
from . import engine
from .answers import fetch_source, json_output, result_zip


@dataclass
class Upload:
    file_id: str
    content_type: str
    file_size: int
    data: bytes | None = None


@dataclass
class Task:
    task_id: str
    api_version: str
    actions: tuple[str, ...]
    format: str
    miniserver_args: dict
    key: str
    created: float
    last_poll: float
    future: Future | None = None
    error: str | None = None
    charged: bool = False
    finished_at: float | None = None
    """When a poll first saw the task finished; from then on it is kept `result_retention`."""
    files: dict[str, bytes] = field(default_factory=dict)
    output: list | None = None


def run_task(
    task: Task, data: bytes | None, source_url: str | None, fault: str, files_path: str
) -> None:
    """What a task does in the background: fetch or take the photo, check it as the API
    would, run the demo engine, and keep the answer's files and output on the task."""
    if fault:
        task.error = fault
        return
    if source_url is not None:
        data = fetch_source(source_url)
        if data is None:
            task.error = "error_download_image"
            return
    if data is None:
        task.error = "unknown_internal_error"
        return
    if len(data) >= MAX_FILE_BYTES:
        task.error = "exceed_max_filesize"
        return
    mode = "hd" if task.actions[0].startswith("hd_") else "sd"
    try:
        photo = load_photo(data)
    except PhotoError:
        task.error = "error_decode_image"
        return
    report = check_photo(photo, mode)
    if report.engine_error:
        task.error = report.engine_error
        return
    result = engine.analyze(photo, report.faces[0], task.actions, task.miniserver_args)
    task.files = dict(result.masks)
    task.files["resize_image.jpg"] = result.resized_image
    task.output = json_output(result, task.actions, task.miniserver_args, files_path)
    if task.format == "zip":
        task.files["result.zip"] = result_zip(result, task.actions)


def new_task_id() -> str:
    """64 URL-safe characters, as the vendor's task ids are; never a leading dash, which a
    command line would read as an option."""
    while (task_id := secrets.token_urlsafe(48)).startswith("-"):
        pass
    return task_id


class Signer:
    """Result URLs that work for a while, like presigned storage URLs: signed with a secret of
    this emulator, with their expiry on its clock."""

    def __init__(self, clock: Callable[[], float]):
        self._secret = secrets.token_bytes(16)
        self._clock = clock

    def sign(self, path: str, lifetime: float) -> str:
        expires = f"{self._clock() + lifetime:.3f}"
        return f"{path}?Expires={expires}&Signature={self._signature(path, expires)}"

    def holds(self, path: str, query: str) -> bool:
        fields = parse_qs(query)
        expires = (fields.get("Expires") or [""])[0]
        given = (fields.get("Signature") or [""])[0]
        try:
            fresh = float(expires) >= self._clock()
        except ValueError:
            return False
        return fresh and hmac.compare_digest(given, self._signature(path, expires))

    def _signature(self, path: str, expires: str) -> str:
        digest = hmac.new(self._secret, f"{path}|{expires}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

"""The HTTP client for the YouCam Skin Analysis API: upload → create task → poll → results."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import requests

from . import errors as e
from . import schema
from .concerns import AnalysisSettings
from .names import is_task_id
from .results import AnalysisResult, parse_json_output, parse_zip, zip_url
from .schema import CreatedTask, TaskState, UploadSlot, interval_seconds
from .transport import RetryPolicy, Transport

__all__ = ["Client", "CreatedTask", "Progress", "TaskState", "UploadSlot", "interval_seconds"]

DEFAULT_BASE_URL = "https://yce-api-01.makeupar.com"
DEFAULT_POLL_INTERVAL = 2.0
MIN_POLL_INTERVAL = 0.2
"""The API allows 5 requests per second: no interval it names makes us poll faster."""
DEFAULT_WAIT_TIMEOUT = 300.0
SHORT_CALL_TIMEOUT = 60.0
"""The deadline of a call outside an analysis (balance, delete)."""
UPLOAD_PATHS = ("/s2s/v2.0/file", "/s2s/v2.0/file/skin-analysis", "/s2s/v2.1/file/skin-analysis")
"""Where an upload is reserved; the vendor lists all three. The next is tried on a 404."""
MAX_MASK_BYTES = 40 * 1024 * 1024
"""A 2560 px RGBA mask is at most 26 MB even stored raw."""
MAX_ZIP_BYTES = 100 * 1024 * 1024

Phase = Literal["uploading", "creating", "waiting", "retrying", "downloading", "done"]


def engine_error(state: TaskState) -> e.EngineError:
    """The error a task that ended in ``error`` stands for, however it was polled."""
    return e.EngineError(
        state.error_code or "unknown_internal_error",
        state.error_message or "",
        task_id=state.task_id,
        request_id=state.request_id,
    )


def poll_interval(answered: float | None, previous: float, minimum: float) -> float:
    """The one polling rule, for a single run and a batch alike: the API's `polling_interval`
    when its answer names one, else the interval before (first: DEFAULT_POLL_INTERVAL), never
    faster than `minimum` (the rate limit)."""
    return max(previous if answered is None else answered, minimum)


@dataclass(frozen=True)
class Progress:
    phase: Phase
    elapsed: float
    """Seconds since this call began."""
    polls: int = 0
    interval: float | None = None
    """The polling interval in force, in seconds."""
    task_id: str | None = None
    task_status: str | None = None
    note: str | None = None
    """For ``retrying``: what failed and when the next attempt goes out."""


ProgressCallback = Callable[[Progress], None]


def content_type_of(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    raise e.PhotoError("The photo is neither JPG nor PNG", hint="Convert it to JPG first.")


class Client:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = "v2.1",
        timeout: float | tuple[float, float] = (5.0, 30.0),
        session: requests.Session | None = None,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        min_poll_interval: float = MIN_POLL_INTERVAL,
    ):
        if not api_key or not api_key.strip():
            raise e.AuthError("No API key given", hint="Set YOUCAM_API_KEY or pass the key.")
        if not api_key.strip().isascii() or not api_key.strip().isprintable():
            raise e.RequestValidationError(
                ["The API key has characters an HTTP header cannot carry: paste it again, whole."]
            )
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._http = Transport(
            api_key.strip(),
            timeout=timeout,
            session=session,
            retry=retry,
            sleep=sleep,
            clock=clock,
            seed=seed,
        )
        self._sleep = sleep
        self._clock = clock
        self.min_poll_interval = min_poll_interval
        self._upload_path = UPLOAD_PATHS[0]

    @property
    def session(self) -> requests.Session:
        return self._http.session

    @property
    def answered_by(self) -> str | None:
        """The backend (``emulator`` or ``live``) whose answer came last; None before any."""
        return self._http.answered_by

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, api_version={self.api_version!r})"

    # -- the API's verbs -------------------------------------------------------------------

    def reserve_upload(
        self, *, file_name: str, content_type: str, file_size: int, deadline: float | None = None
    ) -> UploadSlot:
        body = {
            "files": [
                {"content_type": content_type, "file_name": file_name, "file_size": file_size}
            ]
        }
        paths = [self._upload_path, *(p for p in UPLOAD_PATHS if p != self._upload_path)]
        for path in paths:
            try:
                data = self._call("POST", path, json=body, idempotent=True, deadline=deadline)
            except e.ApiStatusError as exc:
                if exc.status == 404 and path != paths[-1]:
                    continue
                raise
            self._upload_path = path
            return schema.upload_slot(data)
        raise AssertionError("unreachable: the last path raises")

    def upload(self, slot: UploadSlot, data: bytes, *, deadline: float | None = None) -> None:
        """Send the bytes to the presigned URL with exactly its headers, and no bearer."""
        self._http.request(
            slot.method, slot.url, data=data, headers=slot.headers, what="photo upload",
            target="upload", deadline=deadline,
        )  # fmt: skip

    def upload_photo(
        self, data: bytes, *, file_name: str = "photo.jpg", deadline: float | None = None
    ) -> str:
        slot = self.reserve_upload(
            file_name=file_name,
            content_type=content_type_of(data),
            file_size=len(data),
            deadline=deadline,
        )
        self.upload(slot, data, deadline=deadline)
        return slot.file_id

    def create_task(
        self,
        settings: AnalysisSettings,
        *,
        src_file_id: str | None = None,
        src_file_url: str | None = None,
        deadline: float | None = None,
    ) -> CreatedTask:
        """Billed and not idempotent: re-sent only after a 429, which was not executed."""
        settings.validate()
        body = settings.task_body(src_file_id=src_file_id, src_file_url=src_file_url)
        data = self._call(
            "POST", self._task_path(settings.api_version), json=body, idempotent=False,
            deadline=deadline,
        )  # fmt: skip
        return schema.created_task(data)

    def get_task(
        self, task_id: str, *, api_version: str | None = None, deadline: float | None = None
    ) -> TaskState:
        if not is_task_id(task_id):
            raise e.RequestValidationError([f"{task_id!r:.60} is not a task id."])
        path = f"{self._task_path(api_version or self.api_version)}/{task_id}"
        try:
            data = self._call("GET", path, idempotent=True, deadline=deadline, task_id=task_id)
        except e.SkinApiError as exc:
            exc.task_id = exc.task_id or task_id
            raise
        return schema.task_state(data, task_id)

    def delete_task(self, task_id: str) -> None:
        if not is_task_id(task_id):
            raise e.RequestValidationError([f"{task_id!r:.60} is not a task id."])
        self._http.call_api(
            "POST", self.base_url + "/s2s/v2.0/task/delete", "/s2s/v2.0/task/delete",
            json={"task_id": task_id}, idempotent=True, deadline=self._short_deadline(),
        )  # fmt: skip

    def credit_balance(self) -> float:
        path = "/s2s/v1.0/client/credit"
        payload, request_id = self._http.call_api(
            "GET", self.base_url + path, path, idempotent=True, deadline=self._short_deadline()
        )
        total = 0.0
        for item in schema.credit_items(payload, request_id):
            amount = item.get("amount_dec", (int, float)) or item.get("amount", (int, float))
            if amount is not None and math.isfinite(amount):
                total += float(amount)
        return total

    # -- composed calls --------------------------------------------------------------------

    def wait(
        self,
        task_id: str,
        *,
        interval: float | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        api_version: str | None = None,
        on_progress: ProgressCallback | None = None,
        first_poll_now: bool = False,
        deadline: float | None = None,
    ) -> TaskState:
        """Poll at the API's interval until success; raise EngineError on a failed task and
        DeadlineExceeded (with the task_id) when `timeout` (or `deadline`) passes first.
        `first_poll_now` polls before the first wait: a task picked up again may have
        finished long ago."""
        start = self._clock()
        deadline = start + timeout if deadline is None else deadline
        interval = self._interval(interval)
        polls = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise self._late(task_id, start)
            if polls or not first_poll_now:
                self._sleep(min(interval, remaining))
            try:
                state = self.get_task(task_id, api_version=api_version, deadline=deadline)
            except e.TransportError:
                if self._clock() >= deadline:
                    raise self._late(task_id, start) from None
                raise
            polls += 1
            interval = self._interval(state.polling_interval, interval)
            if on_progress:
                on_progress(
                    Progress(
                        "waiting", self._clock() - start, polls, interval, task_id, state.status
                    )
                )
            if state.status == "success":
                return state
            if state.status == "error":
                raise engine_error(state)

    def fetch_result(
        self, state: TaskState, settings: AnalysisSettings, *, deadline: float | None = None
    ) -> AnalysisResult:
        """Download everything now: result URLs expire after two hours."""
        if state.status != "success":
            raise e.ProtocolError(f"task {state.task_id} has not succeeded", task_id=state.task_id)
        try:
            if settings.format == "zip":
                url = zip_url(state.results, task_id=state.task_id)
                data = self._download(url, MAX_ZIP_BYTES, deadline)
                return parse_zip(data, task_id=state.task_id, api_version=settings.api_version)
            results = state.results if isinstance(state.results, dict) else {}
            result, urls = parse_json_output(
                results.get("output"), task_id=state.task_id, api_version=settings.api_version
            )
            for key, url in urls.items():
                data = self._download(url, MAX_MASK_BYTES, deadline)
                if key == "resize_image":
                    result.resized_image = data
                else:
                    result.masks[key] = data
            return result
        except e.TransportError:
            if deadline is not None and self._clock() >= deadline:
                raise self._late(state.task_id, None) from None
            raise

    def analyze(
        self,
        photo: bytes,
        settings: AnalysisSettings,
        *,
        file_name: str = "photo.jpg",
        on_progress: ProgressCallback | None = None,
        on_task_created: Callable[[str], None] | None = None,
        on_create_sending: Callable[[], None] | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> AnalysisResult:
        """Upload, create, poll and download, all within `timeout` seconds. `on_create_sending`
        is called just before the billed create request goes out, and `on_task_created` gets
        the task_id before the first poll: record both, so that an interrupted caller knows
        what may have been billed and resumes instead of paying again."""
        settings.validate()
        _check_timeout(timeout)
        start = self._clock()
        deadline = start + timeout
        report = _reporter(on_progress, self._clock, start)
        with self._http.retries_told_to(_teller(on_progress, self._clock, start)):
            report("uploading")
            file_id = self.upload_photo(photo, file_name=file_name, deadline=deadline)
            report("creating")
            if on_create_sending:
                on_create_sending()
            created = self.create_task(settings, src_file_id=file_id, deadline=deadline)
        if on_task_created:
            on_task_created(created.task_id)
        return self.resume(
            created.task_id,
            settings,
            interval=created.polling_interval,
            on_progress=on_progress,
            timeout=timeout,
            _start=start,
        )

    def resume(
        self,
        task_id: str,
        settings: AnalysisSettings,
        *,
        interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        _start: float | None = None,
    ) -> AnalysisResult:
        """Carry on with a task created earlier: poll until done, then download its results.
        With no known interval the first poll goes out at once."""
        _check_timeout(timeout)
        start = self._clock() if _start is None else _start
        deadline = start + timeout
        report = _reporter(on_progress, self._clock, start)
        report("waiting", task_id=task_id, interval=interval)

        def waiting(progress: Progress) -> None:
            if on_progress:
                on_progress(
                    Progress(
                        "waiting",
                        self._clock() - start,
                        progress.polls,
                        progress.interval,
                        task_id,
                        progress.task_status,
                    )
                )

        with self._http.retries_told_to(_teller(on_progress, self._clock, start, task_id)):
            state = self.wait(
                task_id,
                interval=interval,
                api_version=settings.api_version,
                on_progress=waiting,
                first_poll_now=_start is None and interval is None,
                deadline=deadline,
            )
            report("downloading", task_id=task_id)
            result = self.fetch_result(state, settings, deadline=deadline)
        result.note_missing(settings.actions)
        report("done", task_id=task_id)
        return result

    @contextmanager
    def recording(self) -> Iterator[list[dict]]:
        """Record every HTTP exchange made by this thread inside the block (for debug bundles):
        method, URL without its query (presigned signatures stay out), status, x-request-id,
        timings, the JSON sent and received. The key is never part of it."""
        with self._http.recording() as trace:
            yield trace

    @contextmanager
    def retries_told_to(self, listener: Callable[[str], None] | None) -> Iterator[None]:
        """Within the block, each request this thread retries (after a 429, a server error or
        a failed connection) is told to `listener` first, with a note that starts with what
        failed ("Rate limited by the API — …"); a batch takes a request token for it."""
        with self._http.retries_told_to(listener):
            yield

    # -- plumbing --------------------------------------------------------------------------

    def _task_path(self, api_version: str) -> str:
        return f"/s2s/{api_version}/task/skin-analysis"

    def _call(self, method: str, path: str, *, json=None, idempotent: bool, deadline, task_id=None):
        payload, request_id = self._http.call_api(
            method, self.base_url + path, path, json=json, idempotent=idempotent, deadline=deadline
        )
        return schema.data_of(payload, f"{method} {path}", request_id, task_id=task_id)

    def _download(self, url: str, max_bytes: int, deadline: float | None) -> bytes:
        # No Authorization header: result URLs are presigned, and the key is for the API only.
        return self._http.request(
            "GET", url, what="result download", target="download", max_bytes=max_bytes,
            deadline=deadline,
        ).body  # fmt: skip

    def _interval(self, value: float | None, fallback: float = DEFAULT_POLL_INTERVAL) -> float:
        return poll_interval(value, fallback, self.min_poll_interval)

    def _short_deadline(self) -> float:
        return self._clock() + SHORT_CALL_TIMEOUT

    def _late(self, task_id: str, start: float | None) -> e.DeadlineExceeded:
        waited = f" after {self._clock() - start:.0f} s" if start is not None else ""
        return e.DeadlineExceeded(f"the task was not finished{waited}", task_id=task_id)


def _check_timeout(timeout: float) -> None:
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        raise e.RequestValidationError(
            [f"The timeout must be a positive number of seconds, not {timeout!r}."]
        )


def _reporter(on_progress: ProgressCallback | None, clock, start: float):
    def report(phase: Phase, *, task_id: str | None = None, interval: float | None = None):
        if on_progress:
            on_progress(Progress(phase, clock() - start, 0, interval, task_id))

    return report


def _teller(on_progress: ProgressCallback | None, clock, start: float, task_id=None):
    """A retry, told as progress: the status line says why the wait is longer."""
    if on_progress is None:
        return None
    return lambda note: on_progress(
        Progress("retrying", clock() - start, task_id=task_id, note=note)
    )


def polls_bound(processing_time: float, interval: float) -> int:
    """The most polls a task of known duration should take: ceil(T / I) + 1."""
    return math.ceil(processing_time / interval) + 1 if interval > 0 else 1

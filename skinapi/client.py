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
from .concerns import AnalysisSettings
from .results import AnalysisResult, TaskStatus, parse_json_output, parse_zip, zip_url
from .transport import RetryPolicy, Transport

DEFAULT_BASE_URL = "https://yce-api-01.makeupar.com"
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_WAIT_TIMEOUT = 300.0
UPLOAD_PATH = "/s2s/v2.0/file"

Phase = Literal["uploading", "creating", "waiting", "downloading", "done"]


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


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class UploadSlot:
    file_id: str
    method: str
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class TaskState:
    task_id: str
    status: TaskStatus
    polling_interval: float | None
    """Seconds, already converted from whatever unit the API used."""
    results: object = None
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class CreatedTask:
    task_id: str
    polling_interval: float | None
    request_id: str | None


MAX_POLL_INTERVAL = 30.0


def interval_seconds(value) -> float | None:
    """The API's `polling_interval`: above 100 it is milliseconds, else seconds; capped so a
    misread unit cannot let a task expire unpolled."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return min(value / 1000.0 if value > 100 else float(value), MAX_POLL_INTERVAL)


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
    ):
        if not api_key or not api_key.strip():
            raise e.AuthError("No API key given", hint="Set YOUCAM_API_KEY or pass the key.")
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

    @property
    def session(self) -> requests.Session:
        return self._http.session

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, api_version={self.api_version!r})"

    # -- the API's verbs -------------------------------------------------------------------

    def reserve_upload(self, *, file_name: str, content_type: str, file_size: int) -> UploadSlot:
        body = {
            "files": [
                {"content_type": content_type, "file_name": file_name, "file_size": file_size}
            ]
        }
        data, request_id = self._call("POST", UPLOAD_PATH, json=body, idempotent=True)
        try:
            entry = data["files"][0]
            upload = entry["requests"][0]
            return UploadSlot(
                file_id=str(entry["file_id"]),
                method=str(upload.get("method", "PUT")).upper(),
                url=str(upload["url"]),
                headers={str(k): str(v) for k, v in (upload.get("headers") or {}).items()},
            )
        except (KeyError, IndexError, TypeError) as exc:
            raise e.ProtocolError(
                f"the upload reservation has no file_id or URL ({exc!r})", request_id=request_id
            ) from exc

    def upload(self, slot: UploadSlot, data: bytes) -> None:
        """Send the bytes to the presigned URL with exactly its headers, and no bearer."""
        self._http.request(
            slot.method, slot.url, data=data, headers=slot.headers, what="photo upload",
            target="upload",
        )  # fmt: skip

    def upload_photo(self, data: bytes, *, file_name: str = "photo.jpg") -> str:
        slot = self.reserve_upload(
            file_name=file_name, content_type=content_type_of(data), file_size=len(data)
        )
        self.upload(slot, data)
        return slot.file_id

    def create_task(
        self,
        settings: AnalysisSettings,
        *,
        src_file_id: str | None = None,
        src_file_url: str | None = None,
    ) -> CreatedTask:
        """Billed and not idempotent: re-sent only after a 429, which was not executed."""
        settings.validate()
        body = settings.task_body(src_file_id=src_file_id, src_file_url=src_file_url)
        data, request_id = self._call(
            "POST", self._task_path(settings.api_version), json=body, idempotent=False
        )
        task_id = data.get("task_id") if isinstance(data, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise e.ProtocolError("the create answer carries no task_id", request_id=request_id)
        return CreatedTask(task_id, interval_seconds(data.get("polling_interval")), request_id)

    def get_task(self, task_id: str, *, api_version: str | None = None) -> TaskState:
        path = f"{self._task_path(api_version or self.api_version)}/{task_id}"
        try:
            data, request_id = self._call("GET", path, idempotent=True)
        except e.SkinApiError as exc:
            exc.task_id = exc.task_id or task_id
            raise
        status = data.get("task_status") if isinstance(data, dict) else None
        if status not in ("running", "success", "error"):
            raise e.ProtocolError(
                f"unexpected task_status {status!r}", request_id=request_id, task_id=task_id
            )
        code = data.get("error") or data.get("error_code")
        return TaskState(
            task_id=task_id,
            status=status,
            polling_interval=interval_seconds(data.get("polling_interval")),
            results=data.get("results"),
            error_code=str(code) if code else None,
            error_message=data.get("error_message"),
            request_id=request_id,
        )

    def delete_task(self, task_id: str) -> None:
        self._call("POST", "/s2s/v2.0/task/delete", json={"task_id": task_id}, idempotent=True)

    def credit_balance(self) -> float:
        data, request_id = self._call("GET", "/s2s/v1.0/client/credit", idempotent=True)
        items = data.get("results") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise e.ProtocolError("the credit answer has no results list", request_id=request_id)
        return float(sum(float(item.get("amount_dec") or 0) for item in items))

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
    ) -> TaskState:
        """Poll at the API's interval until success; raise EngineError on a failed task and
        DeadlineExceeded (with the task_id) when `timeout` passes first. `first_poll_now` polls
        before the first wait: a task picked up again may have finished long ago."""
        start = self._clock()
        deadline = start + timeout
        interval = DEFAULT_POLL_INTERVAL if interval is None else interval
        polls = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise e.DeadlineExceeded(
                    f"the task was still running after {timeout:g} s", task_id=task_id
                )
            if polls or not first_poll_now:
                self._sleep(min(interval, remaining))
            state = self.get_task(task_id, api_version=api_version)
            polls += 1
            if state.polling_interval is not None:
                interval = state.polling_interval
            if on_progress:
                on_progress(
                    Progress(
                        "waiting", self._clock() - start, polls, interval, task_id, state.status
                    )
                )
            if state.status == "success":
                return state
            if state.status == "error":
                raise e.EngineError(
                    state.error_code or "unknown_internal_error",
                    state.error_message or "",
                    task_id=task_id,
                    request_id=state.request_id,
                )

    def fetch_result(self, state: TaskState, settings: AnalysisSettings) -> AnalysisResult:
        """Download everything now: result URLs expire after two hours."""
        if state.status != "success":
            raise e.ProtocolError(f"task {state.task_id} has not succeeded", task_id=state.task_id)
        if settings.format == "zip":
            url = zip_url(state.results)
            data = self._download(url)
            return parse_zip(data, task_id=state.task_id, api_version=settings.api_version)
        results = state.results if isinstance(state.results, dict) else {}
        result, urls = parse_json_output(
            results.get("output"), task_id=state.task_id, api_version=settings.api_version
        )
        for key, url in urls.items():
            if key == "resize_image":
                result.resized_image = self._download(url)
            else:
                result.masks[key] = self._download(url)
        return result

    def analyze(
        self,
        photo: bytes,
        settings: AnalysisSettings,
        *,
        file_name: str = "photo.jpg",
        on_progress: ProgressCallback | None = None,
        on_task_created: Callable[[str], None] | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> AnalysisResult:
        """Upload, create, poll and download. `on_task_created` gets the task_id before the first
        poll: store it, so that an interrupted caller resumes instead of paying again."""
        settings.validate()
        start = self._clock()
        report = _reporter(on_progress, self._clock, start)
        report("uploading")
        file_id = self.upload_photo(photo, file_name=file_name)
        report("creating")
        created = self.create_task(settings, src_file_id=file_id)
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
        start = self._clock() if _start is None else _start
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

        state = self.wait(
            task_id,
            interval=interval,
            timeout=timeout,
            api_version=settings.api_version,
            on_progress=waiting,
            first_poll_now=_start is None and interval is None,
        )
        report("downloading", task_id=task_id)
        result = self.fetch_result(state, settings)
        report("done", task_id=task_id)
        return result

    @contextmanager
    def recording(self) -> Iterator[list[dict]]:
        """Record every HTTP exchange made by this thread inside the block (for debug bundles):
        method, URL without its query (presigned signatures stay out), status, x-request-id,
        timings, the JSON sent and received. The key is never part of it."""
        with self._http.recording() as trace:
            yield trace

    # -- plumbing --------------------------------------------------------------------------

    def _task_path(self, api_version: str) -> str:
        return f"/s2s/{api_version}/task/skin-analysis"

    def _call(self, method: str, path: str, *, json=None, idempotent: bool):
        return self._http.call_api(
            method, self.base_url + path, path, json=json, idempotent=idempotent
        )

    def _download(self, url: str) -> bytes:
        return self._http.request("GET", url, what="result download", target="download").content


def _reporter(on_progress: ProgressCallback | None, clock, start: float):
    def report(phase: Phase, *, task_id: str | None = None, interval: float | None = None):
        if on_progress:
            on_progress(Progress(phase, clock() - start, 0, interval, task_id))

    return report


def polls_bound(processing_time: float, interval: float) -> int:
    """The most polls a task of known duration should take: ceil(T / I) + 1."""
    return math.ceil(processing_time / interval) + 1 if interval > 0 else 1

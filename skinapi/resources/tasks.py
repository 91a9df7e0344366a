"""Skin-analysis tasks: create one (billed), poll it until it ends, delete it, and download
its results while their URLs are fresh."""

from __future__ import annotations

from .. import errors as e
from ..concerns import AnalysisSettings
from ..names import is_task_id
from ..polling import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, MIN_POLL_INTERVAL, poll_interval
from ..progress import Progress, ProgressCallback
from ..results import AnalysisResult, parse_json_output, parse_zip, zip_url
from ..schema import CreatedTask, TaskState, created_task, task_state
from .api import Api

MAX_MASK_BYTES = 40 * 1024 * 1024
"""A 2560 px RGBA mask is at most 26 MB even stored raw."""
MAX_ZIP_BYTES = 100 * 1024 * 1024
PARALLEL_DOWNLOADS = 4
"""A result's files downloaded at once (the transport keeps connections for a batch's
workers doing this together: transport.CONNECTIONS_PER_HOST)."""
DELETE_PATH = "/s2s/v2.0/task/delete"


def engine_error(state: TaskState) -> e.EngineError:
    """The error a task that ended in ``error`` stands for, however it was polled."""
    return e.EngineError(
        state.error_code or "unknown_internal_error",
        state.error_message or "",
        task_id=state.task_id,
        request_id=state.request_id,
    )


def task_path(api_version: str) -> str:
    return f"/s2s/{api_version}/task/skin-analysis"


class Tasks:
    def __init__(self, api: Api, *, api_version: str, min_poll_interval: float = MIN_POLL_INTERVAL):
        self._api = api
        self.api_version = api_version
        """The version polled when a call names none."""
        self.min_poll_interval = min_poll_interval

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
        data = self._api.data(
            "POST",
            task_path(settings.api_version),
            json=body,
            idempotent=False,
            deadline=deadline,
        )
        return created_task(data)

    def get_task(
        self, task_id: str, *, api_version: str | None = None, deadline: float | None = None
    ) -> TaskState:
        _check_task_id(task_id)
        path = f"{task_path(api_version or self.api_version)}/{task_id}"
        try:
            data = self._api.data("GET", path, idempotent=True, deadline=deadline, task_id=task_id)
        except e.SkinApiError as exc:
            exc.task_id = exc.task_id or task_id
            raise
        return task_state(data, task_id)

    def delete_task(self, task_id: str) -> None:
        _check_task_id(task_id)
        self._api.call(
            "POST",
            DELETE_PATH,
            json={"task_id": task_id},
            idempotent=True,
            deadline=self._api.short_deadline(),
        )

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
        since: float | None = None,
    ) -> TaskState:
        """Poll at the API's interval until success; raise EngineError on a failed task and
        DeadlineExceeded (with the task_id) when `timeout` (or `deadline`) passes first.
        `first_poll_now` polls before the first wait: a task picked up again may have
        finished long ago. The interval runs from one poll's sending to the next, the first
        from `since` (the create's answer; default now), so time spent between polls — a
        caller's callback, a slow answer — does not push every later poll back."""
        clock = self._api.clock
        start = clock()
        deadline = start + timeout if deadline is None else deadline
        interval = self._interval(interval)
        next_poll = start if since is None else since
        if not first_poll_now:
            next_poll += interval
        polls = 0
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                raise self._late(task_id, start)
            wait = next_poll - clock()
            if wait > 0:
                self._api.sleep(min(wait, remaining))
            sent = clock()
            try:
                state = self.get_task(task_id, api_version=api_version, deadline=deadline)
            except e.TransportError:
                if clock() >= deadline:
                    raise self._late(task_id, start) from None
                raise
            polls += 1
            interval = self._interval(state.polling_interval, interval)
            next_poll = sent + interval
            if on_progress:
                on_progress(
                    Progress("waiting", clock() - start, polls, interval, task_id, state.status)
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
            for key, data in zip(urls, self._download_all(urls.values(), deadline), strict=True):
                if key == "resize_image":
                    result.resized_image = data
                else:
                    result.masks[key] = data
            return result
        except e.TransportError:
            if deadline is not None and self._api.clock() >= deadline:
                raise self._late(state.task_id, None) from None
            raise

    def _download_all(self, urls, deadline: float | None) -> list[bytes]:
        """The masks (and the resized photo) a few at a time: one after another, an HD
        result's 20 downloads cost 20 round trips to the storage."""
        return self._api.http.in_parallel(
            lambda url: self._download(url, MAX_MASK_BYTES, deadline), urls, PARALLEL_DOWNLOADS
        )

    def _download(self, url: str, max_bytes: int, deadline: float | None) -> bytes:
        # No Authorization header: result URLs are presigned, and the key is for the API only.
        return self._api.http.request(
            "GET",
            url,
            what="result download",
            target="download",
            max_bytes=max_bytes,
            deadline=deadline,
        ).body

    def _interval(self, value: float | None, fallback: float = DEFAULT_POLL_INTERVAL) -> float:
        return poll_interval(value, fallback, self.min_poll_interval)

    def _late(self, task_id: str, start: float | None) -> e.DeadlineExceeded:
        waited = f" after {self._api.clock() - start:.0f} s" if start is not None else ""
        return e.DeadlineExceeded(f"the task was not finished{waited}", task_id=task_id)


def _check_task_id(task_id: str) -> None:
    if not is_task_id(task_id):
        raise e.RequestValidationError([f"{task_id!r:.60} is not a task id."])

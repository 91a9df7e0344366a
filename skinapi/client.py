"""The HTTP client for the YouCam Skin Analysis API: upload → create task → poll → results.

`Client` owns one transport and composes the endpoint resources (`resources`: uploads, tasks,
credit); its own work is the composed calls, `analyze` and `resume`. The names callers import
from here (the polling defaults, `Progress`, `engine_error`, `content_type_of`…) live in the
modules that do that job and are re-exported."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from urllib.parse import urlsplit

import requests

from . import errors as e
from .backends import DEFAULT_BASE_URL
from .concerns import AnalysisSettings
from .polling import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    MIN_POLL_INTERVAL,
    poll_interval,
    polls_bound,
)
from .progress import Phase, Progress, ProgressCallback
from .resources import Api, Credit, Tasks, Uploads
from .resources.tasks import engine_error
from .resources.uploads import UPLOAD_PATHS, content_type_of
from .results import AnalysisResult
from .schema import CreatedTask, Sku, TaskState, UploadSlot, interval_seconds
from .transport import RetryPolicy, Transport

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_WAIT_TIMEOUT",
    "MIN_POLL_INTERVAL",
    "UPLOAD_PATHS",
    "Client",
    "CreatedTask",
    "Progress",
    "ProgressCallback",
    "TaskState",
    "UploadSlot",
    "content_type_of",
    "engine_error",
    "interval_seconds",
    "poll_interval",
    "polls_bound",
]


def base_url_problem(url: str) -> str | None:
    """Why requests cannot go to `url` (None when they can): the API is reached over http(s)
    at a host, and a URL that does not parse would fail only after a run was recorded."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) address such as https://yce-api-01.makeupar.com"
    if any(c.isspace() for c in url) or not url.isprintable():
        return "has spaces or control characters in it"
    return None


def api_key_problem(api_key: str | None) -> str | None:
    """Why a key cannot be sent (None when it can): blank, or with characters that an HTTP
    header cannot carry (a non-ASCII letter, a newline or a zero-width space pasted with it)."""
    key = (api_key or "").strip()
    if not key:
        return "is blank"
    if not key.isascii() or not key.isprintable():
        return "has characters an HTTP header cannot carry: paste it again, whole"
    return None


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
        if problem := api_key_problem(api_key):
            raise e.RequestValidationError([f"The API key {problem}."])
        base_url = base_url.strip()  # as the key is: a pasted URL often ends in a newline
        if problem := base_url_problem(base_url):
            raise e.RequestValidationError([f"The base URL {base_url!r:.200} {problem}."])
        self._http = Transport(
            api_key.strip(),
            timeout=timeout,
            session=session,
            retry=retry,
            sleep=sleep,
            clock=clock,
            seed=seed,
        )
        self._clock = clock
        self._api = Api(self._http, base_url.rstrip("/"), clock=clock, sleep=sleep)
        self.uploads = Uploads(self._api)
        self.tasks = Tasks(self._api, api_version=api_version, min_poll_interval=min_poll_interval)
        self.credit = Credit(self._api)

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        value = value.strip()
        if problem := base_url_problem(value):
            raise e.RequestValidationError([f"The base URL {value!r:.200} {problem}."])
        self._api.base_url = value

    @property
    def api_version(self) -> str:
        return self.tasks.api_version

    @api_version.setter
    def api_version(self, value: str) -> None:
        self.tasks.api_version = value

    @property
    def min_poll_interval(self) -> float:
        return self.tasks.min_poll_interval

    @min_poll_interval.setter
    def min_poll_interval(self, value: float) -> None:
        self.tasks.min_poll_interval = value

    @property
    def session(self) -> requests.Session:
        return self._http.session

    @property
    def key_fingerprint(self) -> str:
        """A digest of the API key (never the key): names what is shared per key, such as the
        rate limits."""
        return self._http.key_fingerprint

    @property
    def answered_by(self) -> str | None:
        """The backend (``emulator`` or ``live``) whose answer came last; None before any."""
        return self._http.answered_by

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, api_version={self.api_version!r})"

    # -- the API's verbs, answered by the resources ----------------------------------------

    def reserve_upload(
        self, *, file_name: str, content_type: str, file_size: int, deadline: float | None = None
    ) -> UploadSlot:
        return self.uploads.reserve_upload(
            file_name=file_name, content_type=content_type, file_size=file_size, deadline=deadline
        )

    def upload(self, slot: UploadSlot, data: bytes, *, deadline: float | None = None) -> None:
        self.uploads.upload(slot, data, deadline=deadline)

    def upload_photo(
        self, data: bytes, *, file_name: str = "photo.jpg", deadline: float | None = None
    ) -> str:
        return self.uploads.upload_photo(data, file_name=file_name, deadline=deadline)

    def create_task(
        self,
        settings: AnalysisSettings,
        *,
        src_file_id: str | None = None,
        src_file_url: str | None = None,
        deadline: float | None = None,
    ) -> CreatedTask:
        """Billed and not idempotent: re-sent only after a 429, which was not executed."""
        return self.tasks.create_task(
            settings, src_file_id=src_file_id, src_file_url=src_file_url, deadline=deadline
        )

    def get_task(
        self, task_id: str, *, api_version: str | None = None, deadline: float | None = None
    ) -> TaskState:
        return self.tasks.get_task(task_id, api_version=api_version, deadline=deadline)

    def delete_task(self, task_id: str) -> None:
        self.tasks.delete_task(task_id)

    def credit_balance(self) -> float:
        return self.credit.balance()

    def feature_cost(self) -> list[Sku]:
        return self.credit.feature_cost()

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
        """Poll until success; raise EngineError on a failed task and DeadlineExceeded when
        `timeout` (or `deadline`) passes first (see `Tasks.wait`)."""
        return self.tasks.wait(
            task_id,
            interval=interval,
            timeout=timeout,
            api_version=api_version,
            on_progress=on_progress,
            first_poll_now=first_poll_now,
            deadline=deadline,
        )

    def fetch_result(
        self, state: TaskState, settings: AnalysisSettings, *, deadline: float | None = None
    ) -> AnalysisResult:
        return self.tasks.fetch_result(state, settings, deadline=deadline)

    # -- composed calls --------------------------------------------------------------------

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
            file_id = self.uploads.upload_photo(photo, file_name=file_name, deadline=deadline)
            report("creating")
            if on_create_sending:
                on_create_sending()
            created = self.tasks.create_task(settings, src_file_id=file_id, deadline=deadline)
        created_at = self._clock()
        if on_task_created:
            on_task_created(created.task_id)
        return self.resume(
            created.task_id,
            settings,
            interval=created.polling_interval,
            on_progress=on_progress,
            timeout=timeout,
            _start=start,
            _since=created_at,
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
        _since: float | None = None,
    ) -> AnalysisResult:
        """Carry on with a task created earlier: poll until done, then download its results.
        With no known interval the first poll goes out at once."""
        _check_timeout(timeout)
        start = self._clock() if _start is None else _start
        deadline = start + timeout
        report = _reporter(on_progress, self._clock, start)
        report("waiting", task_id=task_id, interval=interval)
        with self._http.retries_told_to(_teller(on_progress, self._clock, start, task_id)):
            state = self.tasks.wait(
                task_id,
                interval=interval,
                api_version=settings.api_version,
                on_progress=_timed_from(on_progress, self._clock, start),
                first_poll_now=_start is None and interval is None,
                deadline=deadline,
                since=_since,
            )
            report("downloading", task_id=task_id)
            result = self.tasks.fetch_result(state, settings, deadline=deadline)
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


def _timed_from(on_progress: ProgressCallback | None, clock, start: float):
    """The poll's progress with its time counted from `start`, when the analysis began, not
    from the first poll."""
    if on_progress is None:
        return None
    return lambda progress: on_progress(replace(progress, elapsed=clock() - start))


def _teller(on_progress: ProgressCallback | None, clock, start: float, task_id=None):
    """A retry, told as progress: the status line says why the wait is longer."""
    if on_progress is None:
        return None
    return lambda note: on_progress(
        Progress("retrying", clock() - start, task_id=task_id, note=note)
    )

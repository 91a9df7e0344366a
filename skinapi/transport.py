"""HTTP for the client: one `requests.Session`, retries of failed requests, answers turned into
the error tree, and per-thread recording of every exchange with the key scrubbed.

How often a task is *polled* is the client's business; this module only decides whether one
failed *request* is tried again (Google api-core keeps the two policies apart the same way).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import requests

from . import errors as e

Target = Literal["api", "upload", "download"]
"""Who answers: the API itself, the presigned upload storage, or the result file host."""


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed *request* is retried; separate from how often a task is polled."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Capped exponential backoff with equal jitter: at least half the cap, so retries
        after a 429 (which carries no Retry-After) never bunch up at zero."""
        cap = min(self.max_delay, self.base_delay * (2**attempt))
        return rng.uniform(cap / 2, cap)


class Transport:
    def __init__(
        self,
        api_key: str,
        *,
        timeout: float | tuple[float, float],
        session: requests.Session | None,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        seed: int | None,
    ):
        self._api_key = api_key
        self.timeout = timeout
        self.session = session or requests.Session()
        self.retry = retry
        self.sleep = sleep
        self.clock = clock
        self._rng = random.Random(seed)
        self._local = threading.local()

    def call_api(self, method: str, url: str, path: str, *, json=None, idempotent: bool):
        """A JSON call to the API with the bearer key; returns (`data` object, x-request-id)."""
        headers = {"Authorization": f"Bearer {self._api_key}"}
        what = f"{method} {path}"
        response = self.request(
            method, url, json=json, headers=headers, what=what, target="api", idempotent=idempotent
        )
        request_id = response.headers.get("x-request-id")
        try:
            payload = response.json()
        except ValueError as exc:
            raise e.ProtocolError(f"{what} answered with non-JSON", request_id=request_id) from exc
        if not isinstance(payload, dict):
            raise e.ProtocolError(f"{what} answered with a non-object")
        return payload.get("data") or {}, request_id

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        target: Target,
        idempotent: bool = True,
        **kwargs,
    ) -> requests.Response:
        attempt = 0
        while True:
            started = self.clock()
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                self._record(method, url, kwargs, started, error=exc)
                if idempotent and attempt + 1 < self.retry.attempts:
                    self.sleep(self.retry.delay(attempt, self._rng))
                    attempt += 1
                    continue
                raise self._transport_error(what, exc, idempotent) from None
            self._record(method, url, kwargs, started, response=response)
            if response.status_code < 400:
                return response
            error = self._status_error(response, what, target)
            retryable = isinstance(error, e.RateLimitError) or (
                idempotent and isinstance(error, e.ServerError)
            )
            if retryable and attempt + 1 < self.retry.attempts:
                self.sleep(self.retry.delay(attempt, self._rng))
                attempt += 1
                continue
            raise error

    # -- recording -------------------------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[list[dict]]:
        trace: list[dict] = []
        previous = getattr(self._local, "trace", None)
        self._local.trace = trace
        try:
            yield trace
        finally:
            self._local.trace = previous

    def _record(self, method, url, kwargs, started, response=None, error=None) -> None:
        trace = getattr(self._local, "trace", None)
        if trace is None:
            return
        parts = urlsplit(url)
        entry: dict = {
            "at": time.time(),
            "method": method,
            "url": f"{parts.scheme}://{parts.netloc}{parts.path}",
            "elapsed": round(self.clock() - started, 4),
        }
        if "json" in kwargs and kwargs["json"] is not None:
            entry["request"] = kwargs["json"]
        elif "data" in kwargs:
            entry["request"] = {"bytes": len(kwargs["data"]), "headers": kwargs.get("headers")}
        if error is not None:
            entry["error"] = self.scrub(f"{type(error).__name__}: {error}")
        if response is not None:
            entry["status"] = response.status_code
            entry["request_id"] = response.headers.get("x-request-id")
            kind = response.headers.get("Content-Type", "")
            if "json" in kind:
                try:
                    entry["response"] = response.json()
                except ValueError:
                    entry["response"] = self.scrub(response.text[:500])
            else:
                entry["response"] = {"bytes": len(response.content), "content_type": kind}
                if "zip" in kind:
                    entry["raw"] = response.content
        trace.append(entry)

    # -- errors ----------------------------------------------------------------------------

    def _transport_error(self, what: str, exc: Exception, idempotent: bool) -> e.TransportError:
        kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
        hint = e.TransportError.default_hint
        if not idempotent:
            hint = (
                "The task may have been created and billed: do not re-run blindly; "
                "check your tasks before trying again."
            )
        return e.TransportError(self.scrub(f"{what} {kind}: {type(exc).__name__}"), hint=hint)

    def _status_error(
        self, response: requests.Response, what: str, target: Target
    ) -> e.ApiStatusError:
        status = response.status_code
        request_id = response.headers.get("x-request-id")
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = str(body.get("error") or body.get("message") or f"HTTP {status}")
            code = body.get("error_code")
        else:
            message, code = (response.text or f"HTTP {status}")[:200], None
        message = self.scrub(f"{what}: {message}")
        code = str(code) if code else None
        kwargs = {"status": status, "error_code": code, "request_id": request_id}
        hint = e.hint_for_code(code)
        if hint:
            kwargs["hint"] = hint
        if target != "api" and status < 500 and status != 429:
            # Presigned storage, not the API: its codes mean nothing to the API's tree.
            hint = "Result URLs expire after 2 hours: resume the task for fresh ones."
            if target == "upload":
                hint = "The storage refused the upload; upload the photo again."
            return e.ApiStatusError(message, status=status, request_id=request_id, hint=hint)
        return _status_class(status, code)(message, **kwargs)

    def scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def _status_class(status: int, code: str | None) -> type[e.ApiStatusError]:
    if status == 401:
        return e.AuthError
    if status == 429:
        return e.RateLimitError
    if status == 400:
        return {
            "InvalidTaskId": e.InvalidTaskIdError,
            "CreditInsufficiency": e.CreditInsufficientError,
        }.get(code or "", e.InvalidParametersError)
    if status == 500 and code == "TaskTimeout":
        return e.TaskTimeoutError
    if status >= 500:
        return e.ServerError
    return e.ApiStatusError

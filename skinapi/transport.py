"""HTTP for the client: one `requests.Session`, retries of failed requests, answers turned into
the error tree, and per-thread recording of every exchange with the key scrubbed.

Every exchange is bounded: its body is streamed with a byte cap (declared and actual), and a
deadline cuts it however slowly the server drips. How often a task is *polled* is the client's
business; this module only decides whether one failed *request* is tried again (Google api-core
keeps the two policies apart the same way)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import requests
import urllib3

from . import errors as e
from .backends import backend_of

Target = Literal["api", "upload", "download"]
"""Who answers: the API itself, the presigned upload storage, or the result file host."""
MAX_ANSWER_BYTES = 8 * 1024 * 1024
"""An API answer (JSON) larger than this is not one."""
_CHUNK = 256 * 1024
KEY_PIECE = 8
"""Any run of this many characters of the key is masked wherever it shows up."""


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


@dataclass(frozen=True)
class Reply:
    """An answer read in full (within its cap)."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _TooBig(Exception):
    pass


class _Late(Exception):
    pass


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
        self.timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.session = session or requests.Session()
        self.retry = retry
        self.sleep = sleep
        self.clock = clock
        self._rng = random.Random(seed)
        self._local = threading.local()
        self.answered_by: str | None = None
        """The backend of the last API answer (`backends.backend_of`); None before any."""

    def call_api(
        self, method: str, url: str, path: str, *, json=None, idempotent: bool, deadline=None
    ):
        """A JSON call to the API with the bearer key; returns (the answer object, request id)."""
        headers = {"Authorization": f"Bearer {self._api_key}"}
        what = f"{method} {path}"
        reply = self.request(
            method, url, json=json, headers=headers, what=what, target="api",
            idempotent=idempotent, deadline=deadline,
        )  # fmt: skip
        self.answered_by = backend_of(reply.headers)
        request_id = self.scrub(reply.request_id) if reply.request_id else None
        try:
            payload = reply.json()
        except ValueError as exc:
            raise e.ProtocolError(f"{what} answered with non-JSON", request_id=request_id) from exc
        if not isinstance(payload, dict):
            raise e.ProtocolError(f"{what} answered with a non-object", request_id=request_id)
        # Whatever the server put in its answer, the key goes no further than here.
        return self.scrub_json(payload), request_id

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        target: Target,
        idempotent: bool = True,
        max_bytes: int = MAX_ANSWER_BYTES,
        deadline: float | None = None,
        **kwargs,
    ) -> Reply:
        """One exchange, retried when that is safe. `deadline` (on this transport's clock) ends
        it however the server behaves; `max_bytes` caps the answer's body."""
        attempt = 0
        while True:
            started = self.clock()
            try:
                reply = self._exchange(method, url, kwargs, max_bytes, deadline)
            except _TooBig:
                self._record(method, url, kwargs, started, error=f"over {max_bytes} bytes")
                raise e.ProtocolError(
                    f"{what} answered with more than {max_bytes // (1024 * 1024)} MB",
                    hint="The answer is larger than any real one; nothing of it was kept.",
                ) from None
            except _Late:
                self._record(method, url, kwargs, started, error="deadline")
                raise self._transport_error(what, "ran past the deadline", idempotent) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                self._record(method, url, kwargs, started, error=exc)
                not_sent = _never_connected(exc)
                if (idempotent or not_sent) and attempt + 1 < self.retry.attempts:
                    self._pause(attempt, deadline, "The connection failed")
                    attempt += 1
                    continue
                if not_sent:
                    raise e.NotSentError(
                        self.scrub(f"{what} could not connect: {type(exc).__name__}")
                    ) from None
                kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
                raise self._transport_error(
                    what, f"{kind}: {type(exc).__name__}", idempotent
                ) from None
            self._record(method, url, kwargs, started, reply=reply)
            if reply.status < 400:
                return reply
            error = self._status_error(reply, what, target)
            if not idempotent and isinstance(error, e.ServerError):
                error.hint = _MAY_BE_BILLED
            retryable = isinstance(error, e.RateLimitError) or (
                idempotent and isinstance(error, e.ServerError)
            )
            if retryable and attempt + 1 < self.retry.attempts:
                reason = (
                    "Rate limited by the API"
                    if isinstance(error, e.RateLimitError)
                    else "The API had a server error"
                )
                self._pause(attempt, deadline, reason)
                attempt += 1
                continue
            raise error

    def _pause(self, attempt: int, deadline: float | None, reason: str) -> None:
        delay = self.retry.delay(attempt, self._rng)
        if deadline is not None:
            delay = min(delay, max(deadline - self.clock(), 0.0))
        if listener := getattr(self._local, "retry_listener", None):
            listener(
                f"{reason} — retrying in {delay:.1f} s "
                f"(attempt {attempt + 2} of {self.retry.attempts})"
            )
        self.sleep(delay)

    @contextmanager
    def retries_told_to(self, listener: Callable[[str], None] | None) -> Iterator[None]:
        """Within the block, each retry this thread makes is told to `listener` first."""
        previous = getattr(self._local, "retry_listener", None)
        self._local.retry_listener = listener
        try:
            yield
        finally:
            self._local.retry_listener = previous

    def _exchange(self, method, url, kwargs, max_bytes, deadline) -> Reply:
        if deadline is None:
            return self._fetch(method, url, kwargs, max_bytes, self.timeout, None)
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise _Late
        connect, read = self.timeout
        timeout = (min(connect, remaining), min(read, remaining))
        # The exchange runs in a worker so that the deadline holds even while the server
        # drips its headers; the worker stops at the next chunk once cancelled.
        cancel, box = threading.Event(), {}

        def work():
            try:
                box["reply"] = self._fetch(method, url, kwargs, max_bytes, timeout, cancel)
            except BaseException as exc:  # handed to the caller's thread as it is
                box["error"] = exc

        worker = threading.Thread(target=work, name="skinapi-request", daemon=True)
        worker.start()
        worker.join(remaining)
        if worker.is_alive():
            cancel.set()
            raise _Late
        if "error" in box:
            raise box["error"]
        return box["reply"]

    def _fetch(self, method, url, kwargs, max_bytes, timeout, cancel) -> Reply:
        response = self.session.request(method, url, timeout=timeout, stream=True, **kwargs)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _TooBig
            chunks, size = [], 0
            while True:
                if cancel is not None and cancel.is_set():
                    raise _Late
                chunk = response.raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise _TooBig
                chunks.append(chunk)
            return Reply(response.status_code, response.headers, b"".join(chunks))
        finally:
            response.close()

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

    def _record(self, method, url, kwargs, started, reply=None, error=None) -> None:
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
            entry["request"] = self.scrub_json(kwargs["json"])
        elif "data" in kwargs:
            entry["request"] = {"bytes": len(kwargs["data"]), "headers": kwargs.get("headers")}
        if error is not None:
            text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
            entry["error"] = self.scrub(text)
        if reply is not None:
            entry["status"] = reply.status
            entry["request_id"] = reply.request_id
            kind = reply.content_type
            if "json" in kind:
                try:
                    entry["response"] = self.scrub_json(reply.json())
                except ValueError:
                    entry["response"] = self.scrub(reply.text)[:500]
            else:
                entry["response"] = {"bytes": len(reply.body), "content_type": kind}
                if "zip" in kind:
                    entry["raw"] = reply.body
        trace.append(entry)

    # -- errors ----------------------------------------------------------------------------

    def _transport_error(self, what: str, happened: str, idempotent: bool) -> e.TransportError:
        hint = _MAY_BE_BILLED if not idempotent else e.TransportError.default_hint
        return e.TransportError(self.scrub(f"{what} {happened}"), hint=hint)

    def _status_error(self, reply: Reply, what: str, target: Target) -> e.ApiStatusError:
        status = reply.status
        try:
            body = reply.json()
        except ValueError:
            body = None
        code = None
        if isinstance(body, dict):
            message = body.get("error") or body.get("message") or f"HTTP {status}"
            message = message if isinstance(message, str) else json.dumps(message)
            message_text = message.strip().rstrip(".")
            code = body.get("error_code") if isinstance(body.get("error_code"), str) else None
            code = self.scrub(code) if code else None
        else:
            message = reply.text or f"HTTP {status}"
            message_text = ""
        # The key is masked before anything is cut, so no part of it survives a truncation.
        message = self.scrub(f"{what}: {self.scrub(message)[:300]}")
        request_id = self.scrub(reply.request_id) if reply.request_id else None
        kwargs = {"status": status, "error_code": code, "request_id": request_id}
        hint = e.hint_for_code(code)
        code = code or _DOCUMENTED_TEXTS.get(message_text.lower())
        kwargs["error_code"] = code
        hint = hint or e.hint_for_code(code)
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
        """`text` with the key masked, and any piece of it of KEY_PIECE characters or more: a
        server that echoes the key, whole or cut, never gets it printed or stored."""
        key = self._api_key
        if not key or not text:
            return text
        if len(key) <= KEY_PIECE:
            return text.replace(key, "***")
        hidden = [False] * len(text)
        for start in range(len(key) - KEY_PIECE + 1):
            piece, at = key[start : start + KEY_PIECE], text.find(key[start : start + KEY_PIECE])
            while at != -1:
                hidden[at : at + KEY_PIECE] = [True] * KEY_PIECE
                at = text.find(piece, at + 1)
        if not any(hidden):
            return text
        out, previous = [], False
        for char, masked in zip(text, hidden, strict=True):
            if masked and not previous:
                out.append("***")
            elif not masked:
                out.append(char)
            previous = masked
        return "".join(out)

    def scrub_json(self, value):
        """A JSON value with the key masked wherever it appears (an echoing server)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_json(v) for v in value]
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrub_json(v) for k, v in value.items()}
        return value


_MAY_BE_BILLED = (
    "The task may have been created and billed: do not re-run blindly; "
    "check your tasks before trying again."
)
_DOCUMENTED_TEXTS = {
    "invalid task id": "InvalidTaskId",
    "task execution timed out": "TaskTimeout",
}
"""The vendor's schemas document these errors with their text and no error_code
(tests/contract/error_400_invalid_task_id.json, error_500_task_timeout.json)."""


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


def _never_connected(exc: BaseException) -> bool:
    """The failure came before a connection existed, so the server never saw the request:
    even a create may go again. Anything later (a reset, a read timeout) may have reached it."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(
            cause,
            (requests.ConnectTimeout, urllib3.exceptions.NewConnectionError,
             urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError),
        ):  # fmt: skip
            return True
        nested = getattr(cause, "reason", None)
        if not isinstance(nested, BaseException) and cause.args:
            nested = cause.args[0]
        cause = nested if isinstance(nested, BaseException) else None
    return False

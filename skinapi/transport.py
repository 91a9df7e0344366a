"""HTTP for the client: one `requests.Session`, and every exchange sent, bounded and retried.

Every exchange is bounded: its body is streamed with a byte cap (declared and actual), and a
deadline cuts it however slowly the server drips. How often a task is *polled* is the client's
business; this module only decides whether one failed *request* is tried again (Google api-core
keeps the two policies apart the same way). What a failed answer means is `replies`' job;
masking the key, `scrubbing`'s; keeping a trace of the exchanges, `recording`'s."""

from __future__ import annotations

import hashlib
import queue
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import requests
import urllib3

from . import errors as e
from .backends import backend_of
from .parallel import Item, T, run_in_threads
from .recording import ExchangeRecorder
from .replies import MAY_BE_BILLED, Reply, Target, status_error
from .scrubbing import KeyScrubber

__all__ = ["MAX_ANSWER_BYTES", "Reply", "RetryPolicy", "Target", "Transport"]

MAX_ANSWER_BYTES = 8 * 1024 * 1024
"""An API answer (JSON) larger than this is not one."""
_CHUNK = 256 * 1024


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


class _TooBig(Exception):
    pass


class _Abandoned(Exception):
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
        self.key_fingerprint = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        """A digest of the key, never the key: names what is shared per key."""
        self.timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.session = session or _session()
        self.retry = retry
        self.sleep = sleep
        self.clock = clock
        self._rng = random.Random(seed)
        self._local = threading.local()
        self.scrubber = KeyScrubber(api_key)
        self._recorder = ExchangeRecorder(self.scrubber, clock)
        self.answered_by: str | None = None
        """The backend of the last API answer (`backends.backend_of`); None before any."""

    def call_api(
        self, method: str, url: str, path: str, *, json=None, idempotent: bool, deadline=None
    ):
        """A JSON call to the API with the bearer key; returns (the answer object, request id)."""
        headers = {"Authorization": f"Bearer {self._api_key}"}
        what = f"{method} {path}"
        reply = self.request(
            method,
            url,
            json=json,
            headers=headers,
            what=what,
            target="api",
            idempotent=idempotent,
            deadline=deadline,
        )
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
                self._recorder.record(method, url, kwargs, started, error=f"over {max_bytes} bytes")
                raise e.ProtocolError(
                    f"{what} answered with more than {max_bytes // (1024 * 1024)} MB",
                    hint="The answer is larger than any real one; nothing of it was kept.",
                ) from None
            except _Late:
                self._recorder.record(method, url, kwargs, started, error="deadline")
                raise self._transport_error(what, "ran past the deadline", idempotent) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                self._recorder.record(method, url, kwargs, started, error=exc)
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
            self._recorder.record(method, url, kwargs, started, reply=reply)
            if target == "api":  # an error is an answer too: a 401 says who answered
                self.answered_by = backend_of(reply.headers)
            if reply.status < 400:
                return reply
            error = status_error(reply, what, target, self.scrubber)
            if not idempotent and isinstance(error, e.ServerError):
                error.hint = MAY_BE_BILLED
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
        stop = getattr(self._local, "stop", None)
        if stop is not None and stop.is_set():
            raise _Abandoned  # in_parallel's caller has raised already: no more retries
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

    def in_parallel(
        self, work: Callable[[Item], T], items: Iterable[Item], workers: int
    ) -> list[T]:
        """`work` over `items`, `workers` at a time, on worker threads as if on this one: their
        exchanges go into this thread's recording, and their retries are told to this thread's
        listener on this thread (a listener may draw on a page), as they happen. Results come in
        the items' order; a failure is raised at once, and work under way retries no more."""
        items = list(items)
        if len(items) < 2:
            return [work(item) for item in items]
        trace = self._recorder.current()
        listener = getattr(self._local, "retry_listener", None)
        notes: queue.SimpleQueue[str] = queue.SimpleQueue()

        @contextmanager
        def as_this_thread(stop: threading.Event) -> Iterator[None]:
            with ExitStack() as stack:
                if trace is not None:
                    stack.enter_context(self._recorder.recording(trace))
                stack.enter_context(self.retries_told_to(notes.put if listener else None))
                self._local.stop = stop
                yield

        def tell() -> None:
            while listener is not None and not notes.empty():
                listener(notes.get())

        return run_in_threads(work, items, workers, worker_context=as_this_thread, tell=tell)

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

    # -- recording and the key ------------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[list[dict]]:
        with self._recorder.recording() as trace:
            yield trace

    def scrub(self, text: str) -> str:
        return self.scrubber.scrub(text)

    def scrub_json(self, value):
        return self.scrubber.scrub_json(value)

    def _transport_error(self, what: str, happened: str, idempotent: bool) -> e.TransportError:
        hint = MAY_BE_BILLED if not idempotent else e.TransportError.default_hint
        return e.TransportError(self.scrub(f"{what} {happened}"), hint=hint)


_BEFORE_CONNECTING = (
    requests.ConnectTimeout,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    ConnectionRefusedError,
)


def _never_connected(exc: BaseException) -> bool:
    """The failure came before a connection existed, so the server never saw the request:
    even a create may go again. Anything later (a reset, a read timeout) may have reached it."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, _BEFORE_CONNECTING):
            return True
        nested = getattr(cause, "reason", None)
        if not isinstance(nested, BaseException) and cause.args:
            nested = cause.args[0]
        cause = nested if isinstance(nested, BaseException) else None
    return False


CONNECTIONS_PER_HOST = 40
"""Kept open per host: a batch's 8 workers, each downloading 4 files at once, and its API calls
(requests keeps 10, and warns on stderr as it drops each one over that)."""


def _session() -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=CONNECTIONS_PER_HOST)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session

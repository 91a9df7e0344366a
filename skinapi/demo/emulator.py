"""A YouCam-compatible emulator: the same HTTP contract as the real API, on 127.0.0.1 only.

Demo mode and the tests run the real client against it. It refuses and judges by the
contract's own rules (`rules.py`), never by the client's validation or photo pre-flight, answers
in the shapes of the vendor's examples (tests/contract), rate-limits, expires unpolled tasks,
keeps finished ones, charges units on success only, and can inject faults (latency, 429s, 502s,
dropped connections, TaskTimeout, engine errors). Scores come from the demo engine
(`engine.py`), computed from the photo — not YouCam's AI.

What it reproduces: the three documented upload-reservation paths and a presigned-style PUT
(exact headers, no bearer); the legacy v1.1 upload, known from third-party evidence only
(`api.LEGACY_UPLOAD_PATH`); v2.0 and v2.1 tasks; JSON and ZIP results (ZIP as {"url"} or a bare
URL; score_info.json nested and full-precision as the vendor's samples); fresh
signed result URLs on every poll that stop working after `url_lifetime` (2 h); finished tasks
kept `result_retention` (24 h); running tasks that go unpolled for `task_expiry` expire; the
documented refusals only (unknown or mixed dst_actions, a bad format or a field of the wrong
type, credit, key); extra fields ignored; the documented photo rules and engine error codes;
`src_file_url` fetched (http/https); balance at top-level `results`; delete answers
{"status": 200}; `polling_interval` only when `send_polling_interval` is set (no vendor example
carries it); numeric x-request-id from the API, none from the file host; 5/s and 250/300 s rate
limits, per key and per IP address, on requests the API serves; units spent when a task
succeeds, polled or not. With `any_key` it takes any non-empty key not in angle brackets, units
and uploads per key.

What it simplifies (the README's "How faithful is demo mode" lists it too): heuristic scores and
masks; skin-type zone masks in JSON only; JSON mask names from the ZIP list; a never-uploaded
file ends `unknown_internal_error`; tasks in memory, at most MAX_KEPT_TASKS; `/_emulator/stats`.

This module is the front door: the server's life, authentication, rate limits and faults. The
API's paths are in `api.py`, the file host in `storage.py`, the task table in `tasks.py`.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from http.server import ThreadingHTTPServer
from urllib.parse import urlparse

from .answers import error, json_answer
from .api import ApiRoutes
from .config import DEMO_API_KEY, EmulatorConfig
from .handler import handler_for
from .request_log import RequestLog
from .storage import Storage
from .tasks import TaskTable

TOO_MANY_REQUESTS = {"status": 429, "error": "Too Many Requests"}
MAX_KEY_LENGTH = 512
"""Longer bearer keys are refused: with `any_key`, each key gets its own balance and rate
window, and a key is no place for a megabyte."""


class Emulator:
    """Start with `Emulator().start()`; `url` is the base URL to give the client."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ):
        """`clock` is what task expiry, processing time and rate windows are measured on; tests
        give one they can move forward instead of sleeping."""
        self.config = config or EmulatorConfig.from_env()
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self.request_log = RequestLog()
        """(method, path) of the requests received, for tests and benchmarks (bounded)."""
        self.rate_limited = 0
        self._limiter = RateLimiter(clock, lambda: self.config)
        self._tasks = TaskTable(clock, lambda: self.config)
        self._storage = Storage(
            self._tasks, clock, lambda: self.url, lambda: self.config.url_lifetime
        )
        self._engine_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-engine")
        self._api = ApiRoutes(
            self._tasks, self._storage, self._engine_pool, lambda: self.config, lambda: self.url
        )
        self._server = _QuietServer(("127.0.0.1", port), handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def creates(self) -> int:
        """Tasks created (each one billed if it succeeds)."""
        return self._tasks.creates

    @property
    def expired(self) -> int:
        """Running tasks dropped because no poll came in time."""
        return self._tasks.expired

    def start(self) -> Emulator:
        # A short poll interval: `stop` waits up to one for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="youcam-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._engine_pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def configure(self, **changes) -> None:
        """Swap the configuration (fault injection from the settings page, tests)."""
        with self._lock:
            self.config = replace(self.config, **changes)

    def balance(self, key: str = DEMO_API_KEY) -> float:
        return self._tasks.balance(key)

    def stats(self) -> dict:
        """Counts for tests and the Settings page; served at /_emulator/stats (not an API path)."""
        with self._lock:
            return {
                "creates": self.creates,
                "tasks": len(self._tasks),
                "expired": self.expired,
                "api_requests": self.api_requests(),
                "rate_limited": self.rate_limited,
            }

    def api_requests(self) -> int:
        """Requests to the API proper (not presigned uploads or result downloads)."""
        return self.request_log.api_requests

    # -- request handling (called from handler threads) ------------------------------------

    def refusal_before_body(self, method: str, path: str, headers):
        """The 401 an API request without a valid key gets before its body is read (a body
        of megabytes is no one's to send unauthenticated), or the refusal of an upload to a
        file never reserved; None to read on."""
        route = urlparse(path).path
        if route.startswith("/upload/"):
            refusal = self._storage.refusal_before_body(method, route, headers)
        elif route.startswith("/s2s/"):
            refusal = self._authenticate(headers)[1]
        else:
            return None
        if refusal is not None:
            self.request_log.append((method, path))
        return refusal

    def handle(
        self, method: str, path: str, headers, body: bytes, client: str = "127.0.0.1"
    ) -> tuple[int, dict, bytes]:
        config = self.config
        self.request_log.append((method, path))
        if config.latency:
            time.sleep(config.latency)
        url = urlparse(path)
        route = url.path
        if route.startswith("/upload/"):
            return self._storage.put(method, route, headers, body)
        if route.startswith("/files/"):
            return self._storage.get(method, route, url.query)
        if route == "/_emulator/stats" and method == "GET":
            return json_answer(200, self.stats())
        if not route.startswith("/s2s/"):
            return json_answer(404, {"status": 404, "error": "Not found"})
        key, refusal = self._authenticate(headers)
        if refusal:
            return refusal
        api_route = self._api.find(method, route)
        if api_route is None:
            return error(404, "NotFound", f"No route {method} {route}")
        # Only requests the API serves count against the limits.
        if not self._limiter.admit(f"key {key}", f"address {client}") or (
            config.fault_429_rate and self._rng.random() < config.fault_429_rate
        ):
            with self._lock:
                self.rate_limited += 1
            return json_answer(429, TOO_MANY_REQUESTS)
        try:
            payload = json.loads(body) if body else None
        except (ValueError, RecursionError):  # RecursionError: JSON nested a million deep
            return error(400, "BadRequest", "Request body is not valid JSON")
        try:
            return api_route(payload, key)
        except (TypeError, ValueError, KeyError, AttributeError):
            # A field of the wrong JSON type: the API answers 400, it does not hang up.
            return error(400, "InvalidParameters", "A field of the request has the wrong type")

    def fault_after(self, path: str) -> str | None:
        """A fault that strikes after the request was executed: ``drop`` or ``502``."""
        if not path.startswith("/s2s/"):
            return None
        config = self.config
        if config.fault_drop_rate and self._rng.random() < config.fault_drop_rate:
            return "drop"
        if config.fault_502_rate and self._rng.random() < config.fault_502_rate:
            return "502"
        return None

    def _authenticate(self, headers) -> tuple[str | None, tuple[int, dict, bytes] | None]:
        """The caller's API key, or the 401 the API answers instead."""
        value = headers.get("Authorization", "")
        if not value.startswith("Bearer "):
            return None, error(401, "InvalidApiKey", "Missing 'Bearer ' authorization")
        key = value[len("Bearer ") :].strip()
        if not key or len(key) > MAX_KEY_LENGTH or key.startswith("<"):
            return None, error(401, "InvalidApiKey", "Invalid API key")
        if self.config.any_key or key in self.config.api_keys:
            return key, None
        return None, error(401, "InvalidApiKey", "Invalid API key")


class RateLimiter:
    """The documented limits, per key and per IP address: `rate_per_second` a second and
    `rate_per_window` per `rate_window` seconds, counted over a sliding window. At most
    MAX_TRACKED keys and addresses are remembered; beyond them, the idle are forgotten, and
    while none is idle a newcomer is refused (with `any_key`, every key is a newcomer)."""

    MAX_TRACKED = 4096

    def __init__(self, clock: Callable[[], float], config: Callable[[], EmulatorConfig]):
        self._clock = clock
        self._config = config
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def admit(self, *callers: str) -> bool:
        """Whether a request from all of `callers` (its key, its address) may be served now;
        an admitted one counts against each."""
        config = self._config()
        if not config.rate_limit:
            return True
        now = self._clock()
        with self._lock:
            windows = [self._window(caller, now, config) for caller in callers]
            for hits in windows:
                last_second = sum(1 for t in hits if t > now - 1.0)
                if last_second >= config.rate_per_second or len(hits) >= config.rate_per_window:
                    return False

            def newcomers() -> int:
                return sum(caller not in self._hits for caller in callers)

            if newcomers() and len(self._hits) + newcomers() > self.MAX_TRACKED:
                self._forget_idle(now, config)  # which may forget a caller of this request
                if len(self._hits) + newcomers() > self.MAX_TRACKED:
                    return False
            for caller, hits in zip(callers, windows, strict=True):
                hits.append(now)
                self._hits[caller] = hits
        return True

    def _window(self, caller: str, now: float, config: EmulatorConfig) -> deque[float]:
        hits = self._hits.get(caller, deque())
        while hits and hits[0] < now - config.rate_window:
            hits.popleft()
        return hits

    def _forget_idle(self, now: float, config: EmulatorConfig) -> None:
        for caller in [c for c, hits in self._hits.items() if not self._window(c, now, config)]:
            del self._hits[caller]


class _QuietServer(ThreadingHTTPServer):
    """A client that resets or drops its connection is normal on the open internet, not a
    traceback on the app's terminal. At most MAX_CONNECTIONS are served at once (a thread
    each): one more is closed at once, so clients that stall cannot pile up threads."""

    MAX_CONNECTIONS = 256

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(self.MAX_CONNECTIONS)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        kind = sys.exc_info()[0]
        if kind is not None and issubclass(kind, (ConnectionError, TimeoutError)):
            return
        print(
            f"emulator: a request failed ({kind.__name__ if kind else 'unknown'})", file=sys.stderr
        )

"""A YouCam-compatible emulator: the same HTTP contract as the real API, on 127.0.0.1 only.

Demo mode and the tests run the real client against it. It checks what the API checks, answers
in the shapes of the vendor's examples (tests/contract), rate-limits, expires unpolled tasks,
keeps finished ones, charges units on success only, and can inject faults (latency, 429s, 502s,
dropped connections, TaskTimeout, engine errors). Scores come from the demo engine
(`engine.py`), computed from the photo — not YouCam's AI.

What it reproduces: the three upload-reservation paths and a presigned-style PUT (exact headers,
no bearer); v2.0 and v2.1 tasks; JSON and ZIP results (ZIP as {"url"} or a bare URL); fresh
signed result URLs on every poll that stop working after `url_lifetime` (2 h); finished tasks
kept `result_retention` (24 h); running tasks that go unpolled for `task_expiry` expire; the
documented refusals only (unknown or mixed dst_actions, a bad format, credit, key); extra fields
ignored; `src_file_url` fetched (http/https); balance at top-level `results`; delete answers
{"status": 200}; `polling_interval` only when `send_polling_interval` is set (no vendor example
carries it); numeric x-request-id from the API, none from the file host; 5/s and 250/300 s rate
limits on requests the API serves.

What it simplifies (the README's "How faithful is demo mode" lists it too): heuristic scores and
masks; skin-type masks for the whole face only; JSON mask names from the ZIP list; a never-uploaded
file ends `unknown_internal_error`; tasks in memory, at most MAX_KEPT_TASKS; `/_emulator/stats`.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from http.server import ThreadingHTTPServer
from urllib.parse import urlparse

from ..concerns import (
    CONCERNS,
    MINISERVER_BOOL_ARGS,
    MINISERVER_COLOR_ARGS,
    MINISERVER_OPACITY_ARGS,
    unit_cost,
    validation_problems,
)
from .answers import error as _error
from .answers import feature_cost
from .answers import json_answer as _json
from .answers import ok as _ok
from .config import DEMO_API_KEY, EmulatorConfig
from .handler import MAX_UPLOAD_BYTES, handler_for
from .work import Signer, Task, Upload, new_task_id, run_task

MAX_KEPT_UPLOADS = 64
MAX_KEPT_TASKS = 64
"""Tasks whose files are kept; the oldest finished ones are dropped beyond it."""


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
        self._clock = clock
        self.config = config or EmulatorConfig.from_env()
        self._lock = threading.Lock()
        self._uploads: dict[str, Upload] = {}
        self._tasks: dict[str, Task] = {}
        self._balance: dict[str, float] = {}
        self._hits: dict[str, deque] = {}
        self._rng = random.Random(self.config.seed)
        self._signer = Signer(clock)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-engine")
        self.request_log: list[tuple[str, str]] = []
        """(method, path) of every request received, for tests and benchmarks."""
        self.creates = self.rate_limited = self.expired = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

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
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def configure(self, **changes) -> None:
        """Swap the configuration (fault injection from the settings page, tests)."""
        with self._lock:
            self.config = replace(self.config, **changes)

    def balance(self, key: str = DEMO_API_KEY) -> float:
        with self._lock:
            return self._balance.get(key, self.config.starting_units)

    def stats(self) -> dict:
        """Counts for tests and the Settings page; served at /_emulator/stats (not an API path)."""
        with self._lock:
            return {"creates": self.creates, "tasks": len(self._tasks), "expired": self.expired,
                    "api_requests": self.api_requests(), "rate_limited": self.rate_limited}  # fmt: skip

    def api_requests(self) -> int:
        """Requests to the API proper (not presigned uploads or result downloads)."""
        return sum(1 for _, path in self.request_log if path.startswith("/s2s/"))

    # -- request handling (called from handler threads) ------------------------------------

    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict, bytes]:
        config = self.config
        self.request_log.append((method, path))
        if config.latency:
            time.sleep(config.latency)
        route = urlparse(path).path
        if route.startswith("/upload/"):
            return self._put_upload(method, route, headers, body)
        if route.startswith("/files/"):
            return self._get_file(method, route, urlparse(path).query)
        if route == "/_emulator/stats" and method == "GET":
            return _json(200, self.stats())
        if not route.startswith("/s2s/"):
            return _json(404, {"status": 404, "error": "Not found"})
        key, failure = self._authenticate(headers)
        if failure:
            return failure
        handler = self._route(method, route)
        if handler is None:
            return _error(404, "NotFound", f"No route {method} {route}")
        limited = self._rate_limited(key)  # only requests the API serves count
        if limited or (config.fault_429_rate and self._rng.random() < config.fault_429_rate):
            with self._lock:
                self.rate_limited += 1
            return limited or _json(429, {"status": 429, "error": "Too Many Requests"})
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return _error(400, "BadRequest", "Request body is not valid JSON")
        try:
            return handler(payload, key)
        except (TypeError, ValueError, KeyError, AttributeError):
            # A field of the wrong JSON type: the API answers 400, it does not hang up.
            return _error(400, "InvalidParameters", "A field of the request has the wrong type")

    def _route(self, method: str, route: str):
        routes = {
            ("POST", "/s2s/v2.0/file"): self._reserve,
            ("POST", "/s2s/v2.0/file/skin-analysis"): self._reserve,
            ("POST", "/s2s/v2.1/file/skin-analysis"): self._reserve,
            ("POST", "/s2s/v2.0/task/skin-analysis"): lambda p, k: self._create(p, k, "v2.0"),
            ("POST", "/s2s/v2.1/task/skin-analysis"): lambda p, k: self._create(p, k, "v2.1"),
            ("POST", "/s2s/v2.0/task/delete"): self._delete,
            ("GET", "/s2s/v1.0/client/credit"): self._credit,
            ("GET", "/s2s/v2.0/credit/feature-cost"): lambda p, k: _json(200, feature_cost()),
        }
        if handler := routes.get((method, route)):
            return handler
        for version in ("v2.0", "v2.1"):
            prefix = f"/s2s/{version}/task/skin-analysis/"
            if method == "GET" and route.startswith(prefix):
                task_id = route[len(prefix) :]
                return lambda payload, key: self._poll(task_id, key)
        return None

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

    def _authenticate(self, headers):
        value = headers.get("Authorization", "")
        if not value.startswith("Bearer "):
            return None, _error(401, "InvalidApiKey", "Missing 'Bearer ' authorization")
        key = value[len("Bearer ") :].strip()
        if key.startswith("<") or key not in self.config.api_keys:
            return None, _error(401, "InvalidApiKey", "Invalid API key")
        return key, None

    def _rate_limited(self, key: str):
        config = self.config
        if not config.rate_limit:
            return None
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] < now - config.rate_window:
                hits.popleft()
            last_second = sum(1 for t in hits if t > now - 1.0)
            if last_second >= config.rate_per_second or len(hits) >= config.rate_per_window:
                return _json(429, {"status": 429, "error": "Too Many Requests"})
            hits.append(now)
        return None

    def _reserve(self, payload, key):
        try:
            entry = payload["files"][0]
            content_type = str(entry["content_type"])
            file_size = entry["file_size"]
            if not isinstance(file_size, int) or isinstance(file_size, bool) or file_size < 1:
                raise ValueError
            if not isinstance(entry["file_name"], str):
                raise ValueError
        except (KeyError, IndexError, TypeError, ValueError):
            return _error(
                400, "InvalidParameters", "files[0] needs content_type, file_name, file_size"
            )
        if file_size > MAX_UPLOAD_BYTES:
            return _error(413, "PayloadTooLarge", "file_size is larger than an upload may be")
        if content_type not in ("image/jpeg", "image/jpg", "image/png"):
            return _error(400, "InvalidParameters", f"Unsupported content_type {content_type}")
        file_id = "file_" + uuid.uuid4().hex
        with self._lock:
            self._uploads[file_id] = Upload(file_id, content_type, file_size)
            while len(self._uploads) > MAX_KEPT_UPLOADS:  # the oldest reservations go first
                self._uploads.pop(next(iter(self._uploads)))
        upload = {
            "method": "PUT",
            "url": f"{self.url}/upload/{file_id}?X-Signature={uuid.uuid4().hex}",
            "headers": {"Content-Type": content_type, "Content-Length": str(file_size)},
        }
        return _ok(
            {
                "files": [
                    {
                        "content_type": content_type,
                        "file_name": entry["file_name"],
                        "file_id": file_id,
                        "requests": [upload],
                    }
                ]
            }
        )

    def _put_upload(self, method, route, headers, body):
        # Presigned storage refuses a second authentication mechanism, as S3 does.
        if method != "PUT":
            return _json(405, {"error": "MethodNotAllowed"})
        if "Authorization" in headers:
            return _json(400, {"error": "InvalidArgument: only one auth mechanism allowed"})
        file_id = route.rsplit("/", 1)[-1]
        with self._lock:
            upload = self._uploads.get(file_id)
        if upload is None:
            return _json(403, {"error": "SignatureDoesNotMatch"})
        if headers.get("Content-Type") != upload.content_type:
            return _json(403, {"error": "SignatureDoesNotMatch: Content-Type differs"})
        if len(body) != upload.file_size:
            return _json(400, {"error": "Content-Length differs from the declared file_size"})
        upload.data = body
        return 200, {}, b""

    def _create(self, payload, key, api_version):
        if not isinstance(payload, dict):
            return _error(400, "InvalidParameters", "Body must be a JSON object")
        actions = payload.get("dst_actions")
        if not isinstance(actions, list) or not actions:
            return _error(400, "InvalidParameters", "dst_actions is required")
        for action in actions:
            if not isinstance(action, str) or action not in CONCERNS:
                return _error(400, "InvalidParameters", f"Not available dst_action {action}")
        # What the API documents refusing, and nothing more: repeated actions count once,
        # unknown miniserver_args are ignored, pf_camera_kit is ignored on v2.0.
        actions = list(dict.fromkeys(actions))
        if len({CONCERNS[a].quality for a in actions}) > 1:
            return _error(400, "InvalidParameters", "cannot mix HD and SD dst_actions")
        known_args = MINISERVER_BOOL_ARGS + MINISERVER_COLOR_ARGS + MINISERVER_OPACITY_ARGS
        args = {
            k: v for k, v in dict(payload.get("miniserver_args") or {}).items() if k in known_args
        }
        problems = validation_problems(
            actions, payload.get("format", "zip"), api_version, args, None
        )
        if problems:
            return _error(400, "InvalidParameters", problems[0])
        has_id, has_url = "src_file_id" in payload, "src_file_url" in payload
        if has_id == has_url:
            return _error(400, "InvalidParameters", "Give exactly one of src_file_id, src_file_url")
        with self._lock:
            if self._balance.get(key, self.config.starting_units) < unit_cost(actions):
                return _error(400, "CreditInsufficiency", "Not enough units for this task")
            upload = self._uploads.get(payload.get("src_file_id")) if has_id else None
            if has_id and upload is None:
                return _error(400, "InvalidParameters", "src_file_id not found")
            now = self._clock()
            task = Task(
                task_id=new_task_id(),
                api_version=api_version,
                actions=tuple(actions),
                format=payload.get("format", "zip"),
                miniserver_args=args,
                key=key,
                created=now,
                last_poll=now,
            )
            self._tasks[task.task_id] = task
            self.creates += 1
        data = upload.data if upload else None
        source_url = payload.get("src_file_url") if has_url else None
        task.future = self._pool.submit(self._run_engine, task, data, source_url)
        return _ok({"task_id": task.task_id, **self._interval_field()})

    def _run_engine(self, task: Task, data: bytes | None, source_url: str | None) -> None:
        run_task(task, data, source_url, self.config.fault_engine_error, self._files_path(task))
        self._evict()

    def _evict(self) -> None:
        """Keep the files of at most MAX_KEPT_TASKS tasks: the oldest finished go first, as if
        they had expired, so a long demo session does not grow without end."""
        with self._lock:
            finished = [t for t in self._tasks.values() if t.future and t.future.done()]
            for task in finished[: max(len(self._tasks) - MAX_KEPT_TASKS, 0)]:
                self._tasks.pop(task.task_id, None)

    def _poll(self, task_id, key):
        now = self._clock()
        config = self.config
        with self._lock:
            task = self._tasks.get(task_id)
            expired = task is not None and (
                now - task.finished_at > config.result_retention
                if task.finished_at is not None
                else now - task.last_poll > config.task_expiry
            )
            if task is None or task.key != key or expired:
                if expired:
                    self.expired += self._tasks.pop(task_id).finished_at is None
                return _error(400, "InvalidTaskId", "Invalid task id")
            task.last_poll = now
        done = task.future.done() and now - task.created >= config.processing_time
        if not done:
            return _ok({"task_status": "running", **self._interval_field()})
        task.finished_at = task.finished_at if task.finished_at is not None else now
        if task.future.exception():
            task.error = task.error or "error_inference"
        if config.fault_task_timeout:
            return _error(500, "TaskTimeout", "Task execution timed out")
        if task.error:
            return _ok(
                {
                    "task_status": "error",
                    "error": task.error,
                    "error_message": "Skin analysis failed on this image",
                }
            )
        with self._lock:
            if not task.charged:
                cost = unit_cost(task.actions)
                self._balance[key] = self._balance.get(key, config.starting_units) - cost
                task.charged = True
        # Every poll hands out fresh URLs, each good for url_lifetime.
        if task.format == "zip":
            url = self._signed(f"{self._files_path(task)}/result.zip")
            results = url if config.zip_results_shape == "string" else {"url": url}
        else:
            output = [
                item | {"mask_urls": [self._signed(u) for u in item["mask_urls"]]}
                if "mask_urls" in item
                else item
                for item in task.output
            ]
            results = {"output": output}
        return _ok({"task_status": "success", "results": results})

    def _delete(self, payload, key):
        task_id = payload.get("task_id") if isinstance(payload, dict) else None
        if not isinstance(task_id, str):
            return _error(400, "InvalidParameters", "task_id is required")
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.key != key:
                return _error(400, "InvalidTaskId", "Invalid task id")
            if not task.future.done():
                return _error(400, "OperationInvalid", "The task has not finished yet")
            del self._tasks[task_id]
        return _json(200, {"status": 200})

    def _credit(self, payload, key):
        balance = self.balance(key)
        item = {"id": 13105541279084536, "type": "ApiPaygToken", "amount": int(balance),
                "amount_dec": balance, "expiry": 1893456000000}  # fmt: skip
        return _json(200, {"status": 200, "results": [item]})

    def _get_file(self, method, route, query: str = ""):
        parts = route.split("/")
        if method != "GET" or len(parts) != 4:
            return _json(404, {"error": "NotFound"})
        _, _, task_id, name = parts
        if not self._signer.holds(f"/files/{task_id}/{name}", query):
            return _json(403, {"error": "AccessDenied: Request has expired"})
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None or name not in task.files:
            return _json(404, {"error": "NoSuchKey"})
        kind = (
            "application/zip"
            if name.endswith(".zip")
            else ("image/png" if name.endswith(".png") else "image/jpeg")
        )
        return 200, {"Content-Type": kind}, task.files[name]

    def _files_path(self, task: Task) -> str:
        return f"/files/{task.task_id}"

    def _signed(self, path: str) -> str:
        return self.url + self._signer.sign(path, self.config.url_lifetime)

    def _interval_field(self) -> dict:
        return {"polling_interval": self._interval()} if self.config.send_polling_interval else {}

    def _interval(self) -> float:
        # Milliseconds only where the documented rule (> 100 means ms) reads them back right.
        seconds = self.config.polling_interval
        millis = int(round(seconds * 1000))
        return millis if self.config.interval_unit == "ms" and millis > 100 else seconds

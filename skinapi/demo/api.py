"""The emulator's API paths (`/s2s/…`) and what each answers: upload reservations, task
creation, polls, deletion, the balance and the price list. Requests reach them authenticated
and rate-limited (`emulator.py`); refusals follow the contract's rules (`rules.py`)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from .answers import error, feature_cost, json_answer, ok
from .config import EmulatorConfig
from .handler import MAX_UPLOAD_BYTES
from .rules import UPLOAD_CONTENT_TYPES, Refusal, read_task_request
from .storage import Storage, files_path
from .tasks import Task, TaskTable
from .work import run_task

LEGACY_UPLOAD_PATH = "/s2s/v1.1/file/skin-analysis"
"""An older upload path that clients written in 2025 still use. Known from third-party
evidence only (tests/contract/upload_reserve_v11_legacy_observed.json: what public clients read
from its answers, and a live finding that the older file path answers under `result`); no
current vendor document has it."""
MAX_FILE_NAME = 255
Answer = tuple[int, dict, bytes]
Route = Callable[[object, str], Answer]
"""Called with the parsed JSON body (or None) and the caller's API key."""


class ApiRoutes:
    def __init__(
        self,
        table: TaskTable,
        storage: Storage,
        engine_pool: Executor,
        config: Callable[[], EmulatorConfig],
        base_url: Callable[[], str],
    ):
        self._table = table
        self._storage = storage
        self._engine_pool = engine_pool
        self._config = config
        self._base_url = base_url

    def find(self, method: str, route: str) -> Route | None:
        routes: dict[tuple[str, str], Route] = {
            ("POST", "/s2s/v2.0/file"): self.reserve,
            ("POST", "/s2s/v2.0/file/skin-analysis"): self.reserve,
            ("POST", "/s2s/v2.1/file/skin-analysis"): self.reserve,
            ("POST", LEGACY_UPLOAD_PATH): lambda p, k: self.reserve(p, k, envelope="result"),
            ("POST", "/s2s/v2.0/task/skin-analysis"): lambda p, k: self.create(p, k, "v2.0"),
            ("POST", "/s2s/v2.1/task/skin-analysis"): lambda p, k: self.create(p, k, "v2.1"),
            ("POST", "/s2s/v2.0/task/delete"): self.delete,
            ("GET", "/s2s/v1.0/client/credit"): self.credit,
            ("GET", "/s2s/v2.0/credit/feature-cost"): self.feature_cost,
        }
        if route_for := routes.get((method, route)):
            return route_for
        for version in ("v2.0", "v2.1"):
            prefix = f"/s2s/{version}/task/skin-analysis/"
            if method == "GET" and route.startswith(prefix):
                task_id = route[len(prefix) :]
                return lambda payload, key: self.poll(task_id, key)
        return None

    def reserve(self, payload, key, envelope: str = "data") -> Answer:
        """An upload reservation; the legacy v1.1 path answers the same under `result`."""
        try:
            entry = payload["files"][0]
            content_type = entry["content_type"]
            file_size = entry["file_size"]
            if not isinstance(file_size, int) or isinstance(file_size, bool) or file_size < 1:
                raise ValueError
            if not isinstance(content_type, str) or not isinstance(entry["file_name"], str):
                raise ValueError
            if len(entry["file_name"]) > MAX_FILE_NAME:
                raise ValueError
        except (KeyError, IndexError, TypeError, ValueError):
            return error(
                400, "InvalidParameters", "files[0] needs content_type, file_name, file_size"
            )
        if file_size > MAX_UPLOAD_BYTES:
            return error(413, "PayloadTooLarge", "file_size is larger than an upload may be")
        if content_type not in UPLOAD_CONTENT_TYPES:
            return error(400, "InvalidParameters", f"Unsupported content_type {content_type:.40}")
        upload = self._table.reserve(content_type, file_size, key)
        reserved = {
            "content_type": content_type,
            "file_name": entry["file_name"],
            "file_id": upload.file_id,
            "requests": [self._storage.upload_request(upload)],
        }
        return json_answer(200, {"status": 200, envelope: {"files": [reserved]}})

    def feature_cost(self, payload, key) -> Answer:
        return json_answer(200, feature_cost(f"{self._base_url()}/s2s/v2.0/task/skin-analysis"))

    def create(self, payload, key, api_version: str) -> Answer:
        try:
            request = read_task_request(payload, api_version)
            task, upload = self._table.open_task(request, key, api_version)
        except Refusal as refusal:
            return error(400, refusal.code, refusal.message)
        data = upload.data if upload else None
        task.future = self._engine_pool.submit(self._run, task, data, request.src_file_url)
        return ok({"task_id": task.task_id, **self._interval_field()})

    def _run(self, task: Task, data: bytes | None, source_url: str | None) -> None:
        fault = self._config().fault_engine_error
        run_task(task, data, source_url, fault, files_path(task.task_id))
        self._table.evict()

    def poll(self, task_id: str, key: str) -> Answer:
        task = self._table.poll(task_id, key)
        if task is None:
            return error(400, "InvalidTaskId", "Invalid task id")
        if task.finished_at is None:
            return ok({"task_status": "running", **self._interval_field()})
        if self._config().fault_task_timeout:
            return error(500, "TaskTimeout", "Task execution timed out")
        if task.error:
            return ok(
                {
                    "task_status": "error",
                    "error": task.error,
                    "error_message": "Skin analysis failed on this image",
                }
            )
        return ok({"task_status": "success", "results": self._results(task)})

    def _results(self, task: Task) -> dict | str:
        """The results of a successful task, with fresh signed URLs: every poll hands out new
        ones, each good for `url_lifetime`."""
        if task.format == "zip":
            url = self._storage.signed_url(f"{files_path(task.task_id)}/result.zip")
            return url if self._config().zip_results_shape == "string" else {"url": url}
        output = [
            item | {"mask_urls": [self._storage.signed_url(u) for u in item["mask_urls"]]}
            if "mask_urls" in item
            else item
            for item in task.output
        ]
        return {"output": output}

    def delete(self, payload, key) -> Answer:
        task_id = payload.get("task_id") if isinstance(payload, dict) else None
        if not isinstance(task_id, str):
            return error(400, "InvalidParameters", "task_id is required")
        try:
            self._table.delete(task_id, key)
        except Refusal as refusal:
            return error(400, refusal.code, refusal.message)
        return json_answer(200, {"status": 200})

    def credit(self, payload, key) -> Answer:
        balance = self._table.balance(key)
        item = {
            "id": 13105541279084536,
            "type": "ApiPaygToken",
            "amount": int(balance),
            "amount_dec": balance,
            "expiry": 1893456000000,
        }
        return json_answer(200, {"status": 200, "results": [item]})

    def _interval_field(self) -> dict:
        config = self._config()
        if not config.send_polling_interval:
            return {}
        # Milliseconds only where the documented rule (> 100 means ms) reads them back right.
        millis = int(round(config.polling_interval * 1000))
        if config.interval_unit == "ms" and millis > 100:
            return {"polling_interval": millis}
        return {"polling_interval": config.polling_interval}

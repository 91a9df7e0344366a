"""The API's answers, checked where they arrive: an answer of the wrong shape becomes a
`ProtocolError` that names the field and the x-request-id, never a TypeError further in.

Every shape the contract or the vendor's examples list is accepted (see tests/contract)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ProtocolError
from .names import is_task_id, one_line

MAX_POLL_INTERVAL = 30.0


@dataclass(frozen=True)
class UploadSlot:
    file_id: str
    method: str
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class CreatedTask:
    task_id: str
    polling_interval: float | None
    request_id: str | None


@dataclass(frozen=True)
class TaskState:
    task_id: str
    status: str
    """``running``, ``success`` or ``error``."""
    polling_interval: float | None
    """Seconds, already converted from whatever unit the API used."""
    results: object = None
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None


class Answer:
    """One JSON object from the API, read field by field with its context for errors."""

    def __init__(self, value, what: str, *, request_id=None, task_id=None):
        self.what, self.request_id, self.task_id = what, request_id, task_id
        if not isinstance(value, dict):
            self.fail(f"is {_kind(value)}, not an object")
        self.value = value

    def fail(self, problem: str):
        raise ProtocolError(
            f"the API's answer did not follow the contract: {self.what} {problem}",
            request_id=self.request_id,
            task_id=self.task_id,
        )

    def get(self, name: str, kind: type | tuple, *, required: bool = False, default=None):
        value = self.value.get(name)
        if value is None:
            if required:
                self.fail(f"has no {name}")
            return default
        if not isinstance(value, kind) or isinstance(value, bool) and bool not in _tuple(kind):
            self.fail(f"has {name} as {_kind(value)}")
        return value

    def child(self, name: str, *, required: bool = True) -> Answer | None:
        value = self.value.get(name)
        if value is None and not required:
            return None
        return Answer(
            value, f"{self.what}.{name}", request_id=self.request_id, task_id=self.task_id
        )

    def items(self, name: str) -> list[Answer]:
        values = self.get(name, list, required=True)
        return [
            Answer(v, f"{self.what}.{name}[{i}]", request_id=self.request_id, task_id=self.task_id)
            for i, v in enumerate(values)
        ]


def data_of(payload, what: str, request_id: str | None, *, task_id=None) -> Answer:
    """The ``data`` object of an answer envelope."""
    return Answer(payload, what, request_id=request_id, task_id=task_id).child("data")


def reservation_of(payload, what: str, request_id: str | None) -> Answer:
    """An upload reservation's `files` holder: ``data`` in the vendor's documents, ``result``
    in recorded answers of the legacy v1.1 path (tests/contract/upload_reserve_v11_*)."""
    answer = Answer(payload, what, request_id=request_id)
    if answer.value.get("data") is None and isinstance(answer.value.get("result"), dict):
        return answer.child("result")
    return answer.child("data")


@dataclass(frozen=True)
class Sku:
    """One line of the unit price list (GET /s2s/v2.0/credit/feature-cost)."""

    description: str
    amount: float
    """Units per `unit`."""
    unit: str | None
    run_task_url: str | None
    """The task path this price applies to; the vendor's example has it, older answers may not."""


def skus(payload, request_id: str | None) -> list[Sku]:
    """The price list's items, under ``result.skus`` as in the vendor's example."""
    result = Answer(payload, "the feature-cost answer", request_id=request_id).child("result")
    return [
        Sku(
            item.get("description", str, default=""),
            float(item.get("amount", (int, float), required=True)),
            item.get("unit", str),
            item.get("run_task_url", str),
        )
        for item in result.items("skus")
    ]


def upload_slot(data: Answer) -> UploadSlot:
    files = data.items("files")
    if not files:
        data.fail("has an empty files list")
    entry = files[0]
    file_id = entry.get("file_id", (str, int), required=True)
    requests = entry.items("requests")
    if not requests:
        entry.fail("has an empty requests list")
    upload = requests[0]
    method = upload.get("method", str, default="PUT").upper()
    if method not in ("PUT", "POST"):
        upload.fail(f"has method {one_line(method, 20)!r}")
    url = http_url(upload, upload.get("url", str, required=True), "url")
    headers = upload.get("headers", dict, default={})
    for name, value in headers.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            upload.fail(f"has header {one_line(name, 40)!r} as {_kind(value)}")
    return UploadSlot(str(file_id), method, url, {str(k): str(v) for k, v in headers.items()})


def created_task(data: Answer) -> CreatedTask:
    task_id = data.get("task_id", str, required=True)
    if not is_task_id(task_id):
        data.fail(f"has a task_id that is not a plain id: {one_line(task_id, 60)!r}")
    return CreatedTask(
        task_id, interval_seconds(data.value.get("polling_interval")), data.request_id
    )


def task_state(data: Answer, task_id: str) -> TaskState:
    status = data.get("task_status", str, required=True)
    if status not in ("running", "success", "error"):
        data.fail(f"has task_status {one_line(status, 40)!r}")
    code = data.value.get("error") or data.value.get("error_code")
    return TaskState(
        task_id=task_id,
        status=status,
        polling_interval=interval_seconds(data.value.get("polling_interval")),
        results=data.value.get("results"),
        error_code=_text(code) if code else None,
        error_message=_text(data.value.get("error_message")) or None,
        request_id=data.request_id,
    )


def credit_items(payload, request_id: str | None) -> list[Answer]:
    """The balance's items: ``results`` at the top (the vendor's unit-system schema) or under
    ``data`` (older documents)."""
    answer = Answer(payload, "the credit answer", request_id=request_id)
    if isinstance(answer.value.get("results"), list):
        return answer.items("results")
    data = answer.child("data", required=False)
    if data is None:
        answer.fail("has neither results nor data.results")
    return data.items("results")


def http_url(answer: Answer, value: str, name: str) -> str:
    """A URL we may fetch: http or https, with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        answer.fail(f"has {name} that is not an http(s) URL: {one_line(value, 60)!r}")
    return value


def interval_seconds(value) -> float | None:
    """The API's `polling_interval`: above 100 it is milliseconds, else seconds; None when it is
    absent, not a finite positive number, so the caller's default applies. Capped so a misread
    unit cannot let a task expire unpolled."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    return min(value / 1000.0 if value > 100 else float(value), MAX_POLL_INTERVAL)


def _text(value) -> str:
    """A server's text for people: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)[:500]
    except (TypeError, ValueError):
        return repr(value)[:500]


def _kind(value) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _tuple(kind) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)

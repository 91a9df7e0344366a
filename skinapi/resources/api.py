"""What every resource calls through: the API at one base URL over one transport, and the clock
and sleep that deadlines and polls are measured with."""

from __future__ import annotations

from collections.abc import Callable

from .. import schema
from ..transport import Transport

SHORT_CALL_TIMEOUT = 60.0
"""The deadline of a call outside an analysis (balance, delete)."""


class Api:
    def __init__(
        self,
        http: Transport,
        base_url: str,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ):
        self.http = http
        self.base_url = base_url
        self.clock = clock
        self.sleep = sleep

    def call(self, method: str, path: str, *, json=None, idempotent: bool, deadline):
        """A JSON call to `path`; returns (the answer object, request id)."""
        return self.http.call_api(
            method, self.base_url + path, path, json=json, idempotent=idempotent, deadline=deadline
        )

    def data(self, method: str, path: str, *, json=None, idempotent: bool, deadline, task_id=None):
        """The `data` object of a JSON call's answer."""
        payload, request_id = self.call(
            method, path, json=json, idempotent=idempotent, deadline=deadline
        )
        return schema.data_of(payload, f"{method} {path}", request_id, task_id=task_id)

    def short_deadline(self) -> float:
        return self.clock() + SHORT_CALL_TIMEOUT

"""The emulator's table of uploads, tasks and unit balances, shared by the handler threads: when
an unpolled task expires, how long a finished one is kept, what a success is charged."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from .config import EmulatorConfig
from .rules import Refusal, TaskRequest, invalid, unit_cost

MAX_KEPT_UPLOADS = 64
"""Reservations kept per key: a key's oldest go first, so one key cannot push out another's."""
MAX_KEPT_UPLOADS_IN_ALL = 1024
MAX_KEPT_UPLOAD_BYTES = 512 * 1024 * 1024
"""Beyond these (many keys, with --any-key), the oldest reservations of any key go first."""
MAX_KEPT_TASKS = 64
"""Tasks whose files are kept; the oldest finished ones are dropped beyond it."""


@dataclass
class Upload:
    file_id: str
    content_type: str
    file_size: int
    key: str
    """The key that reserved it: a file is another key's to use only by its URL."""
    data: bytes | None = None


@dataclass
class Task:
    task_id: str
    api_version: str
    actions: tuple[str, ...]
    format: str
    miniserver_args: dict
    key: str
    created: float
    last_poll: float
    future: Future | None = None
    error: str | None = None
    charged: bool = False
    finished_at: float | None = None
    """When a poll first saw the task finished; from then on it is kept `result_retention`."""
    files: dict[str, bytes] = field(default_factory=dict)
    output: list | None = None


def new_task_id() -> str:
    """64 URL-safe characters, as the vendor's task ids are; never a leading dash, which a
    command line would read as an option."""
    while (task_id := secrets.token_urlsafe(48)).startswith("-"):
        pass
    return task_id


class TaskTable:
    def __init__(self, clock: Callable[[], float], config: Callable[[], EmulatorConfig]):
        """`config` gives the emulator's configuration as it is now: it can be swapped while
        tasks run."""
        self._clock = clock
        self._config = config
        self._lock = threading.Lock()
        self._uploads: dict[str, Upload] = {}
        self._tasks: dict[str, Task] = {}
        self._balance: dict[str, float] = {}
        self.creates = 0
        self.expired = 0
        """Running tasks dropped because no poll came in time."""

    def __len__(self) -> int:
        return len(self._tasks)

    def balance(self, key: str) -> float:
        config = self._config()
        with self._lock:
            self._charge_successes(self._clock(), config)
            return self._balance.get(key, config.starting_units)

    def reserve(self, content_type: str, file_size: int, key: str) -> Upload:
        upload = Upload("file_" + uuid.uuid4().hex, content_type, file_size, key)
        with self._lock:
            self._uploads[upload.file_id] = upload
            own = [u.file_id for u in self._uploads.values() if u.key == key]
            for file_id in own[: max(len(own) - MAX_KEPT_UPLOADS, 0)]:
                del self._uploads[file_id]
            while len(self._uploads) > MAX_KEPT_UPLOADS_IN_ALL or (
                self._uploaded_bytes() > MAX_KEPT_UPLOAD_BYTES
            ):
                self._uploads.pop(next(iter(self._uploads)))
        return upload

    def fill(self, upload: Upload, data: bytes) -> None:
        """An upload's bytes, as its PUT brought them; the oldest of any key's go when the
        uploads held in all pass MAX_KEPT_UPLOAD_BYTES."""
        with self._lock:
            upload.data = data
            while self._uploaded_bytes() > MAX_KEPT_UPLOAD_BYTES:
                self._uploads.pop(next(iter(self._uploads)))

    def _uploaded_bytes(self) -> int:
        return sum(len(u.data) for u in self._uploads.values() if u.data is not None)

    def upload(self, file_id: str) -> Upload | None:
        with self._lock:
            return self._uploads.get(file_id)

    def open_task(
        self, request: TaskRequest, key: str, api_version: str
    ) -> tuple[Task, Upload | None]:
        """A new running task and the upload it names; `Refusal` when the key's units cannot
        pay for it or its file was never reserved."""
        config = self._config()
        with self._lock:
            now = self._clock()
            self._charge_successes(now, config)
            if self._balance.get(key, config.starting_units) < unit_cost(request.actions):
                raise Refusal("CreditInsufficiency", "Not enough units for this task")
            upload = None
            if request.src_file_id is not None:
                upload = self._uploads.get(request.src_file_id)
                if upload is None or upload.key != key:
                    raise invalid("src_file_id not found")
            task = Task(
                task_id=new_task_id(),
                api_version=api_version,
                actions=request.actions,
                format=request.format,
                miniserver_args=request.miniserver_args,
                key=key,
                created=now,
                last_poll=now,
            )
            self._tasks[task.task_id] = task
            self.creates += 1
        return task, upload

    def poll(self, task_id: str, key: str) -> Task | None:
        """The task a poll asks for, or None when it is unknown, another key's or expired. A
        poll keeps a running task alive; the first poll that finds it done (and
        `processing_time` passed) marks it finished, which starts its retention."""
        now = self._clock()
        config = self._config()
        with self._lock:
            self._charge_successes(now, config)  # before an expired success is dropped
            task = self._tasks.get(task_id)
            expired = task is not None and (
                now - task.finished_at > config.result_retention
                if task.finished_at is not None
                else now - task.last_poll > config.task_expiry
            )
            if expired:
                self.expired += self._tasks.pop(task_id).finished_at is None
            if task is None or task.key != key or expired:
                return None
            task.last_poll = now
        if task.finished_at is None and _done(task, now, config):
            task.finished_at = now
            if task.future.exception():
                task.error = task.error or "error_inference"
        return task

    def _charge_successes(self, now: float, config: EmulatorConfig) -> None:
        """Take the units of every task that has succeeded, once, whether or not a poll has
        seen it: the API spends them on success, and a task that expires unpolled was paid
        for. Called with the lock held, before anything that reads or drops a task."""
        for task in self._tasks.values():
            if not task.charged and _succeeded(task, now, config):
                balance = self._balance.get(task.key, config.starting_units)
                self._balance[task.key] = balance - unit_cost(task.actions)
                task.charged = True

    def delete(self, task_id: str, key: str) -> None:
        config = self._config()
        with self._lock:
            now = self._clock()
            self._charge_successes(now, config)
            task = self._tasks.get(task_id)
            if task is None or task.key != key:
                raise Refusal("InvalidTaskId", "Invalid task id")
            if not _done(task, now, config):  # as a poll would say: still running
                raise Refusal("OperationInvalid", "The task has not finished yet")
            del self._tasks[task_id]

    def evict(self) -> None:
        """Keep the files of at most MAX_KEPT_TASKS tasks: the oldest finished go first, as if
        they had expired, so a long demo session does not grow without end."""
        config = self._config()
        with self._lock:
            now = self._clock()
            self._charge_successes(now, config)
            finished = [t for t in self._tasks.values() if _done(t, now, config)]
            for task in finished[: max(len(self._tasks) - MAX_KEPT_TASKS, 0)]:
                self._tasks.pop(task.task_id, None)

    def result_file(self, task_id: str, name: str) -> bytes | None:
        with self._lock:
            task = self._tasks.get(task_id)
        return task.files.get(name) if task else None


def _done(task: Task, now: float, config: EmulatorConfig) -> bool:
    """Finished as a poll would report it: the work is done and `processing_time` has passed."""
    return (
        task.future is not None
        and task.future.done()
        and now - task.created >= config.processing_time
    )


def _succeeded(task: Task, now: float, config: EmulatorConfig) -> bool:
    """Done without an engine error. The TaskTimeout fault is a poll's answer, not the task's
    fate: a later poll can still fetch the result (`resume`), so the task was paid for once it
    succeeded, whatever the polls said meanwhile."""
    return _done(task, now, config) and task.error is None and task.future.exception() is None

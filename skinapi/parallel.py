"""Work over several items on a few threads, for a caller that must keep its own thread: the
results come back in the items' order, what the workers report is told on the caller's thread,
and a failure is raised there at once, without waiting for work still under way."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

Item = TypeVar("Item")
T = TypeVar("T")
WAKE_S = 0.05
"""How often the caller's thread wakes to tell what the workers reported meanwhile."""


def run_in_threads(
    work: Callable[[Item], T],
    items: Iterable[Item],
    workers: int,
    *,
    worker_context: Callable[[threading.Event], AbstractContextManager] | None = None,
    tell: Callable[[], None] = lambda: None,
) -> list[T]:
    """`work` over `items`, `workers` at a time. Each worker thread runs inside
    `worker_context(stop)`; `stop` is set once the caller has its answer or has given up, and
    `tell()` runs on the caller's thread whenever it wakes. The first item to fail (the lowest
    of those failed so far) is raised: nothing more starts, and the workers are daemon
    threads, so work under way never holds up the process's exit."""
    items = list(items)
    todo: queue.SimpleQueue[tuple[int, Item]] = queue.SimpleQueue()
    for index, item in enumerate(items):
        todo.put((index, item))
    finished: queue.SimpleQueue[tuple[int, BaseException | None]] = queue.SimpleQueue()
    results: list = [None] * len(items)
    stop = threading.Event()

    def worker() -> None:
        with worker_context(stop) if worker_context else nullcontext():
            while not stop.is_set():
                try:
                    index, item = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = work(item)
                except BaseException as exc:  # handed to the caller's thread as it is
                    finished.put((index, exc))
                else:
                    finished.put((index, None))

    for _ in range(min(workers, len(items))):
        threading.Thread(target=worker, name="skinapi-parallel", daemon=True).start()
    try:
        for _ in items:
            while True:
                try:
                    index, error = finished.get(timeout=WAKE_S)
                    break
                except queue.Empty:
                    tell()
            tell()
            if error is not None:
                failed = {index: error}
                while not finished.empty():
                    index, error = finished.get()
                    if error is not None:
                        failed[index] = error
                raise failed[min(failed)]
        return results
    finally:
        stop.set()

"""A batch's photo checks spread over the cores: each photo is judged in a worker process
(the checks are ~50 ms of CPU each and mostly hold the GIL, so threads leave a core idle), at
most a few photos ahead of the one the caller is waiting for, so a thousand photos are never
all in memory at once. Small sets are judged in threads: starting a process costs more than
checking a handful of photos."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context

from ..errors import PhotoError
from ..names import one_line
from .photo_check import Verdict, checked

PROCESSES_FROM = 12
"""Below this many photos to check, threads: a worker process takes ~0.4 s to start."""
AHEAD_PER_WORKER = 2


def judge(raw: bytes, quality: str) -> Verdict:
    """Every pre-flight check of `raw` at `quality`, as `analyze` runs them; a photo that cannot
    be read is blocked with the reason."""
    try:
        return checked(raw, quality)
    except PhotoError as exc:
        return Verdict((one_line(exc, 300),))
    except Exception as exc:  # a photo no decoder expected must not end the whole batch
        return Verdict((f"cannot be checked ({type(exc).__name__})",))


class PhotoJudge:
    """Judges photos in parallel, a few ahead of the caller: `submit` returns a future, and
    `busy` says how many are not yet collected. The pool starts with the first photo that
    needs a look (a plan of photos all checked before starts none). Leaving the `with` (a
    Ctrl-C included) drops what is queued and waits only for the photos being checked."""

    def __init__(self, expected: int, workers: int | None = None):
        self.workers = workers or usable_cores()
        self.ahead = self.workers * AHEAD_PER_WORKER
        self._expected = expected
        self._pool: Executor | None = None
        self._futures: set[Future] = set()

    @property
    def busy(self) -> int:
        return len(self._futures)

    def submit(self, raw: bytes, quality: str) -> Future:
        if self._pool is None:
            self._pool = _pool(self._expected, self.workers)
        with _ctrl_c_held_while_workers_start(self._pool):
            future = self._pool.submit(judge, raw, quality)
        self._futures.add(future)
        return future

    def collect(self, future: Future) -> Verdict:
        try:
            return future.result()
        finally:
            self._futures.discard(future)

    def __enter__(self) -> PhotoJudge:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pool(count: int, workers: int) -> Executor:
    if count < PROCESSES_FROM or workers < 2:
        return ThreadPoolExecutor(max(workers, 2), thread_name_prefix="photo-check")
    # Spawned, not forked: the caller may be a server with threads (and locks) of its own.
    return ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_leave_ctrl_c_to_the_caller
    )


@contextmanager
def _ctrl_c_held_while_workers_start(pool: Executor) -> Iterator[None]:
    """A worker is started inside `submit`, and reads how to start from a pipe the caller
    writes after starting it: a Ctrl-C raised in between left the worker an empty pipe, and it
    printed a traceback of its own (EOFError). So inside `submit` a Ctrl-C is only noted, and
    raised again once the submit has returned. Blocking the signal in this thread alone does not
    do: the pool's own threads take it, and Python still runs its handler here. The worker
    inherits this thread's blocked SIGINT until its initializer ignores it."""
    if (
        not isinstance(pool, ProcessPoolExecutor)
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    noted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        signal.signal(signal.SIGINT, previous)
        if noted:
            signal.raise_signal(signal.SIGINT)


def _leave_ctrl_c_to_the_caller() -> None:
    # Ctrl-C reaches the whole process group; the caller stops the plan and shuts the pool, so
    # a worker finishing its photo quietly is what it should do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

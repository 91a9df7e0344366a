"""Who is working on a stored run right now.

A run is leased from before its record is written until it ends, by whichever session, CLI
command or batch runs it. A window that finds the run unfinished in the store takes it over only
when no one holds its lease: otherwise it would poll the task a second time (spending the key's
request budget, blocking its page while it waits) or mark a create that is still in flight as
lost. A batch leases all its runs at once with its batch lock.

Each run store keeps its own leases (`RunStore.leases`): the SQLite store's are `flock` locks on
files in the data folder (`FileLeases`: each open file holds its own, so two sessions of one
server exclude each other as two processes do, and a process that dies, however it dies, lets go
of them); the shared store's live in PostgreSQL (`postgres_leases`), so replicas and CLI
processes on other machines see them too. Where a store cannot hold a lease, runs go unleased,
as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..errors import StoreError
from ..names import safe_name
from .base import RunStore
from .ids import checked_run_id

UNLEASED = "unleased"
"""What `run_lease` yields when the store cannot hold a lease: go on, as before leases."""
LEASE_TRIES = 5
"""A check (`busy`) holds the lock for a moment: a holder tries again before giving up."""


def try_often(attempt: Callable[[], bool]) -> bool:
    """`attempt` (take a lock without waiting) LEASE_TRIES times, a little apart."""
    for tries in range(LEASE_TRIES):
        if attempt():
            return True
        time.sleep(0.02 * (tries + 1))
    return False


@contextmanager
def lock_file(path: Path) -> Iterator[bool]:
    """An exclusive lock on `path`, without waiting: yields whether it is held. Raises OSError
    when the file cannot be opened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class FileLeases:
    """Leases as lock files in the data folder: runs under ``leases/``, batches under
    ``batch-locks/``."""

    def __init__(self, data: Path):
        self.data = data

    def path(self, kind: str, name: str) -> Path:
        if kind == "run":
            # Beside the runs' folders, not in one: the lease is taken before the run's
            # record exists, and nothing of a run goes into its folder before that.
            return self.data / "leases" / f"{name}.lock"
        if kind in ("photo", "rate"):  # `name` is a digest (runs.same_photo, budget_share)
            return self.data / "leases" / f"{kind}-{safe_name(name, max_length=64)}.lock"
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        return self.data / "batch-locks" / f"{safe_name(name, max_length=60)}-{digest}.lock"

    @contextmanager
    def hold(self, kind: str, name: str) -> Iterator[bool]:
        """The lease, without waiting long: yields whether it is held. Raises OSError when
        the folder cannot hold a lock."""
        with ExitStack() as stack:

            def attempt() -> bool:
                inner = ExitStack()
                if inner.enter_context(lock_file(self.path(kind, name))):
                    stack.push(inner.pop_all())
                    return True
                inner.close()
                return False

            yield try_often(attempt)

    def busy(self, kind: str, name: str) -> bool:
        path = self.path(kind, name)
        if not path.exists():
            return False  # a holder makes the file before it locks it
        try:
            with lock_file(path) as held:
                return not held
        except OSError:
            return False


@contextmanager
def run_lease(store: RunStore | None, run_id: str | None) -> Iterator[bool | str]:
    """Held while the caller works on run `run_id`. Yields True when held, False when someone
    else holds it, and UNLEASED when there is no store or it cannot hold a lease."""
    with ExitStack() as stack:
        held: bool | str = UNLEASED
        if store is not None and run_id is not None:
            try:
                checked_run_id(run_id)
                held = stack.enter_context(store.leases.hold("run", run_id))
            except (OSError, StoreError):
                held = UNLEASED
        yield held


PHOTO_WAIT_POLL = 0.1
"""Seconds between looks at a photo's lease while another holds it."""


@contextmanager
def photo_lease(
    store: RunStore | None,
    name: str,
    *,
    wait: float,
    on_wait: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[bool | str, bool]]:
    """Held while the caller analyses one photo with one set of settings on one backend
    (`name`: a digest of the three), so that two windows, processes or replicas sharing the store
    never create its task twice at the same moment. While another holds it this waits, up to
    `wait` seconds, for it to let go. Yields (held, waited): held as `run_lease` says it (False:
    still held by another after `wait`), waited whether another held it first — then its
    result may be in the store, ready to adopt. `on_wait` is called when the waiting begins."""
    waited = False
    deadline = time.monotonic() + wait
    while True:
        with ExitStack() as stack:
            held: bool | str = UNLEASED
            if store is not None:
                try:
                    held = stack.enter_context(store.leases.hold("photo", name))
                except (OSError, StoreError):
                    held = UNLEASED
            if held is not False or time.monotonic() >= deadline:
                yield held, waited
                return
        if not waited and on_wait is not None:
            on_wait()
        waited = True
        while time.monotonic() < deadline and _photo_busy(store, name):
            sleep(PHOTO_WAIT_POLL)


def _photo_busy(store: RunStore, name: str) -> bool:
    try:
        return store.leases.busy("photo", name)
    except (OSError, StoreError):
        return False


def run_busy(store: RunStore, run_id: str) -> bool:
    """Someone works on the run now (a session, the CLI or a batch of this or another process)."""
    try:
        checked_run_id(run_id)
        return store.leases.busy("run", run_id)
    except (OSError, StoreError):
        return False


def batch_busy(store: RunStore, batch: str) -> bool:
    """The batch named `batch` is running now, here or in another process."""
    try:
        return bool(batch) and store.leases.busy("batch", batch)
    except (OSError, StoreError):
        return False

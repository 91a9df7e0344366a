"""Who is working on a stored run right now.

A run is leased from before its record is written until it ends, by whichever session, CLI
command or batch runs it. A window that finds the run unfinished in the store takes it over only
when no one holds its lease: otherwise it would poll the task a second time (spending the key's
request budget, blocking its page while it waits) or mark a create that is still in flight as
lost. A batch leases all its runs at once with its batch lock.

Leases are `flock` locks on files in the data folder: each open file holds its own, so two
sessions of one server exclude each other as two processes do, and a process that dies, however
it dies, lets go of them. Where the folder cannot hold a lock, runs go unleased, as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..errors import StoreError
from ..names import safe_name
from . import RunStore


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


def run_lease_path(store: RunStore, run_id: str) -> Path:
    # Beside the runs' folders, not in one: the lease is taken before the run's record exists,
    # and nothing of a run goes into its folder before that.
    store.folder(run_id)  # a checked id
    return store.path.parent / "leases" / f"{run_id}.lock"


def batch_lock_path(store: RunStore, batch: str) -> Path:
    digest = hashlib.sha256(batch.encode()).hexdigest()[:12]
    return store.path.parent / "batch-locks" / f"{safe_name(batch, max_length=60)}-{digest}.lock"


UNLEASED = "unleased"
"""What `run_lease` yields when the data folder cannot hold a lock: go on, as before leases."""
LEASE_TRIES = 5
"""A check (`run_busy`) holds the lock for a moment: a holder tries again before giving up."""


@contextmanager
def run_lease(store: RunStore | None, run_id: str | None) -> Iterator[bool | str]:
    """Held while the caller works on run `run_id`. Yields True when held, False when someone
    else holds it, and UNLEASED when there is no store or it cannot hold a lock."""
    with ExitStack() as stack:
        held: bool | str = UNLEASED
        if store is not None and run_id is not None:
            try:
                held = take(stack, run_lease_path(store, run_id))
            except (OSError, StoreError):
                held = UNLEASED
        yield held


def take(stack: ExitStack, path: Path) -> bool:
    """The lock on `path`, entered into `stack`, trying LEASE_TRIES times; whether it is held.
    Raises OSError when the file cannot be opened."""
    for attempt in range(LEASE_TRIES):
        inner = ExitStack()
        if inner.enter_context(lock_file(path)):
            stack.push(inner.pop_all())
            return True
        inner.close()
        time.sleep(0.02 * (attempt + 1))
    return False


def _busy(path: Path) -> bool:
    if not path.exists():
        return False  # a holder makes the file before it locks it
    try:
        with lock_file(path) as held:
            return not held
    except OSError:
        return False


def run_busy(store: RunStore, run_id: str) -> bool:
    """Someone works on the run now (a session, the CLI or a batch of this or another process)."""
    try:
        return _busy(run_lease_path(store, run_id))
    except StoreError:
        return False


def batch_busy(store: RunStore, batch: str) -> bool:
    """The batch named `batch` is running now, here or in another process."""
    return bool(batch) and _busy(batch_lock_path(store, batch))

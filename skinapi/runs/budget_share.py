"""A request budget shared with the other batches on the same key: in other processes, or on
other machines sharing the run store. The API's rate limits are per key, so two batches that
each spend the whole of them get 429s. Each running batch holds one of `SLOTS` sharing leases
(named by the API's URL and a digest of the key) in the store's leases — lock files beside a
SQLite history, advisory locks in PostgreSQL — and every `REFRESH_S` counts the held ones,
taking its part of each window (`RequestBudget.share`: 5 per second for two is 3 and 2). A batch
that joins sends nothing until the others have shrunk and their last second has passed; a batch
that ends, however it ends, lets go of its slot, and the others take its part back one window
later. A window longer than the short one is dealt out the same way, without knowing what a
batch spent before the others joined: a late joiner may meet 429s there, and backs off.

Per key and URL, not per IP: two machines' batches on one key share; on two keys they do not."""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from ..errors import StoreError
from ..store import RunStore
from .budget import ARRIVAL_ALLOWANCE, RequestBudget

SLOTS = 8
"""Batches on one key that share its limits; a ninth runs on its own part alone."""
REFRESH_S = 0.25


def scope_of(base_url: str, key_fingerprint: str) -> str:
    return hashlib.sha256(f"{base_url.rstrip('/')}\0{key_fingerprint}".encode()).hexdigest()[:24]


@contextmanager
def shared_budget(store: RunStore | None, budget: RequestBudget, scope: str) -> Iterator[int]:
    """Held while a batch spends `budget`: its part follows the number of batches sharing
    `scope`. Yields how many shared it at first (1: alone, or the store holds no leases)."""
    with ExitStack() as stack:
        mine = _take_slot(stack, store, scope) if store is not None else None
        if mine is None:
            yield 1
            return
        stop = threading.Event()

        def count() -> int:
            held = [i for i in range(SLOTS) if i == mine or _busy(store, scope, i)]
            budget.share(held.index(mine), len(held))
            return len(held)

        def keep_counting() -> None:
            while not stop.wait(REFRESH_S):
                count()

        sharers = count()
        budget.recount_with(count, REFRESH_S)
        if sharers > 1:  # the others spend their whole part until their next count
            budget.hold_off(REFRESH_S + budget.limits.shortest.seconds + ARRIVAL_ALLOWANCE)
        thread = threading.Thread(target=keep_counting, name="budget-share", daemon=True)
        thread.start()
        try:
            yield sharers
        finally:
            stop.set()
            thread.join()
            budget.recount_with(None, math.inf)


def _take_slot(stack: ExitStack, store: RunStore, scope: str) -> int | None:
    for slot in range(SLOTS):
        if _busy(store, scope, slot):
            continue
        attempt = ExitStack()
        try:
            held = attempt.enter_context(store.leases.hold("rate", f"{scope}-{slot}"))
        except (OSError, StoreError):
            attempt.close()
            return None
        if held:
            stack.push(attempt.pop_all())
            return slot
        attempt.close()
    return None


def _busy(store: RunStore, scope: str, slot: int) -> bool:
    try:
        return store.leases.busy("rate", f"{scope}-{slot}")
    except (OSError, StoreError):
        return False

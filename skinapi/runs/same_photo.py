"""One task for one analysis of one photo: while a window, process or replica analyses a photo
with some settings on some backend at some URL, it holds a lease on the four (in the run store's
leases, so every machine sharing the store sees it). A second one at the same moment waits for
it to let go, then adopts its stored result instead of creating the same task again; one that is
still waiting after its timeout sends nothing and says the photo is being analysed elsewhere.
An analysis started after the first one ended is a deliberate new one, and is sent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import ExitStack

from ..backends import BACKENDS
from ..errors import StoreError
from ..store import RunRecord, RunStore
from ..store.leases import photo_lease

WAITING_ELSEWHERE = "the same analysis of this photo is running elsewhere: waiting for its result"
ELSEWHERE = object()
"""What `claim` returns when another still holds the lease after the wait."""


def same_analysis(run: RunRecord) -> str:
    """The lease's name: a digest of the photo's hash, the settings, the backend and the URL
    (a task is known only where it was created: the same photo sent to two hosts is two)."""
    settings = json.dumps(run.settings.to_dict(), sort_keys=True)
    text = f"{run.photo_hash}\0{settings}\0{run.backend}\0{run.base_url.rstrip('/')}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def claim(
    stack: ExitStack,
    store: RunStore,
    run: RunRecord,
    *,
    timeout: float,
    on_wait: Callable[[], None] | None = None,
):
    """The lease on `run`'s analysis, held by `stack` (for the rest of the run). None: go on
    and send it; a RunRecord: the success another stored while this waited, to adopt;
    ELSEWHERE: another still holds the lease after `timeout` seconds."""
    before = newest_result(store, run)
    lease = photo_lease(store, same_analysis(run), wait=timeout, on_wait=on_wait)
    held, waited = stack.enter_context(lease)
    if held is False:
        return ELSEWHERE
    stored = newest_result(store, run) if waited else None
    if stored is None or (before is not None and stored.id == before.id):
        return None
    return stored


def newest_result(store: RunStore, run: RunRecord) -> RunRecord | None:
    """The newest stored success of this analysis at the same URL: on the backend asked for,
    or on the other one (SkinScope's emulator behind a --base-url records as ``emulator``)."""
    url = run.base_url.rstrip("/")
    try:
        for backend in (run.backend, *(b for b in BACKENDS if b != run.backend)):
            stored = store.find_result(run.photo_hash, run.settings, backend)
            if stored is not None and stored.base_url.rstrip("/") == url:
                return stored
    except StoreError:
        pass
    return None

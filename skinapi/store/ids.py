"""Ids: a run's, made here and checked before one read back from a database names a file or a
lease (a damaged history never points outside the store), and a photo's, from its bytes."""

from __future__ import annotations

import hashlib
import re
import time
import uuid

from ..errors import StoreError

RUN_ID = re.compile(r"[0-9]{8}-[0-9]{6}-(?:[0-9a-f]{16}|[0-9a-f]{6})")
"""Run ids: when (sortable, readable in a folder listing) and 64 random bits. Histories from
before kept 24 random bits (``-[0-9a-f]{6}``), which collided at about 30,000 runs."""


def photo_hash(data: bytes) -> str:
    """A photo's id: its bytes' digest, the same on every replica."""
    return hashlib.sha256(data).hexdigest()[:16]


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:16]


FRESH_HINT = (
    "Start a fresh run store on the History page (it keeps the old file beside it), or move "
    "runs.sqlite3 out of the data folder yourself."
)


def checked_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise StoreError(
            f"The run store holds a run id SkinScope never writes ({run_id!r:.40})",
            hint=FRESH_HINT,
        )
    return run_id

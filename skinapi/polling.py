"""How often a task is polled and for how long, for a single run and a batch alike. Retrying a
failed *request* is the transport's separate policy (`transport.RetryPolicy`)."""

from __future__ import annotations

import math

DEFAULT_POLL_INTERVAL = 2.0
MIN_POLL_INTERVAL = 0.2
"""The API allows 5 requests per second: no interval it names makes us poll faster."""
DEFAULT_WAIT_TIMEOUT = 300.0


def poll_interval(answered: float | None, previous: float, minimum: float) -> float:
    """The one polling rule, for a single run and a batch alike: the API's `polling_interval`
    when its answer names one, else the interval before (first: DEFAULT_POLL_INTERVAL), never
    faster than `minimum` (the rate limit)."""
    return max(previous if answered is None else answered, minimum)


def polls_bound(processing_time: float, interval: float) -> int:
    """The most polls a task of known duration should take: ceil(T / I) + 1."""
    return math.ceil(processing_time / interval) + 1 if interval > 0 else 1

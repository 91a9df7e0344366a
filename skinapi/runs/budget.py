"""The request budget a batch spends: the API's rate windows as token buckets, one budget shared
by every thread of the batch.

The API allows 5 requests per second and 250 per 300 s (per key and per IP), each counted over a
sliding window, and answers 429 without Retry-After beyond them. Only the API's own requests
(``/s2s/…``) count: the presigned upload and the result downloads go to storage, not to the API.

A classic bucket that refills continuously at N per W seconds admits up to 2N requests in some
window of W seconds, which a sliding window refuses. So a token here comes back one window after
the request that spent it reached the API. That moment is not known exactly: it lies between
sending and the answer, so the token returns W seconds after the answer, or after the send plus
`ARRIVAL_ALLOWANCE` when the answer takes longer than that (a slow answer is the API working, not
the request travelling). A 429 all the same (another client on the same key) drains the budget
for a while, doubling while 429s follow each other.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ARRIVAL_ALLOWANCE = 0.5
"""Seconds a request may take to reach the API after it is sent (a new TLS connection, a busy
machine); it holds a token longer only when the answer itself takes longer."""
RETURN_MARGIN = 0.01
"""Clock granularity: a token comes back this much after the window has passed."""
MAX_BACKOFF = 30.0
"""The longest pause after 429s in a row."""


@dataclass(frozen=True)
class RateWindow:
    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}"

    @property
    def rate(self) -> float:
        """Requests per second over the whole window."""
        return self.requests / self.seconds


@dataclass(frozen=True)
class RateLimits:
    """The API's rate windows; the default is the documented 5 per second and 250 per 300 s."""

    windows: tuple[RateWindow, ...] = (RateWindow(5, 1.0), RateWindow(250, 300.0))

    @classmethod
    def parse(cls, text: str) -> RateLimits:
        """``R/S,N/WINDOW_S`` (any number of windows), e.g. ``5/1,250/300``; ValueError says
        what is wrong."""
        windows = []
        for part in str(text).split(","):
            count, slash, seconds = part.strip().partition("/")
            try:
                window = RateWindow(int(count), float(seconds))
            except ValueError:
                window = None
            if not slash or window is None:
                raise ValueError(
                    f"{part.strip()[:40]!r} is not REQUESTS/SECONDS, e.g. 5/1 or 250/300"
                )
            if window.requests < 1 or not math.isfinite(window.seconds) or window.seconds <= 0:
                raise ValueError(
                    f"{part.strip()[:40]!r} allows no request: give at least 1 request in a "
                    "positive number of seconds, e.g. 5/1"
                )
            windows.append(window)
        return cls(tuple(sorted(windows, key=lambda w: w.seconds)))

    def __str__(self) -> str:
        return ",".join(str(w) for w in self.windows)

    @property
    def shortest(self) -> RateWindow:
        return min(self.windows, key=lambda w: w.seconds)

    @property
    def longest(self) -> RateWindow:
        return max(self.windows, key=lambda w: w.seconds)

    def bound(self, requests: int) -> float:
        """The least time `requests` requests take under these limits: requests ÷ the short
        window's rate, or the longer windows' bound when larger (N go out at the short rate,
        then the next N one window after the first of them, …)."""
        if requests <= 0:
            return 0.0
        short = self.shortest
        best = requests / short.rate
        for window in self.windows:
            if window is short:
                continue
            full, rest = divmod(requests - 1, window.requests)
            best = max(best, full * window.seconds + (rest + 1) / short.rate)
        return best


class Ticket:
    """One request's tokens, one from each window, held until the request is answered."""

    __slots__ = ("sent_at", "settled")

    def __init__(self):
        self.sent_at: float | None = None
        """When the request went out (`RequestBudget.sending`); while None, only its answer
        bounds when it reached the API."""
        self.settled = False


class _Bucket:
    def __init__(self, window: RateWindow):
        self.window = window
        self.held = 0
        """Tokens of requests not answered yet."""
        self.returns: list[float] = []
        """When each spent token comes back (a heap)."""
        self.cap = window.requests
        """This budget's part of the window: all of it, unless other processes share it."""
        self.raise_to: tuple[int, float] | None = None
        """A larger part and when it applies: once a sharer's requests have left the window."""

    def available(self, now: float) -> int:
        while self.returns and self.returns[0] <= now:
            heapq.heappop(self.returns)
        if self.raise_to is not None and self.raise_to[1] <= now:
            self.cap, self.raise_to = self.raise_to[0], None
        return self.cap - self.held - len(self.returns)

    def reshare(self, cap: int, now: float) -> None:
        """A smaller part applies at once; a larger one one window later (the requests of a
        batch that ended still count at the API until then)."""
        if cap <= self.cap:
            self.cap, self.raise_to = cap, None
        elif self.raise_to is None or self.raise_to[0] != cap:
            self.raise_to = (cap, now + self.window.seconds + ARRIVAL_ALLOWANCE + RETURN_MARGIN)

    def next_return(self, now: float) -> float:
        """Seconds until a spent token comes back; inf when only an answer can free one."""
        self.available(now)
        return self.returns[0] - now if self.returns else math.inf


class RequestBudget:
    """Every API request of a batch takes a `Ticket` first and gives it back when answered.
    Thread-safe; `clock` and `sleep` are injectable for tests."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.limits = limits or RateLimits()
        self._clock, self._sleep = clock, sleep
        self._buckets = [_Bucket(w) for w in self.limits.windows]
        self._lock = threading.Lock()
        self._paused_until = -math.inf
        self._in_a_row = 0
        self.requests = 0
        """Requests that went out (tickets given back as sent)."""
        self.rate_limited = 0
        """429 answers received."""
        self._recount: Callable[[], None] | None = None
        self._recount_every = math.inf
        self._recount_lock = threading.Lock()
        self._shared_at = -math.inf

    def recount_with(self, recount: Callable[[], None] | None, every: float) -> None:
        """Before a ticket, a part older than `every` seconds is first counted again by
        `recount` (which calls `share`): the thread that counts on time may be held up on a
        busy machine, and a part kept past another batch's joining overspends the key."""
        self._recount, self._recount_every = recount, every

    def _part_is_fresh(self) -> None:
        if self._recount is None:
            return
        with self._recount_lock:
            if self._clock() - self._shared_at >= self._recount_every:
                self._recount()

    def try_take(self) -> Ticket | None:
        """A ticket if every window has a token now, else None."""
        self._part_is_fresh()
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return None
            if any(b.available(now) < 1 for b in self._buckets):
                return None
            for bucket in self._buckets:
                bucket.held += 1
            return Ticket()

    def take(self, stop: threading.Event | None = None) -> Ticket | None:
        """Wait for a ticket (None only when `stop` is set first); for a request that goes out
        after a pause of its own, such as a transport retry."""
        while stop is None or not stop.is_set():
            ticket = self.try_take()
            if ticket is not None:
                return ticket
            wait = self.wait()
            self._sleep(min(wait, 0.05) if math.isfinite(wait) else 0.02)
        return None

    def sending(self, ticket: Ticket) -> None:
        """The request goes out now (a ticket may wait for a free thread first)."""
        ticket.sent_at = self._clock()

    def give_back(self, ticket: Ticket, *, sent: bool = True) -> None:
        """The request was answered (or failed): its tokens come back one window after it
        reached the API. `sent=False`: it never went out, so they come back at once."""
        with self._lock:
            if ticket.settled:
                return
            ticket.settled = True
            now = self._clock()
            arrived = (
                now if ticket.sent_at is None else min(now, ticket.sent_at + ARRIVAL_ALLOWANCE)
            )
            for bucket in self._buckets:
                bucket.held -= 1
                if sent:
                    heapq.heappush(bucket.returns, arrived + bucket.window.seconds + RETURN_MARGIN)
            if sent:
                self.requests += 1

    def answered(self, *, rate_limited: bool) -> None:
        """What the API said to a request: a 429 pauses every request for the short window,
        twice as long for each 429 in a row; any other answer ends the series."""
        with self._lock:
            if not rate_limited:
                self._in_a_row = 0
                return
            self.rate_limited += 1
            self._in_a_row += 1
            pause = min(self.limits.shortest.seconds * 2 ** (self._in_a_row - 1), MAX_BACKOFF)
            self._paused_until = max(self._paused_until, self._clock() + pause)

    def share(self, rank: int, sharers: int) -> None:
        """Spend only part of each window: `sharers` budgets (this one the `rank`-th, from 0)
        in other processes or on other machines spend the same key's windows. Each window's
        requests are dealt out whole, the first ones one more (5 per second for two: 3 and 2),
        so together they never exceed it."""
        with self._lock:
            now = self._shared_at = self._clock()
            for bucket in self._buckets:
                whole, extra = divmod(bucket.window.requests, max(sharers, 1))
                bucket.reshare(max(whole + (1 if rank < extra else 0), 1), now)

    def hold_off(self, seconds: float) -> None:
        """Send nothing for `seconds` (a batch that joins others lets them shrink first)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def wait(self) -> float:
        """Seconds until `try_take` may succeed: 0 now, inf while only answers can free a token."""
        with self._lock:
            now = self._clock()
            wait = max(self._paused_until - now, 0.0)
            for bucket in self._buckets:
                if bucket.available(now) < 1:
                    wait = max(wait, bucket.next_return(now))
            return wait

    def headroom(self, window: RateWindow) -> int:
        """Tokens of `window` free now."""
        with self._lock:
            bucket = next(b for b in self._buckets if b.window == window)
            return bucket.available(self._clock())

    def left_in_window(self) -> int:
        """Requests that could go out now within the longest window."""
        return self.headroom(self.limits.longest)

"""The emulator's record of the requests it received, for tests and benchmarks: bounded, so a
long demo session (or someone sending it ten thousand long URLs) cannot grow the app's memory
without end."""

from __future__ import annotations

import threading

MAX_ENTRIES = 10_000
MAX_PATH = 300


class RequestLog:
    """(method, path) of each request, newest `MAX_ENTRIES` kept, paths cut at `MAX_PATH`.
    Indices and `len` count every request ever received, so `log[before:]` still means "the
    requests since `before`" once old ones are dropped; counts by kind never drop."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: list[tuple[str, str]] = []
        self._dropped = 0
        self._max = max_entries
        self._lock = threading.Lock()
        self.api_requests = 0
        """Requests to the API proper (/s2s/…), however many were dropped."""

    def append(self, entry: tuple[str, str]) -> None:
        method, path = entry
        with self._lock:
            self._entries.append((method[:16], path[:MAX_PATH]))
            self.api_requests += path.startswith("/s2s/")
            if len(self._entries) > self._max:
                cut = len(self._entries) - self._max // 2
                del self._entries[:cut]
                self._dropped += cut

    def __len__(self) -> int:
        return self._dropped + len(self._entries)

    def __getitem__(self, index):
        """`log[i]` and `log[start:stop]` by the count of requests ever received."""
        with self._lock:
            kept, dropped = list(self._entries), self._dropped
        if isinstance(index, slice):
            if index.step is not None or (index.start or 0) < 0 or (index.stop or 0) < 0:
                return kept[index]
            start = max((index.start or 0) - dropped, 0)
            stop = None if index.stop is None else max(index.stop - dropped, 0)
            return kept[start:stop]
        return kept[index - dropped if index >= 0 else index]

    def __iter__(self):
        with self._lock:
            return iter(list(self._entries))

    def __eq__(self, other) -> bool:
        return (
            list(self) == list(other) if isinstance(other, (list, RequestLog)) else NotImplemented
        )

    __hash__ = None

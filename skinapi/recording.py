"""Per-thread recording of HTTP exchanges, for debug bundles: method, URL without its query
(presigned signatures stay out), status, x-request-id, timings, the JSON sent and received,
all with the key masked. A thread records only inside its own `recording()` block."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from .replies import Reply
from .scrubbing import KeyScrubber


class ExchangeRecorder:
    def __init__(self, scrubber: KeyScrubber, clock: Callable[[], float]):
        self._scrubber = scrubber
        self._clock = clock
        self._local = threading.local()

    @contextmanager
    def recording(self, trace: list[dict] | None = None) -> Iterator[list[dict]]:
        """Within the block, this thread's exchanges go into `trace` (a new one by default;
        another thread's, to record work done on its behalf)."""
        trace = [] if trace is None else trace
        previous = getattr(self._local, "trace", None)
        self._local.trace = trace
        try:
            yield trace
        finally:
            self._local.trace = previous

    def current(self) -> list[dict] | None:
        """This thread's trace, None when it is not recording."""
        return getattr(self._local, "trace", None)

    def record(
        self,
        method: str,
        url: str,
        kwargs: dict,
        started: float,
        reply: Reply | None = None,
        error: BaseException | str | None = None,
    ) -> None:
        """One exchange, ended by `reply` or `error`, when this thread is recording."""
        trace = getattr(self._local, "trace", None)
        if trace is None:
            return
        scrub, scrub_json = self._scrubber.scrub, self._scrubber.scrub_json
        try:
            parts = urlsplit(url)
            where = f"{parts.scheme}://{parts.netloc}{parts.path}"
        except ValueError:  # recording a failure must not raise one of its own
            where = "(a URL that does not parse)"
        entry: dict = {
            "at": time.time(),
            "method": method,
            "url": where,
            "elapsed": round(self._clock() - started, 4),
        }
        if "json" in kwargs and kwargs["json"] is not None:
            entry["request"] = scrub_json(kwargs["json"])
        elif "data" in kwargs:
            entry["request"] = {"bytes": len(kwargs["data"]), "headers": kwargs.get("headers")}
        if error is not None:
            text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
            entry["error"] = scrub(text)
        if reply is not None:
            entry["status"] = reply.status
            entry["request_id"] = reply.request_id
            kind = reply.content_type
            if "json" in kind:
                try:
                    entry["response"] = scrub_json(reply.json())
                except ValueError:
                    entry["response"] = scrub(reply.text)[:500]
            else:
                entry["response"] = {"bytes": len(reply.body), "content_type": kind}
                if "zip" in kind:
                    entry["raw"] = reply.body
        trace.append(entry)

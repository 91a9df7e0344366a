"""A batch running in the background: it outlives the script run that started it (a click, a
page switch or another tab only looks at it), and it can be asked to stop."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from ..client import Client
from ..errors import SkinApiError
from ..names import one_line
from ..runs.batch import BatchProgress, BatchSummary, RateLimits, run_batch
from ..runs.batch_plan import BatchPlan
from ..store import RunStore


@dataclass
class BatchJob:
    batch: str
    plan: BatchPlan | None
    """None once the batch has ended."""
    backend: str
    stop: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.time)
    progress: BatchProgress | None = None
    summary: BatchSummary | None = None
    error: str | None = None
    """Why the batch ended early, in one line; the runs it created are in the run store."""
    thread: threading.Thread | None = None
    sendable: int = 0

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


@st.cache_resource(show_spinner=False)
def _jobs() -> dict[str, BatchJob]:
    """Every batch of this server process by name: a second tab sees the one running."""
    return {}


def job(batch: str) -> BatchJob | None:
    return _jobs().get(batch)


def running_job() -> BatchJob | None:
    return next((j for j in _jobs().values() if j.running), None)


def start(
    plan: BatchPlan,
    client: Client,
    store: RunStore,
    *,
    batch: str,
    backend: str,
    rate: RateLimits | None = None,
    person: str = "",
) -> BatchJob:
    """Run `plan` as `batch` on a thread of its own; one batch at a time shares the key's
    rate limit, so a second start while one runs is refused by the caller. `person` (read in
    the page's script: the thread has no session) is recorded on every run."""
    started = BatchJob(batch, plan, backend, sendable=len(plan.sendable))

    def work() -> None:
        try:
            started.summary = run_batch(
                plan,
                client,
                store,
                batch=batch,
                backend=backend,
                rate=rate,
                on_progress=lambda progress: setattr(started, "progress", progress),
                stop=started.stop,
                person=person,
            )
        except SkinApiError as exc:
            started.error = one_line(str(exc))
        except Exception as exc:  # the thread must end with a reason, never silently
            started.error = one_line(f"The batch stopped unexpectedly ({type(exc).__name__})")
        finally:
            started.sendable = len(plan.sendable)
            started.plan = None  # its photos' bytes (a whole ZIP) would stay for the process

    started.thread = threading.Thread(target=work, name=f"batch {batch}", daemon=True)
    _jobs()[batch] = started
    started.thread.start()
    return started

"""A batch's requests, each made in the batch's thread pool under the shared request budget.

The scheduler (batch.py) takes a request's ticket before handing it here; a retry the transport
makes on its own (after a 429, a server error or a failed connection) takes a ticket of its own
first, so no request leaves outside the budget. Only the API's requests take tickets: the
presigned upload and the result downloads go to storage.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass, field

from ..client import DEFAULT_POLL_INTERVAL, Client, content_type_of
from ..concerns import AnalysisSettings
from ..errors import RateLimitError, SkinApiError
from ..names import safe_name
from ..results import AnalysisResult
from ..schema import CreatedTask, TaskState
from ..store import Reservation
from .batch_ledger import BatchRecorder
from .batch_plan import PlannedPhoto
from .budget import RequestBudget, Ticket

REQUEST_DEADLINE = 60.0
TRANSFER_DEADLINE = 180.0
"""An upload, or the result downloads of one photo."""
_RATE_LIMITED_NOTE = "Rate limited"
"""How the transport's retry note begins after a 429 (Client.retries_told_to)."""


@dataclass(eq=False)
class BatchRun:
    """One photo of a running batch, and how far it got."""

    photo: PlannedPhoto
    store_id: str | None = None
    phase: str = "queued"
    """queued → reserving → uploaded → creating → polling ⇄ downloading → done | failed."""
    task_id: str | None = None
    file_id: str | None = None
    interval: float = DEFAULT_POLL_INTERVAL
    next_poll: float = 0.0
    polls: int = 0
    waiting_since: float = 0.0
    started: float = 0.0
    attempts: int = 0
    poll_failures: int = 0
    downloads: int = 0
    exchanges: list = field(default_factory=list)
    reservation: Reservation | None = None
    """Units set aside against the daily caps before its create (kept once it may be billed)."""


class BatchCalls:
    def __init__(
        self,
        client: Client,
        budget: RequestBudget,
        batch_recorder: BatchRecorder,
        settings: AnalysisSettings,
    ):
        self.client, self.budget, self.batch_recorder, self.settings = (
            client,
            budget,
            batch_recorder,
            settings,
        )

    def _api(self, ticket: Ticket, call):
        """One API request under `ticket`; each retry the transport makes takes its own."""
        held = [ticket]

        def on_retry(note: str) -> None:
            self.budget.give_back(held[0])
            self.budget.answered(rate_limited=note.startswith(_RATE_LIMITED_NOTE))
            held[0] = self.budget.take()

        try:
            with self.client.retries_told_to(on_retry):
                self.budget.sending(ticket)
                value = call()
        except SkinApiError as exc:
            self.budget.give_back(held[0])
            self.budget.answered(rate_limited=isinstance(exc, RateLimitError))
            raise
        self.budget.give_back(held[0])
        self.budget.answered(rate_limited=False)
        return value

    def upload(self, job: BatchRun, ticket: Ticket) -> str:
        try:
            data = job.photo.read()
            # Never send what the history cannot remember.
            job.store_id = self.batch_recorder.begin(job.photo, data, job.store_id)
        except SkinApiError:
            self.budget.give_back(ticket, sent=False)
            raise
        name = safe_name(posixpath.basename(job.photo.file), fallback="photo.jpg")
        slot = self._api(
            ticket,
            lambda: self.client.reserve_upload(
                file_name=name,
                content_type=content_type_of(data),
                file_size=len(data),
                deadline=time.monotonic() + REQUEST_DEADLINE,
            ),
        )
        self.client.upload(slot, data, deadline=time.monotonic() + TRANSFER_DEADLINE)
        return slot.file_id

    def create(self, job: BatchRun, ticket: Ticket) -> CreatedTask:
        created = self._api(
            ticket,
            lambda: self.client.create_task(
                self.settings,
                src_file_id=job.file_id,
                deadline=time.monotonic() + REQUEST_DEADLINE,
            ),
        )
        # Stored from this thread the moment it is known: a kill a moment later loses nothing.
        self.batch_recorder.created(job.store_id, created.task_id, self.client.answered_by)
        return created

    def poll(self, job: BatchRun, ticket: Ticket) -> TaskState:
        return self._api(
            ticket,
            lambda: self.client.get_task(
                job.task_id,
                api_version=self.settings.api_version,
                deadline=time.monotonic() + REQUEST_DEADLINE,
            ),
        )

    def download(self, job: BatchRun, state: TaskState) -> AnalysisResult:
        result = self.client.fetch_result(
            state, self.settings, deadline=time.monotonic() + TRANSFER_DEADLINE
        )
        result.note_missing(self.settings.actions)
        self.batch_recorder.recorder.succeeded(
            job.store_id,
            result,
            duration=time.monotonic() - job.started,
            units=self.settings.units,
        )
        return result

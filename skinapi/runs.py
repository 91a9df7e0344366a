"""Analyses recorded in the run store: stored before the task is created, updated as they go,
resumable after an interruption or a restart. Importable without Streamlit."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from .client import Client, Progress
from .concerns import AnalysisSettings
from .errors import DeadlineExceeded, InvalidTaskIdError, SkinApiError
from .results import AnalysisResult
from .store import RunStore, StoredRun

EXPIRED_MESSAGE = (
    "The API no longer knows this task: it expired because it was not polled in time (or the "
    "demo emulator restarted). Its units may have been spent."
)


NOT_SENT_MESSAGE = "Interrupted before its task was created: nothing was billed."


def mark_unsent(store: RunStore, run_id: str) -> None:
    """A run stored but stopped before its create request: it ends here, unbilled."""
    store.update(run_id, state="error", error_code="NotSent", error_message=NOT_SENT_MESSAGE)


def analyze_recorded(
    client: Client,
    store: RunStore,
    run_id: str,
    photo: bytes,
    settings: AnalysisSettings,
    *,
    file_name: str = "photo.jpg",
    on_progress: Callable[[Progress], None] | None = None,
    on_task_created: Callable[[str], None] | None = None,
) -> AnalysisResult:
    """Analyse a run that `store.begin` recorded: the task_id is stored the moment it exists."""

    def created(task_id: str) -> None:
        store.update(run_id, task_id=task_id, state="running")
        if on_task_created:
            on_task_created(task_id)

    return _recorded(
        client,
        store,
        run_id,
        settings,
        lambda progress: client.analyze(
            photo, settings, file_name=file_name, on_progress=progress, on_task_created=created
        ),
        on_progress,
    )


def resume_recorded(
    client: Client,
    store: RunStore,
    run: StoredRun,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> AnalysisResult:
    """Poll a stored run's task again and finish it; a run with no task_id was never sent."""
    if not run.task_id:
        mark_unsent(store, run.id)
        raise SkinApiError(NOT_SENT_MESSAGE)
    settings = run.analysis_settings
    return _recorded(
        client,
        store,
        run.id,
        settings,
        lambda progress: client.resume(run.task_id, settings, on_progress=progress),
        on_progress,
    )


def _recorded(client, store, run_id, settings, work, on_progress) -> AnalysisResult:
    phases: list[dict] = []
    start = time.monotonic()

    def progress(p: Progress) -> None:
        if not phases or phases[-1]["phase"] != p.phase or p.phase == "waiting":
            phases.append(
                {"phase": p.phase, "at": round(p.elapsed, 3), "polls": p.polls,
                 "interval": p.interval, "task_status": p.task_status}
            )  # fmt: skip
        if on_progress:
            on_progress(p)

    with client.recording() as trace:
        try:
            result = work(progress)
        except DeadlineExceeded as exc:
            _save_debug(store, run_id, trace, phases, settings)
            store.update(run_id, error_message=str(exc))
            raise
        except InvalidTaskIdError as exc:
            _save_debug(store, run_id, trace, phases, settings)
            store.update(
                run_id, state="expired", error_code=exc.error_code, error_message=EXPIRED_MESSAGE
            )
            raise
        except SkinApiError as exc:
            _save_debug(store, run_id, trace, phases, settings)
            store.update(run_id, state="error", error_code=exc.error_code, error_message=str(exc))
            raise
    _save_debug(store, run_id, trace, phases, settings)
    previous = store.get(run_id)
    duration = (previous.duration or 0.0) + time.monotonic() - start
    store.save_result(run_id, result, duration=duration, units=settings.units)
    return result


def _save_debug(store: RunStore, run_id: str, trace: list[dict], phases, settings) -> None:
    """What was sent and received, for a precise report to the vendor (the key is never in it)."""
    folder = store.files / run_id
    folder.mkdir(parents=True, exist_ok=True)
    for entry in trace:
        raw = entry.pop("raw", None)
        if raw is not None:
            (folder / "raw_result.zip").write_bytes(raw)
            entry["response"]["saved_as"] = "raw_result.zip"
    previous = store.get(run_id)
    debug = previous.debug if previous else {}
    debug.setdefault("attempts", []).append(
        {"settings": settings.describe(), "exchanges": trace, "phases": phases}
    )
    json.dumps(debug)  # fail here, not in SQLite, if anything is not JSON
    store.update(run_id, debug=debug)

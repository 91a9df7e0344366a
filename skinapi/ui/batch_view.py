"""The Batch page's first half: the photo set and its meta CSV, the settings, the plan (what
pre-flight blocks and what it costs), and the run with its live counts, stop and resume."""

from __future__ import annotations

import hashlib
import time

import streamlit as st

from ..concerns import PRESET_LABELS, PRESETS, AnalysisSettings, preset_actions
from ..errors import StoreError
from ..names import markdown_text
from ..runs.batch import (
    BatchInputError,
    collect_photos,
    plan_batch,
    read_meta,
    refuse_other_settings,
    standing_of,
)
from ..runs.batch_plan import BatchPlan
from . import access, batch_job, spend_view
from .connection import Connection, key_refusal
from .messages import show_error
from .run_store import run_store
from .state import remembered

IMAGE_TYPES = ["jpg", "jpeg", "png"]
MAX_UPLOAD_MB = 200
"""Per file: a ZIP of a test set can be large; every photo in it is still capped. The server's
own limit (server.maxUploadSize in .streamlit/config.toml) is the same."""


def choose_input() -> list | None:
    """The uploaded photos, or one ZIP (a list of one), or None before anything usable."""
    kind = remembered(
        st.segmented_control,
        "Photos",
        ["files", "folder"],
        key="batch_input_kind",
        format_func={"folder": "A folder", "files": "Photos or a ZIP"}.get,
        default="files",
    )
    if kind == "folder":
        files = st.file_uploader(
            "A folder of JPG/PNG photos (subfolders too)",
            type=IMAGE_TYPES,
            accept_multiple_files="directory",
            key="batch_folder",
            max_upload_size=MAX_UPLOAD_MB,
        )
    else:
        files = st.file_uploader(
            f"JPG/PNG photos, or one ZIP of them (up to {MAX_UPLOAD_MB} MB a file)",
            type=[*IMAGE_TYPES, "zip"],
            accept_multiple_files=True,
            key="batch_files",
            max_upload_size=MAX_UPLOAD_MB,
        )
    if not files:
        return None
    zips = [f for f in files if f.name.lower().endswith(".zip")]
    if zips and (len(zips) > 1 or len(files) > 1):
        st.error("Choose either photos or one ZIP, not both.", icon=":material/folder_zip:")
        return None
    return zips or files


def choose_settings() -> AnalysisSettings:
    left, middle, right = st.columns(3)
    with left:
        quality = (
            remembered(
                st.segmented_control,
                "Quality",
                ["sd", "hd"],
                key="batch_quality",
                format_func=str.upper,
                default="sd",
            )
            or "sd"
        )
    with middle:
        preset = remembered(
            st.selectbox,
            "Concerns",
            list(PRESETS),
            key="batch_preset",
            format_func=PRESET_LABELS.get,
        )
    with right:
        version = remembered(st.selectbox, "API version", ["v2.1", "v2.0"], key="batch_version")
    return AnalysisSettings.build(preset_actions(preset, quality), api_version=version)


def plan(files: list, meta_file, settings: AnalysisSettings) -> BatchPlan | None:
    """Pre-flight every photo once per upload and settings (kept for the session): the upload
    ids name the input, so a rerun neither reads nor hashes the photos again."""
    identity = [(f.file_id, f.name, f.size) for f in [*files, *([meta_file] if meta_file else [])]]
    key = hashlib.sha256(repr((identity, settings.to_dict())).encode()).hexdigest()
    kept = st.session_state.get("batch_plan")
    if kept and kept[0] == key:
        return kept[1]
    zipped = len(files) == 1 and files[0].name.lower().endswith(".zip")
    source = files[0].getvalue() if zipped else [(f.name, f.getvalue()) for f in files]
    meta = meta_file.getvalue() if meta_file else b""
    try:
        photos = collect_photos(source)
        table = read_meta(meta) if meta else None
        bar = st.progress(0.0, text="Checking the photos…")
        result = plan_batch(
            photos,
            settings,
            table,
            on_checked=lambda done, total: bar.progress(
                done / max(total, 1), text=f"Checking the photos… {done} of {total}"
            ),
            store=run_store(),
        )
        bar.empty()
    except BatchInputError as exc:
        show_error(exc.as_dict())
        return None
    st.session_state["batch_plan"] = (key, result)
    return result


def show_plan(plan: BatchPlan) -> None:
    sendable, blocked = len(plan.sendable), len(plan.blocked)
    # What the photos are, not what this batch will send: a batch that already holds some
    # results sends only the rest, which its button says.
    st.markdown(
        f"**{sendable} {'photos pass' if sendable != 1 else 'photo passes'} the photo check** · {blocked} "
        f"blocked by it (never sent) · up to {plan.units} units for all of them "
        f"({plan.settings.units} a photo, billed only when it succeeds)"
    )
    if plan.meta_columns:
        st.caption(
            "Meta columns read: "
            + ", ".join(map(markdown_text, plan.meta_columns[:12]))
            + (" …" if len(plan.meta_columns) > 12 else "")
        )
    if plan.skipped:
        st.caption("Not images, left out: " + ", ".join(map(markdown_text, plan.skipped[:8])))
    if plan.unmatched_meta:
        st.caption(
            "Meta rows naming no photo: " + ", ".join(map(markdown_text, plan.unmatched_meta[:8]))
        )
    if blocked:
        with st.expander(
            f"{blocked} blocked: never sent", icon=":material/block:", expanded=blocked <= 5
        ):
            st.dataframe(
                [{"Photo": b.file, "Why": " ".join(b.reasons)} for b in plan.blocked],
                hide_index=True,
                width="stretch",
                column_config={"Why": st.column_config.TextColumn("Why", width="large")},
            )


def run_controls(plan: BatchPlan, batch: str, conn: Connection) -> None:
    """Start (or resume) the batch; one batch at a time shares the key's rate limit."""
    running = batch_job.running_job()
    store = run_store()
    if running is not None:
        st.info(f"Batch **{markdown_text(running.batch)}** is running.", icon=":material/pending:")
        return
    if conn.client is None:
        st.warning(key_refusal() or "No API key: add one on the Settings page, or switch to demo.")
        return
    if store is None:
        st.error(
            "The run store cannot be used (see History): a batch must be recorded "
            "before its tasks are created, so it cannot start."
        )
        return
    if not batch:
        st.caption("Name the batch to start it.")
        return
    if not plan.sendable:
        st.caption("No photo passes the check, so there is nothing to send: see why above.")
        return
    try:
        # A name another batch took with other settings is refused here, under the name,
        # before anything starts (the batch itself would refuse it only once started).
        refuse_other_settings(store, batch, plan.settings, conn.backend, conn.client.base_url)
        standing = standing_of(plan, store, batch=batch, backend=conn.backend)
    except (StoreError, BatchInputError) as exc:
        show_error(exc.as_dict())
        return
    left = len(standing.to_create) + len(standing.in_flight)
    if not left:
        st.success(
            f"Every photo of batch **{markdown_text(batch)}** has its result: nothing left to "
            "send. Its cohort is below; a new name runs the photos again.",
            icon=":material/task_alt:",
        )
        return
    resumed = (
        len(standing.succeeded)
        + len(standing.lost)
        + len(standing.reusable)
        + len(standing.in_flight)
    )
    spend_view.left_today()
    fit = spend_view.photos_that_fit(plan.settings.units, len(standing.to_create))
    if not fit and not standing.in_flight:
        return  # nothing fits today: the warning above says why and who can raise the cap
    units = (fit + len(standing.in_flight)) * plan.settings.units
    label = f"Run the batch · up to {units} units"
    if resumed:
        label = f"Resume the batch · {left} photos left, up to {units} units"
    if fit < len(standing.to_create):
        label += f" · {fit} photos fit today's cap"
    if st.button(label, type="primary", key="do_batch"):
        who = access.person().name
        batch_job.start(plan, conn.client, store, batch=batch, backend=conn.backend, person=who)
        st.session_state["batch_name_shown"] = batch
        st.rerun()


def progress(batch: str) -> None:
    """The batch's counts while it runs (a fragment redrawn twice a second), its result once it
    has ended (drawn once: a page left open no longer reruns twice a second for ever)."""
    job = batch_job.job(batch)
    if job is None:
        return
    if job.running:
        _live_progress(batch)
    else:
        finished(job)


@st.fragment(run_every=0.5)
def _live_progress(batch: str) -> None:
    job = batch_job.job(batch)
    if job is None or not job.running:
        st.rerun(scope="app")  # the result and the cohort below read the finished batch
    p = job.progress
    total = p.total if p else job.sendable
    done = (p.done + p.failed + p.not_sent) if p else 0
    eta = f" · about {p.eta:.0f} s left" if p and p.eta is not None else ""
    st.progress(done / max(total, 1), text=f"{done} of {total} finished{eta}")
    if p:
        cells = st.columns(5)
        for cell, (name, value) in zip(
            cells,
            (
                ("Done", p.done),
                ("Running", p.running),
                ("Failed", p.failed)
                if not p.not_sent
                else ("Failed · not sent", f"{p.failed} · {p.not_sent}"),
                ("Queued", p.queued),
                ("Requests left in the window", p.requests_left_in_window),
            ),
            strict=True,
        ):
            cell.metric(name, value)
    if job.stop.is_set():
        st.caption("Stopping: no new tasks; the ones created are followed to their end.")
    elif st.button("Stop", icon=":material/stop_circle:", key="do_batch_stop"):
        job.stop.set()


def finished(job: batch_job.BatchJob) -> None:
    s = job.summary
    if job.error:
        st.error(
            f"{markdown_text(job.error, 400)} Runs already created are in History; run the "
            "batch again to resume it (nothing that succeeded is sent again).",
            icon=":material/error:",
        )
    if s is None:
        return
    text = (
        f"**{s.succeeded} succeeded**, {len(s.failed)} failed · {s.tasks_created} tasks created"
        f" · {s.units} units · {s.requests} requests ({s.rate_limited} rate-limited) in "
        f"{s.wall_s:.0f} s"
    )
    if s.already_done or s.resumed:
        text += f" · {s.already_done} done before, {s.resumed} resumed"
    (st.success if not s.failed else st.warning)(text)
    if s.failed:
        st.dataframe(
            [{"Photo": f.file, "Error": f.error, "Task": f.task_id or ""} for f in s.failed],
            hide_index=True,
            width="stretch",
        )
        st.caption(
            "Run the batch again to resume: only these are retried, by task id when they have one."
        )


def default_name() -> str:
    return time.strftime("batch-%Y%m%d-%H%M")

"""The Batch page's second half, the cohort view: per-concern distributions split by a meta
column, group means with 95% confidence intervals, the outliers as an overlay gallery, CSV
exports, and a paired comparison with a second batch of the same photos."""

from __future__ import annotations

import streamlit as st

from ..names import markdown_text, safe_name
from ..presentation import charts, exports
from ..statistics import cohort, demo_limits
from ..store import RunRecord, RunStore
from . import audit_log
from .state import remembered

GALLERY = 8
"""Outliers shown as photos; the CSV holds all of them."""


def choose_batch(store: RunStore, preferred: str | None) -> str | None:
    batches = store.batches()
    if not batches:
        st.caption("No batch has run yet.")
        return None
    names = [name for name, _, _ in batches]
    if preferred in names and st.session_state.get("cohort_batch") not in names:
        st.session_state["cohort_batch"] = preferred
    return st.selectbox("Batch", names, key="cohort_batch")


def cohort_view(store: RunStore, batch: str, stored: list[RunRecord]) -> None:
    """`stored`: every run of `batch`, as the store holds them."""
    runs = [r for r in stored if r.state == "success"]
    rows = cohort.cohort_scores(runs)
    if not rows:
        st.info("No successful run in this batch yet.", icon=":material/hourglass_empty:")
        return
    columns = cohort.meta_columns(rows)
    left, right = st.columns(2)
    with left:
        score = (
            remembered(
                st.segmented_control,
                "Score",
                ["ui", "raw"],
                key="cohort_score",
                format_func={"ui": "ui (shown to people)", "raw": "raw (to reason with)"}.get,
                default="ui",
            )
            or "ui"
        )
    with right:
        by = (
            remembered(
                st.selectbox,
                "Split by",
                ["", *columns],
                index=1 if columns else 0,  # a meta CSV is given to split by: split by it
                key="cohort_by",
                format_func=lambda c: c or "nothing (the whole batch)",
                disabled=not columns,
                help="A column of the batch's meta CSV, e.g. group or device.",
            )
            or None
        )
    st.plotly_chart(
        charts.cohort_distribution(rows, score=score, by=by),
        key="cohort_distribution",
        config={"displayModeBar": False},
    )
    st.caption(
        f"{len(runs)} photos ({len(stored) - len(runs)} failed or unfinished)."
        " A box spans the middle half of the scores, its line the median; "
        "every dot is a photo (hover for its file). Higher is healthier."
    )
    means = cohort.group_means(rows, by=by, score=score)
    st.markdown("**Means with 95% confidence intervals**")
    if note := small_groups_note(means, by):
        st.warning(note, icon=":material/warning:")
    group = by if by not in (None, "Concern", "n", "Mean", "95% CI") else f"{by} (meta)"
    st.dataframe(
        [
            {
                "Concern": cohort.concern_label(m.concern, m.region),
                **({group: m.group} if by else {}),
                "n": m.estimate.n,
                "Mean": round(m.estimate.mean, 1),
                "95% CI": _interval(m.estimate),
            }
            for m in means
        ],
        hide_index=True,
        width="stretch",
        height=280,
        column_config={
            "95% CI": st.column_config.TextColumn(
                "95% CI",
                width="medium",
                help="Cut at the scale's ends (1–100). '— (one photo)': one photo gives no "
                "interval; '— (all alike)': every photo scored the same, so there is no spread.",
            )
        },
    )
    found = cohort.outliers(rows, score=score)
    outlier_gallery(store, runs, found)
    export_buttons(batch, rows, means, found, by, score)


SMALL_GROUP = 10
"""Photos a group needs before its 95% interval is more than a rough guide: below it the
interval is wide (Student's t with few degrees of freedom) and leans on the scores being
normally distributed, which a handful of photos cannot show."""


def small_groups_note(means, by: str | None) -> str | None:
    """The warning for groups too small for their interval, naming them; None when none is."""
    small = sorted({(m.group, m.estimate.n) for m in means if m.estimate.n < SMALL_GROUP})
    if not small:
        return None
    named = ", ".join(
        f"{markdown_text(group) if by else 'the whole batch'} (n = {n})" for group, n in small[:6]
    )
    more = f" and {len(small) - 6} more" if len(small) > 6 else ""
    return (
        f"Too few photos for a trustworthy interval: {named}{more}. With fewer than "
        f"{SMALL_GROUP} photos a group's 95% interval is wide and assumes normally distributed "
        "scores; read it as a rough guide and do not compare such groups by it."
    )


def _interval(estimate) -> str:
    """The interval as shown: cut at the scale's ends (scores run 1–100; with few photos the
    t interval reaches past them)."""
    if estimate.low is None:
        return "— (one photo)"
    if estimate.low == estimate.high:
        return "— (all alike)"
    return f"{max(estimate.low, 0):.1f} – {min(estimate.high, 100):.1f}"


def outlier_gallery(store: RunStore, runs: list[RunRecord], found) -> None:
    st.markdown(f"**Outliers** · {len(found)} beyond the boxes' whiskers (1.5 × IQR)")
    if not found:
        st.caption("None: every score is within its concern's usual range.")
        return
    by_id = {r.id: r for r in runs}
    cells = st.columns(4)
    for index, item in enumerate(found[:GALLERY]):
        row = item.row
        image = outlier_image(store, by_id.get(row.run_id), row.mask_key)
        with cells[index % 4]:
            if image is not None:
                st.image(
                    image,
                    width="stretch",
                    alt=f"{row.file or row.run_id} with its {row.label} mask",
                )
            st.caption(
                f"**{row.label}** {item.value:.0f} ({item.side}) · {markdown_text(row.file or row.run_id)}"
            )


@st.cache_data(show_spinner=False, max_entries=64)
def _outlier_jpeg(run_id: str, mask_key: str | None, _store: RunStore, _run: RunRecord):
    return exports.run_overlay(_store, _run, [mask_key], max_side=480) if mask_key else None


def outlier_image(store: RunStore, run: RunRecord | None, mask_key: str | None):
    """The run's photo with that concern's mask, or None (no such run, damaged files)."""
    if run is None:
        return None
    try:
        return _outlier_jpeg(run.id, mask_key, store, run)
    except Exception:  # a damaged stored mask: the gallery shows the caption alone
        return None


def export_buttons(batch, rows, means, found, by, score) -> None:
    files = (
        ("Scores (CSV)", lambda: cohort.scores_csv(rows), "scores"),
        ("Means (CSV)", lambda: cohort.group_means_csv(means, by), "means"),
        ("Outliers (CSV)", lambda: cohort.outliers_csv(found, score), "outliers"),
    )
    for column, (title, data, suffix) in zip(st.columns(3), files, strict=True):
        column.download_button(
            title,
            audit_log.audited("export", data, file=title, batch=batch),
            f"skinscope-{safe_name(batch)}-{suffix}.csv",
            "text/csv",
            key=f"do_cohort_{suffix}",
            width="stretch",
            on_click="ignore",
        )


def paired_view(store: RunStore, batch: str, stored: list[RunRecord]) -> None:
    """Two batches of the same photos (v2.0 vs v2.1, SD vs HD…): the change per concern."""
    others = [name for name, _, _ in store.batches() if name != batch]
    if not others:
        st.caption("Run the same photos as a second batch (other settings) to compare them.")
        return
    other = st.selectbox(
        "Compare with batch",
        others,
        index=None,
        key="cohort_other",
        placeholder="Choose a second batch of the same photos",
    )
    if not other:
        return
    first = [r for r in stored if r.state == "success"]
    second = [r for r in store.batch_runs(other) if r.state == "success"]
    changes = cohort.paired_differences(first, second)
    if not changes:
        st.info("These batches share no photo (by content) with a concern in common.")
        return
    if by_construction := demo_limits.zero_by_construction(first + second, paired=True):
        st.info(by_construction, icon=":material/science:")
    st.caption(
        f"{markdown_text(other)} − {markdown_text(batch)}, per photo (the same photo by its content), concerns matched by "
        "family (SD redness with HD redness). Right of zero: higher in the second batch. A bar "
        "that crosses zero is no clear difference."
    )
    st.plotly_chart(
        charts.forest_plot(changes, x_title=f"{other} − {batch} (ui score)"),
        key="cohort_forest",
        config={"displayModeBar": False},
    )
    st.download_button(
        "Paired differences (CSV)",
        audit_log.audited(
            "export", lambda: cohort.changes_csv(changes), file="paired", batch=batch, other=other
        ),
        f"skinscope-{safe_name(batch)}-vs-{safe_name(other)}.csv",
        "text/csv",
        key="do_cohort_pairs",
        on_click="ignore",
    )

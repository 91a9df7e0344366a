"""The Live trial's summary: participants and visits, the scores' spread, the mean per visit,
and each participant's change from baseline with the trial's mean paired change (a forest
plot)."""

from __future__ import annotations

import streamlit as st

from ..concerns import label, region_label
from ..names import markdown_text, safe_name
from ..presentation import charts
from ..statistics import cohort, participant, tables
from ..store import RunQuery
from . import audit_log
from .participant_view import before_after
from .run_store import read_runs
from .state import remembered

BASELINE = "baseline"


def trial_summary(trial: str) -> None:
    st.divider()
    st.header(f"Trial summary · {markdown_text(trial)}")
    trial_runs = read_runs(RunQuery(trial=trial, states=("success",))) or []
    if not trial_runs:
        st.caption("No analysed participants in this trial yet.")
        return
    people = {r.participant for r in trial_runs}
    visits = list(dict.fromkeys(r.visit or "(no visit)" for r in trial_runs))
    st.markdown(
        f"**{len(people)} participant{'s' if len(people) != 1 else ''} analysed** · "
        f"{len(trial_runs)} photo{'s' if len(trial_runs) != 1 else ''} · "
        f"{sum(r.units for r in trial_runs)} units · visits: "
        + ", ".join(map(markdown_text, visits))
    )
    summary, radar = st.columns([1.4, 1])
    summary.plotly_chart(
        charts.visit_strip_plot(
            [
                (
                    visit,
                    tables.trial_scores(
                        [r for r in trial_runs if (r.visit or "(no visit)") == visit]
                    ),
                )
                for visit in visits[:4]
            ]
        ),
        key="live_strip",
        config={"displayModeBar": False},
    )
    by_visit = [
        (visit, tables.mean_scores([r for r in trial_runs if (r.visit or "(no visit)") == visit]))
        for visit in visits[:4]
    ]
    radar.plotly_chart(
        charts.radar([(f"{v} mean", scores) for v, scores in by_visit], height=380),
        key="live_mean_radar",
        config={"displayModeBar": False},
    )
    st.download_button(
        "Export the trial (CSV)",
        audit_log.audited(
            "export", lambda: participant.trial_csv(trial_runs), file="trial", trial=trial
        ),
        f"trial-{safe_name(trial)}.csv",
        "text/csv",
        key="do_export_trial",
        on_click="ignore",
        help="A row per participant × visit × concern, with the capture conditions.",
    )
    participant_picker(trial_runs)
    visit_change_view(trial, trial_runs)


def participant_picker(trial_runs) -> None:
    """Any participant's before/after, opened from the summary."""
    paired = [
        p
        for p in dict.fromkeys(r.participant for r in trial_runs if r.participant)
        if len(visits := participant.visit_runs(trial_runs, p)) > 1
        and visits[0].visit == participant.BASELINE
    ]
    if not paired:
        return
    chosen = st.selectbox(
        "A participant's before/after",
        paired,
        index=None,
        placeholder="Choose a participant with a baseline and a follow-up",
        key="live_summary_participant",
    )
    if chosen:
        with st.container(border=True):
            before_after(participant.visit_runs(trial_runs, chosen), key="summary")


def visit_change_view(trial: str, trial_runs) -> None:
    """Each participant's change from baseline to a follow-up visit, and the trial's mean paired
    change per concern with its 95% confidence interval (a forest plot)."""
    named = [r for r in trial_runs if r.visit]
    follow_ups = list(dict.fromkeys(r.visit for r in named if r.visit != BASELINE))
    if not any(r.visit == BASELINE for r in named) or not follow_ups:
        st.caption(
            "Change from baseline appears once participants have a baseline and a follow-up "
            "visit (choose the visit above the participant ID)."
        )
        return
    st.markdown("### Change from baseline")
    # "" stands for each participant's latest visit: no visit is named "" (see visit_name).
    follow_up = remembered(
        st.segmented_control,
        "Follow-up visit",
        ["", *follow_ups],
        key="live_follow_up",
        format_func=lambda v: markdown_text(v) if v else "Each one's latest",
        default="",
    )
    change = cohort.visit_changes(named, BASELINE, follow_up or None)
    if not change.summary:
        st.info("No participant has both visits yet.", icon=":material/event_repeat:")
    else:
        paired = len({(c.trial, c.participant) for c in change.participants})
        st.caption(
            f"{paired} participant{'s' if paired != 1 else ''} with both visits. A point is the "
            "mean change of the ui score (after − before: right is better), the bar its 95% "
            "confidence interval; a bar that crosses zero is no clear change."
        )
        st.plotly_chart(
            charts.forest_plot(change.summary, x_title="change from baseline (ui score)"),
            key="live_forest",
            config={"displayModeBar": False},
        )
        st.dataframe(
            [
                {
                    "Participant": c.participant,
                    "Concern": label(c.family),
                    "Region": region_label(c.region),
                    "Visits": f"{c.baseline_visit} → {c.follow_up_visit}",
                    "Before": c.before,
                    "After": c.after,
                    "Change": c.change,
                }
                for c in change.participants
            ],
            hide_index=True,
            width="stretch",
            height=240,
        )
    if change.missing:
        st.caption(
            "Not in the change: "
            + "; ".join(
                f"{markdown_text(m.participant)} ({markdown_text(m.reason)})"
                for m in change.missing[:12]
            )
            + (" …" if len(change.missing) > 12 else "")
        )
    st.download_button(
        "Export the changes (CSV)",
        audit_log.audited(
            "export", lambda: cohort.visit_changes_csv(change), file="changes", trial=trial
        ),
        f"trial-{safe_name(trial)}-changes.csv",
        "text/csv",
        key="do_export_changes",
        on_click="ignore",
    )

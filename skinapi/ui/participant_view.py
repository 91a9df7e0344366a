"""One participant's before/after, for the person in front of the screen: both visits' radars
overlaid, the two photos side by side with one concern's mask, the change per concern in words,
the capture conditions of both visits (a warning where they differ), and a line per concern
once there are more than two visits."""

from __future__ import annotations

import streamlit as st

from ..concerns import family_label
from ..names import markdown_text, shown_day
from ..presentation import charts, exports
from ..statistics import conditions, participant
from ..statistics.tables import concern_key, headline_of
from ..store import RunQuery, RunRecord
from .live_view import kiosk_view
from .participant_report import report_button
from .run_store import ask_run_store, read_runs

DIRECTION_COLOURS = {"better": "green", "worse": "red", "about the same": "gray"}


def participant_result(run: RunRecord) -> None:
    """The participant's result as the live trial shows it once their photo is analysed: at a
    follow-up with a baseline, their before/after; else this visit's large result view."""
    if run.visit != participant.BASELINE and run.trial:
        visits = participant_visits(run.trial, run.participant)
        if len(visits) > 1 and visits[0].visit == participant.BASELINE:
            before_after(visits, key=f"live_{run.id}")
            return
    kiosk_view(run)


def participant_visits(trial: str, who: str) -> list[RunRecord]:
    """The participant's latest successful run of each visit, the baseline first."""
    return participant.visit_runs(read_runs(RunQuery(trial=trial, states=("success",))) or [], who)


def _when(run: RunRecord) -> str:
    return f"{run.visit} · {shown_day(run.created)}"


def before_after(visits: list[RunRecord], key: str) -> None:
    """`visits`: the participant's runs, the baseline first and their latest follow-up last."""
    before, after = visits[0], visits[-1]
    _numbers(before, after)
    radar, photos = st.columns([1, 1.15], gap="medium")
    radar.plotly_chart(
        charts.radar(
            [(_when(before), headline_of(before)), (_when(after), headline_of(after))], height=430
        ),
        key=f"{key}_radar",
        config={"displayModeBar": False},
    )
    with photos:
        _photos(before, after, key)
    changes, setting = st.columns([1.15, 1], gap="medium")
    with changes:
        _change_table(participant.concern_changes(before, after))
    with setting:
        _conditions(before, after)
    report_button(visits, key)
    if len(visits) > 2:
        st.markdown("**Each concern over the visits** (ui score)")
        st.plotly_chart(
            charts.visit_lines(participant.concern_lines(visits)),
            key=f"{key}_lines",
            config={"displayModeBar": False},
        )


def _numbers(before: RunRecord, after: RunRecord) -> None:
    who, overall, age, visit = st.columns(4)
    who.metric("Participant", after.participant or "—")
    _metric(overall, "Overall", before.overall, after.overall, "normal")
    _metric(age, "Skin age", before.result.skin_age, after.result.skin_age, "inverse")
    visit.metric(
        "Visit", after.visit, help=f"Compared with the baseline of {_when(before)}", width="content"
    )


def _metric(cell, name: str, before: float | None, after: float | None, colour: str) -> None:
    if before is None or after is None:
        cell.metric(name, "—")
        return
    change = round(after) - round(before)
    cell.metric(
        name,
        f"{after:.0f}",
        f"{change:+d} from baseline" if change else "same as baseline",
        delta_color=colour if change else "off",
        delta_arrow="auto" if change else "off",
    )


def _photos(before: RunRecord, after: RunRecord, key: str) -> None:
    """Both photos with the same concern's mask: one picker for both."""
    masked_after = {concern_key(s)[0] for s in headline_of(after) if s.mask_key}
    masked_before = [concern_key(s)[0] for s in headline_of(before) if s.mask_key]
    shared = [family for family in masked_before if family in masked_after]
    chosen = st.selectbox(
        "Mask on both photos",
        [None, *shared],
        format_func=lambda f: "No mask" if f is None else family_label(f),
        key=f"{key}_mask",
    )
    for column, run in zip(st.columns(2), (before, after), strict=True):
        mask = next((s.mask_key for s in headline_of(run) if concern_key(s)[0] == chosen), None)
        image = _photo(run.id, mask)
        if image:
            column.image(image, caption=_when(run), width="stretch")
        else:
            column.caption(f"{markdown_text(_when(run))}: the photo is not in the run store.")


@st.cache_data(show_spinner=False, max_entries=32)
def _photo(run_id: str, mask_key: str | None) -> bytes | None:
    """The run's photo as stored, with the mask of `mask_key` when it has one."""

    def read(store):
        run = store.get(run_id)
        if run is None:
            return None
        if mask_key and (painted := exports.run_overlay(store, run, [mask_key], 720)):
            return painted
        return store.photo(run_id)

    return ask_run_store(read)


def _change_table(changes: list[participant.ConcernChange]) -> None:
    st.markdown("**Change from baseline by concern** (ui score; higher is healthier skin)")
    if not changes:
        st.caption("The two visits share no concern.")
        return
    colour = DIRECTION_COLOURS
    rows = "\n".join(
        f"| {c.label} | {c.before} → {c.after} "
        f"| {c.change_text} :{colour[c.direction]}[{c.direction}] |"
        for c in changes
    )
    st.markdown(f"| Concern | Before → after | Change |\n|---|--:|---|\n{rows}")


def _conditions(before: RunRecord, after: RunRecord) -> None:
    st.markdown("**Capture conditions**")
    rows = conditions.compare(before.conditions, after.conditions)
    if not rows:
        st.caption("Neither visit recorded its conditions.")
        return
    differing = [r.label.lower() for r in rows if r.differs]
    if differing:
        st.warning(
            "Taken under other conditions: " + ", ".join(differing) + ". A change may be the "
            "setting's, not the skin's.",
            icon=":material/warning:",
        )
    table = "\n".join(
        f"| {r.label} | {markdown_text(r.before) or '—'} | {markdown_text(r.after) or '—'} "
        f"| {':orange[differs]' if r.differs else ''} |"
        for r in rows
    )
    st.markdown(
        f"| | {markdown_text(before.visit)} | {markdown_text(after.visit)} | |\n|---|---|---|---|\n{table}"
    )

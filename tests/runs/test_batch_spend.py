"""A batch spends as a person: each run recorded as theirs, each create's units reserved under
their daily caps, photos past what the caps leave today never sent, and the audit trail told
that the batch started, what it created and that it was stopped."""

from __future__ import annotations

import threading

import pytest

from skinapi import AnalysisSettings
from skinapi.runs import spend
from skinapi.runs.batch import RateLimits, collect_photos, plan_batch, run_batch
from skinapi.store import AuditQuery, SpendCaps, SqliteRunStore

from ..helpers import test_client
from .test_batch import faces

SETTINGS = AnalysisSettings.build(["redness", "pore"])
QUICK = RateLimits.parse("100/1")


@pytest.fixture
def store(tmp_path):
    store = SqliteRunStore(tmp_path / "data" / "runs.sqlite3")
    yield store
    store.close()


@pytest.fixture(autouse=True)
def no_caps_from_the_environment(monkeypatch):
    monkeypatch.delenv("SKINSCOPE_DAILY_UNITS_PER_PERSON", raising=False)
    monkeypatch.delenv("SKINSCOPE_DAILY_UNITS", raising=False)


def actions(store, action: str):
    return store.audit_entries(AuditQuery(actions=(action,)))


def test_a_batch_records_its_person_reserves_their_units_and_audits_each_create(emulator, store):
    store.set_caps(SpendCaps(per_person=10 * SETTINGS.units))
    plan = plan_batch(collect_photos(faces(3)), SETTINGS)
    summary = run_batch(
        plan, test_client(emulator), store, batch="set", rate=QUICK, person="ana@example.com"
    )
    assert summary.succeeded == 3 and not summary.failed
    assert {r.person for r in store.batch_runs("set")} == {"ana@example.com"}
    spent = store.spent("ana@example.com", day=spend.today())
    assert spent.person == spent.deployment == 3 * SETTINGS.units
    created = actions(store, "analysis created")
    assert len(created) == 3 and {e.person for e in created} == {"ana@example.com"}
    runs = {r.task_id for r in store.batch_runs("set")}
    assert {e.detail["task_id"] for e in created} == runs
    assert all(e.detail["units"] == SETTINGS.units and e.detail["backend"] for e in created)
    [started] = actions(store, "batch started")
    assert started.person == "ana@example.com" and started.detail["photos"] == 3
    assert not actions(store, "batch stopped")


def test_a_batch_sends_no_more_photos_than_the_cap_leaves_room_for(emulator, store):
    store.set_caps(SpendCaps(per_person=2 * SETTINGS.units + 1))
    plan = plan_batch(collect_photos(faces(4)), SETTINGS)
    summary = run_batch(plan, test_client(emulator), store, batch="set", rate=QUICK, person="bo")
    assert summary.succeeded == 2 and emulator.stats()["creates"] == 2
    assert len(summary.failed) == 2 and summary.exit_code == 2
    assert all("per-person daily cap" in f.error and "admin" in f.error for f in summary.failed)
    assert store.spent("bo", day=spend.today()).person == 2 * SETTINGS.units
    assert len(store.batch_runs("set")) == 2  # the two that did not fit were never recorded


def test_a_deployment_cap_spent_by_someone_else_leaves_nothing_to_send(emulator, store):
    store.set_caps(SpendCaps(per_deployment=SETTINGS.units))
    store.reserve_units("cy", SETTINGS.units, store.caps(), day=spend.today())
    plan = plan_batch(collect_photos(faces(2)), SETTINGS)
    summary = run_batch(plan, test_client(emulator), store, batch="set", rate=QUICK, person="bo")
    assert summary.succeeded == 0 and emulator.stats()["creates"] == 0
    assert all("deployment daily cap" in f.error for f in summary.failed)
    assert spend.allowance(store, "bo") == spend.Allowance(0, SETTINGS.units, "deployment")


def test_a_stopped_batch_is_audited_and_returns_the_units_of_what_it_did_not_send(emulator, store):
    store.set_caps(SpendCaps(per_person=100 * SETTINGS.units))
    plan = plan_batch(collect_photos(faces(3)), SETTINGS)
    stop = threading.Event()
    stop.set()  # stopped before anything was created
    summary = run_batch(
        plan, test_client(emulator), store, batch="set", rate=QUICK, person="bo", stop=stop
    )
    assert summary.succeeded == 0 and emulator.stats()["creates"] == 0
    assert store.spent("bo", day=spend.today()).person == 0
    [stopped] = actions(store, "batch stopped")
    assert stopped.person == "bo" and stopped.detail["batch"] == "set"


def test_the_allowance_is_the_tighter_cap_and_none_without_caps(store, monkeypatch):
    assert spend.allowance(store, "bo") is None
    monkeypatch.setenv("SKINSCOPE_DAILY_UNITS", "50")
    assert spend.allowance(store, "bo") == spend.Allowance(50, 50, "deployment")
    store.set_caps(SpendCaps(per_person=20, per_deployment=50))  # stored caps win over env
    store.reserve_units("bo", 15, store.caps(), day=spend.today())
    assert spend.allowance(store, "bo") == spend.Allowance(5, 20, "per-person")
    assert spend.allowance(store, "al") == spend.Allowance(20, 20, "per-person")
    assert spend.photos_that_fit(store, "bo", 2) == 2


def test_the_cli_batch_says_what_the_cap_leaves_and_records_the_os_user(emulator, tmp_path):
    import getpass

    from ..helpers import FAKE_KEY, run_cli
    from .test_batch import folder_of

    units = SETTINGS.units
    done = run_cli(
        "batch", folder_of(tmp_path, faces(3)), "--base-url", emulator.url,
        "--actions", "redness,pore", "--yes", "--out", tmp_path, key=FAKE_KEY, data_dir=tmp_path,
        env={"SKINSCOPE_DAILY_UNITS_PER_PERSON": str(2 * units)},
    )  # fmt: skip
    person = f"local:{getpass.getuser()}"
    assert f"cap: {2 * units} of {2 * units} units left today (per-person cap, as {person})" in (
        done.stderr
    )
    assert "2 of 3 new photos fit; the rest are not sent" in done.stderr
    assert done.returncode == 2 and emulator.stats()["creates"] == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last == "error: 1 of 3 photos did not succeed (1 not sent): see 'failed'.", last
    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    assert {r.person for r in store.list()} == {person}


@pytest.mark.parametrize(
    "typed, cap, problem",
    [
        ("", None, False),
        ("40", 40, False),
        ("1_000", 1000, False),
        ("99999999999999999999", spend.MAX_CAP, False),
        ("²", 0, True),  # a digit to str.isdigit, not to int(): it crashed the pages
        ("-1", 0, True),
        ("forty", 0, True),
    ],
)
def test_a_cap_variable_that_is_not_a_number_of_units_stops_spending_and_says_why(
    monkeypatch, typed, cap, problem
):
    """A typo in a cap must not lift it (it meant 'no cap'), nor crash a page."""
    monkeypatch.setenv("SKINSCOPE_DAILY_UNITS", typed)
    assert spend.configured_caps(None).per_deployment == cap
    found = spend.cap_problems()
    assert bool(found) is problem
    assert not problem or "SKINSCOPE_DAILY_UNITS=" in found[0] and "counts as 0" in found[0]


def test_a_cap_is_kept_without_the_run_store_by_refusing_not_by_being_ignored(emulator, tmp_path):
    """`analyze --no-history` sent and spent past a cap: the day's units are counted in the
    run store, so without it a capped run is refused, and one without caps goes."""
    from ..helpers import FACE_PATH, run_cli

    args = ("analyze", FACE_PATH, "--preset", "sd-all", "--no-history")
    capped = run_cli(
        *args, base_url=emulator.url, data_dir=tmp_path, env={"SKINSCOPE_DAILY_UNITS": "100"}
    )
    assert capped.returncode == 2 and "counted in the run store" in capped.stderr
    assert emulator.creates == 0
    free = run_cli(*args, base_url=emulator.url, data_dir=tmp_path)
    assert free.returncode == 0, free.stderr
    assert emulator.creates == 1

"""The run store's team ledger, in each run store (SQLite, PostgreSQL): the append-only audit
trail, runs recorded with their person, and daily spend caps reserved atomically — by two
stores on one history, as two replicas are."""

import sqlite3
import threading

import pytest

from skinapi import AnalysisSettings
from skinapi.errors import CapReached, StoreError
from skinapi.store import AuditQuery, RunQuery, SpendCaps, SqliteRunStore

from .conftest import execute_raw

DAY = "2026-12-05"


def test_the_audit_trail_lists_entries_newest_first_and_filters_by_person_and_action(store):
    store.audit("ana@example.com", "sign-in")
    store.audit("otto@example.com", "analysis created", task_id="t1", units=4, backend="live")
    store.audit("ana@example.com", "export", runs=3)
    entries = store.audit_entries(AuditQuery())
    assert [e.action for e in entries] == ["export", "analysis created", "sign-in"]
    assert entries[1].detail == {"task_id": "t1", "units": 4, "backend": "live"}
    assert [e.action for e in store.audit_entries(AuditQuery(person="ANA"))] == [
        "export",
        "sign-in",
    ]
    assert len(store.audit_entries(AuditQuery(actions=("sign-in",)))) == 1


def test_the_audit_trail_finds_a_person_by_any_case_of_any_script_and_a_nul_finds_them_too(store):
    store.audit("Émilie@example.com", "export")
    store.audit("otto@example.com", "export")
    for typed in ("émilie", "ÉMILIE", "Émi\x00lie"):
        assert [e.person for e in store.audit_entries(AuditQuery(person=typed))] == [
            "Émilie@example.com"
        ], typed
    assert store.totals(RunQuery(person="\x00", label="\x00", trial="\x00")).runs == 0


def test_no_statement_edits_or_removes_an_audit_entry_and_purge_keeps_them(store):
    store.audit("ana@example.com", "sign-in")
    for statement in ("DELETE FROM audit", "UPDATE audit SET person = 'someone else'"):
        with pytest.raises(Exception, match="append-only"):
            execute_raw(store, statement)
    store.purge()
    assert [e.person for e in store.audit_entries(AuditQuery())] == ["ana@example.com"]


def _runs_of(store, *people: str) -> None:
    """A run begun by each of `people`, in order."""
    for person in people:
        store.begin(
            photo=b"x",
            settings=AnalysisSettings(actions=("wrinkle",)),
            backend="emulator",
            source="upload",
            photo_hash="h",
            person=person,
            thumbnail=False,
        )


def test_a_run_records_who_ran_it_and_history_filters_by_person(store):
    _runs_of(store, "ana@example.com", "otto@example.com", "ana@example.com")
    page = store.query(RunQuery(person="ana@example.com"))
    assert page.total == 2 and {r.person for r in page.runs} == {"ana@example.com"}


def test_history_finds_a_person_by_part_of_their_name_ignoring_case(store):
    """History's Person filter: a team types ``ana`` or ``ÉLODIE``, not the whole address; the
    same match on SQLite and PostgreSQL, totals and tallies included."""
    _runs_of(
        store, "Ana@Example.com", "otto@example.com", "ana.b@example.com", "élodie@example.com", ""
    )
    assert {r.person for r in store.query(RunQuery(person="ana")).runs} == {
        "Ana@Example.com",
        "ana.b@example.com",
    }
    assert store.totals(RunQuery(person="ANA")).runs == 2
    assert [r.person for r in store.query(RunQuery(person="ÉLODIE")).runs] == ["élodie@example.com"]
    assert store.totals(RunQuery(person="example.com")).runs == 4
    assert store.totals(RunQuery(person="")).runs == 5  # no filter: everyone, the unnamed too
    assert store.totals(RunQuery(person="100%")).runs == 0  # typed text, not a pattern


def test_caps_refuse_past_the_person_or_the_deployment_and_name_the_cap(store):
    caps = SpendCaps(per_person=10, per_deployment=15)
    store.reserve_units("ana", 8, caps, day=DAY)
    with pytest.raises(CapReached, match="per-person daily cap of 10 units") as refused:
        store.reserve_units("ana", 4, caps, day=DAY)
    assert refused.value.left == 2 and "admin" in refused.value.hint
    store.reserve_units("otto", 7, caps, day=DAY)
    with pytest.raises(CapReached, match="deployment daily cap of 15"):
        store.reserve_units("vic", 1, caps, day=DAY)
    assert store.spent("ana", day=DAY).person == 8 and store.spent("ana", day=DAY).deployment == 15
    assert store.spent("ana", day="2026-12-06").deployment == 0  # a new day starts afresh


def test_a_released_reservation_gives_its_units_back_once(store):
    caps = SpendCaps(per_person=10)
    held = store.reserve_units("ana", 10, caps, day=DAY)
    store.release_units(held)
    store.release_units(held)
    assert store.spent("ana", day=DAY).person == 0
    store.reserve_units("ana", 10, caps, day=DAY)


def test_two_replicas_reserving_at_once_never_overspend(open_test_store):
    replicas = [open_test_store(), open_test_store()]  # a connection each, as two processes
    caps = SpendCaps(per_deployment=100)
    granted, refused = [], []
    start = threading.Barrier(2)

    def replica(store):
        start.wait()
        for _ in range(40):
            try:
                granted.append(store.reserve_units("ana", 4, caps, day=DAY).units)
            except CapReached:
                refused.append(1)

    threads = [threading.Thread(target=replica, args=(store,)) for store in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 100 and len(refused) == 80 - 25
    assert open_test_store().spent("ana", day=DAY).deployment == 100


def test_caps_set_by_an_admin_are_kept_in_the_store(store):
    assert store.caps() is None
    store.set_caps(SpendCaps(per_person=50, per_deployment=None))
    assert store.caps() == SpendCaps(50, None)


def test_a_history_of_version_7_is_upgraded_with_its_runs_kept(tmp_path):
    path = tmp_path / "runs.sqlite3"
    before = SqliteRunStore(path)
    run_id = before.begin(
        photo=b"photo", settings=AnalysisSettings(actions=("pore",)), backend="emulator",
        source="upload", photo_hash="h", label="kept", conditions={"room": "2"},
    )  # fmt: skip
    before.close()
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TABLE audit;"
        "DROP TABLE spend; DROP INDEX runs_person; ALTER TABLE runs DROP COLUMN person;"
        "UPDATE meta SET value = '7' WHERE key = 'schema_version';"
    )
    db.close()
    store = SqliteRunStore(path)
    kept = store.get(run_id)
    assert (kept.label, kept.conditions, kept.person) == ("kept", {"room": "2"}, "")
    store.audit("ana", "sign-in")
    assert store.audit_entries(AuditQuery())[0].person == "ana"
    store.close()
    with pytest.raises(StoreError):
        SqliteRunStore(tmp_path)  # a folder, not a history: still a clear refusal


def test_a_run_past_the_cap_is_refused_before_its_create_and_a_failed_one_returns_its_units(
    store, face_bytes, monkeypatch
):
    from skinapi.runs.lifecycle import Run, run_analysis
    from skinapi.runs.spend import today

    from ..helpers import start_emulator, test_client

    emulator = start_emulator()
    try:
        settings = AnalysisSettings(actions=("wrinkle", "pore"))
        store.set_caps(SpendCaps(per_person=settings.units + 1))

        def run(**config):
            emulator.configure(**config)
            attempt = Run(
                key="k",
                photo=face_bytes,
                source="upload",
                settings=settings,
                backend="emulator",
                person="ana",
            )
            return run_analysis(attempt, test_client(emulator), store)

        units = settings.units
        assert run().state == "success"  # its units kept
        creates = emulator.creates
        refused = run()
        assert (
            refused.state == "unsent"
            and f"per-person daily cap of {units + 1}" in refused.error["message"]
        )
        assert emulator.creates == creates  # nothing sent
        store.set_caps(SpendCaps(per_person=2 * units))
        assert run(fault_engine_error="error_below_min_image_size").state == "error"
        assert store.spent("ana", day=today()).person == units  # the failed run gave its back
        created = [e for e in store.audit_entries(AuditQuery()) if e.action == "analysis created"]
        assert (
            len(created) == 2 and created[0].person == "ana" and created[0].detail["units"] == units
        )
    finally:
        emulator.stop()

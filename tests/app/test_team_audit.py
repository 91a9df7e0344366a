"""Who did what, under AppTest: runs record their person, the audit trail gets sign-ins, role
denials, creates and cap changes, the Audit page filters it for admins, and the daily caps
are shown before a run, refuse a run past them and bound a batch."""

from __future__ import annotations

import csv
import io
import json

import pytest

from skinapi.store import AuditEntry, AuditQuery, SpendCaps, SqliteRunStore, default_path
from skinapi.ui import audit_view, batch_job
from skinapi.ui.audit_view import audit_csv

from ..helpers import app_test, wait_until
from .test_access import PEOPLE, signed_in, texts
from .test_app import analyse_sample
from .test_batch_page import photo_set

pytestmark = pytest.mark.usefixtures("quick_emulator")


@pytest.fixture(autouse=True)
def no_caps_from_the_environment(monkeypatch):
    monkeypatch.delenv("SKINSCOPE_DAILY_UNITS_PER_PERSON", raising=False)
    monkeypatch.delenv("SKINSCOPE_DAILY_UNITS", raising=False)


@pytest.fixture
def store():
    store = SqliteRunStore(default_path())
    yield store
    store.close()


def entries(store, *actions: str) -> list[AuditEntry]:
    return store.audit_entries(AuditQuery(actions=actions))


def test_an_analysis_records_the_local_user_and_its_create_is_audited(store):
    at = analyse_sample(app_test().run())
    assert not at.exception, at.exception
    [run] = store.list()
    assert run.person == "local user" and run.state == "success"
    [created] = entries(store, "analysis created")
    assert created.person == "local user" and created.detail["task_id"] == run.task_id
    assert created.detail["units"] == run.units and created.detail["backend"] == "emulator"


def test_a_signed_in_operators_run_is_theirs_and_their_sign_in_is_audited_once(store):
    at = signed_in(PEOPLE["operator"]).run()
    at.run()
    at.switch_page("pages/history.py").run()
    [sign_in] = entries(store, "sign-in")
    assert sign_in.person == PEOPLE["operator"] and sign_in.detail == {"role": "operator"}
    at = analyse_sample(at.switch_page("pages/analyse.py").run())
    assert not at.exception, at.exception
    assert [r.person for r in store.list()] == [PEOPLE["operator"]]


def test_a_role_denial_is_audited_with_the_role_it_needed(store):
    at = signed_in(PEOPLE["viewer"]).run()
    at.switch_page("pages/settings.py").run()
    at.run()  # the same refusal drawn again is not another entry
    assert [t.value for t in at.title] == ["Not allowed"]
    [denied] = entries(store, "role denied")
    assert denied.person == PEOPLE["viewer"]
    assert denied.detail["needed"] == "admin" and denied.detail["role"] == "viewer"


def test_the_audit_page_shows_the_newest_first_and_filters_by_action_and_person(store):
    store.audit("ana@example.com", "export", kind="csv")
    store.audit("bob@example.com", "delete", runs=["r1"])
    store.audit("ana@example.com", "purge", runs=3)
    at = signed_in(PEOPLE["admin"]).run()
    at.switch_page("pages/audit.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Audit trail"
    shown = at.dataframe[0].value
    assert list(shown["action"])[:3] == ["sign-in", "purge", "delete"]  # newest first
    at.multiselect(key="audit_actions").set_value(["export", "delete"]).run()
    assert list(at.dataframe[0].value["action"]) == ["delete", "export"]
    at.text_input(key="audit_person").set_value("ANA@").run()
    [row] = at.dataframe[0].value.to_dict("records")
    assert row["person"] == "ana@example.com" and row["detail"] == "kind: csv"
    assert at.get("download_button")


def test_the_audit_page_is_for_admins_only():
    at = signed_in(PEOPLE["operator"]).run()
    at.switch_page("pages/audit.py").run()
    assert [t.value for t in at.title] == ["Not allowed"]
    assert "needs the admin role" in texts(at) and not at.dataframe


def test_the_audit_csv_holds_every_field_and_no_formula():
    rows = [
        AuditEntry(1_700_000_000.0, "=HYPERLINK(1)", "export", {"file": "a,b"}),
        AuditEntry(1_699_999_000.0, "\u202egro.elpmaxe@moc\n", "sign-in", {}),
    ]
    read = list(csv.DictReader(io.StringIO(audit_csv(rows).decode())))
    assert [r["action"] for r in read] == ["export", "sign-in"]
    assert read[0]["person"] == "'=HYPERLINK(1)" and read[0]["detail"] == '{"file": "a,b"}'
    assert read[1]["time"].startswith("2023-11-14")
    assert read[1]["person"] == "gro.elpmaxe@moc"  # no bidi override, no line break


def test_analyse_shows_what_is_left_and_refuses_a_run_past_the_cap_naming_it(store, quick_emulator):
    store.set_caps(SpendCaps(per_person=1000))
    at = app_test().run()
    at.radio(key="analyse_source").set_value("sample").run()
    assert "1000 of 1000 units left today (per-person cap)." in texts(at)
    store.set_caps(SpendCaps(per_person=1))
    at.run()
    assert any("1 of 1 units left today" in w.value and "refused" in w.value for w in at.warning)
    at.button(key="do_run").click().run()
    assert not at.exception, at.exception
    refused = " ".join(e.value for e in at.error)
    assert "per-person daily cap of 1 units" in refused and "An admin can raise" in refused
    assert quick_emulator.creates == 0 and store.list() == []


def test_no_cap_shows_nothing_about_units_left():
    at = app_test().run()
    at.radio(key="analyse_source").set_value("sample").run()
    assert "units left today" not in texts(at)


def test_an_admin_sets_the_caps_in_settings_and_the_change_is_audited(store, monkeypatch):
    monkeypatch.setenv("SKINSCOPE_DAILY_UNITS", "500")
    at = app_test().run()
    at.switch_page("pages/settings.py").run()
    assert "500 units for the whole deployment" in texts(at) and "from the environment" in texts(at)
    at.toggle(key="caps_per_person_on").set_value(True).run()
    at.number_input(key="caps_per_person").set_value(40)
    at.toggle(key="caps_per_deployment_on").set_value(False)
    next(b for b in at.button if b.label == "Save the caps").click().run()
    assert not at.exception, at.exception
    assert store.caps() == SpendCaps(per_person=40, per_deployment=None)
    assert "set here: 40 units per person, no cap for the whole deployment" in texts(at)
    [changed] = entries(store, "caps changed")
    assert changed.person == "local user"
    assert changed.detail["per_person"] == 40 and changed.detail["before_per_deployment"] == 500


def test_a_cap_that_is_off_cannot_be_typed_into_and_saving_no_change_records_none(store):
    store.set_caps(SpendCaps(per_person=30))
    at = app_test().run()
    at.switch_page("pages/settings.py").run()
    assert not at.number_input(key="caps_per_person").disabled
    assert at.number_input(key="caps_per_deployment").disabled
    at.toggle(key="caps_per_deployment_on").set_value(True).run()
    assert not at.number_input(key="caps_per_deployment").disabled
    at.toggle(key="caps_per_deployment_on").set_value(False).run()
    at.button(key="caps_save").click().run()
    assert not at.exception, at.exception
    assert any("nothing was changed" in i.value for i in at.info)
    assert entries(store, "caps changed") == []


def test_a_batch_says_how_many_photos_fit_the_cap_and_sends_no_more(store, quick_emulator):
    at = app_test().run()
    at.switch_page("pages/batch.py").run()
    at.file_uploader(key="batch_files").set_value(photo_set()).run()
    units = 16  # a photo's units at the batch page's default settings (64 for 4 in its test)
    store.set_caps(SpendCaps(per_person=2 * units + 3))
    at.text_input(key="batch_name").set_value("capped").run()
    assert any("2 of 4 photos fit" in w.value for w in at.warning), texts(at)
    at.button(key="do_batch").click().run()
    wait_until(lambda: not batch_job.job("capped").running, timeout=60, what="the batch")
    job = batch_job.job("capped")
    assert job.summary.succeeded == 2 and quick_emulator.creates == 2
    assert {r.person for r in store.batch_runs("capped")} == {"local user"}
    [started] = entries(store, "batch started")
    assert started.person == "local user" and started.detail["photos"] == 2


def test_a_download_is_audited_when_its_data_is_made_with_the_person_of_its_session(store):
    from skinapi.ui.audit_log import audited

    made = audited("download", lambda: b"the file", file="scores", run="r1")
    assert entries(store, "download") == []  # drawn, not clicked: nothing handed over yet
    assert made() == b"the file"
    [download] = entries(store, "download")
    assert download.person == "local user" and download.detail == {"file": "scores", "run": "r1"}


def test_live_capture_stays_off_while_the_cap_leaves_less_than_a_participants_run(store):
    store.set_caps(SpendCaps(per_deployment=3))
    at = app_test().run()
    at.switch_page("pages/live.py").run()
    assert not at.exception, at.exception
    assert "3 of 3 units left today (deployment cap)." in texts(at)
    assert any("ask an admin to raise the deployment daily cap" in w.value for w in at.warning)


def test_a_change_of_a_connection_setting_is_audited_by_name_never_a_typed_key(store):
    at = app_test().run()
    at.switch_page("pages/settings.py").run()
    at.text_input(key="settings_base_url").set_value("http://127.0.0.1:9").run()
    at.text_input(key="settings_api_key").set_value("sk-typed-secret").run()
    changed = entries(store, "settings changed")
    assert [e.detail for e in changed] == [{"setting": "API key"}, {"setting": "Base URL"}]
    assert "sk-typed-secret" not in str(store.audit_entries(AuditQuery()))


@pytest.mark.parametrize(
    "role, may_delete, may_delete_at_the_api",
    [("viewer", False, False), ("operator", True, False), ("admin", True, True)],
)
def test_history_offers_deleting_and_purging_only_to_the_roles_that_may(
    role, may_delete, may_delete_at_the_api
):
    """A viewer sees and exports; an operator may also delete runs here; only an admin deletes
    at the API or purges (each checked again when the dialog's button is clicked)."""
    analyse_sample(app_test().run())  # a run in the run store, by the local user
    at = signed_in(PEOPLE[role]).run()
    at.switch_page("pages/history.py").run()
    at.session_state["history_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception, at.exception

    def buttons() -> set[str]:
        return {b.key for b in at.button}

    assert ("do_delete" in buttons()) is may_delete
    assert ("do_purge" in buttons()) is may_delete_at_the_api
    assert ("Purging needs the admin role." in texts(at)) is not may_delete_at_the_api
    if may_delete:
        at.button(key="do_delete").click().run()
        assert "do_delete_local" in buttons()
        assert ("do_delete_remote" in buttons()) is may_delete_at_the_api
    assert len(at.dataframe[0].value) == 1  # nothing deleted by looking


def test_a_mistyped_cap_is_said_on_analyse_and_settings_and_nothing_is_sent(monkeypatch):
    monkeypatch.setenv("SKINSCOPE_DAILY_UNITS", "²")
    at = app_test().run()
    assert not at.exception, at.exception
    assert any("SKINSCOPE_DAILY_UNITS='²'" in w.value for w in at.warning)
    assert at.button(key="do_run").disabled or "refused" in texts(at)
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    monkeypatch.setenv("SKINSCOPE_DAILY_UNITS", "99999999999999999999")  # past a browser's int
    at.run()
    assert not at.exception, at.exception


def test_an_entrys_detail_reads_as_words_in_the_table_and_as_json_in_the_csv():
    detail = {"per_person": None, "actions": ["wrinkle", "pore"], "task_id": "t-1\x1b[31m"}
    words = audit_view.detail_words(detail)
    assert words == "actions: wrinkle, pore · per person: none · task id: t-1"
    assert json.loads(audit_view.detail_text(detail)) == detail

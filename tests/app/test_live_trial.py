"""The Live trial's returning participants and their before/after, through AppTest in demo mode
(the simple camera): a follow-up never records a stranger, and shows the pair it made."""

import csv
import io

import pytest
from PIL import ImageEnhance
from streamlit.testing.v1 import AppTest

from skinapi.statistics.participant import trial_csv
from skinapi.store import RunQuery, SqliteRunStore, default_path

from ..helpers import app_test, jpeg, webcam_frame

pytestmark = pytest.mark.usefixtures("quick_emulator")


def live_page() -> AppTest:
    at = app_test().run()
    at.switch_page("pages/live.py").run()
    at.text_input(key="live_trial").set_value("Serum").run()
    return at


def camera(at: AppTest):
    return next(c for c in at.camera_input if c.key.startswith("photo_live_camera"))


def capture(at: AppTest, photo=None) -> None:
    at.checkbox(key="live_consent").set_value(True).run()
    camera(at).set_value(("shot.jpg", jpeg(photo or webcam_frame()), "image/jpeg")).run()
    assert not at.exception, at.exception


def baseline(at: AppTest, room: str = "Room 2") -> str:
    """A baseline photo of a new participant, in `room`; their ID."""
    at.text_input(key="live_room").set_value(room).run()
    at.segmented_control(key="live_skin").set_value("clean face").run()
    participant = at.text_input(key="live_participant").value
    capture(at)
    at.button(key="do_next_participant").click().run()
    return participant


def test_a_follow_up_offers_the_due_participants_and_never_a_new_id(quick_emulator):
    at = live_page()
    first = baseline(at)
    at.selectbox(key="live_visit").set_value("week 2").run()
    assert not [t for t in at.text_input if t.key == "live_participant"]  # nothing pre-filled
    picker = at.selectbox(key="live_returning")
    assert picker.value is None and picker.options[0].startswith(f"{first} · baseline ")
    at.checkbox(key="live_consent").set_value(True).run()
    assert camera(at).disabled  # consent alone does not capture at a follow-up
    assert any("choose the participant" in w.value for w in at.warning)
    # A new person at a follow-up is said out loud, and still has no ID until one is typed.
    picker.set_value("").run()
    assert any("no baseline" in w.value for w in at.warning)
    assert at.text_input(key="live_new_participant").value == ""
    assert camera(at).disabled
    at.selectbox(key="live_returning").set_value(first).run()
    assert not camera(at).disabled and at.image  # their baseline photo, to recognise them
    assert quick_emulator.creates == 1


def test_a_follow_up_capture_shows_the_participants_before_and_after(quick_emulator):
    at = live_page()
    first = baseline(at, room="Room 2")
    at.selectbox(key="live_visit").set_value("week 2").run()
    at.selectbox(key="live_returning").set_value(first).run()
    at.text_input(key="live_room").set_value("Room 5, window").run()
    capture(at, ImageEnhance.Brightness(webcam_frame()).enhance(0.75))
    # The before/after: both radars in one chart, the change in words, the conditions compared.
    radar = at.get("plotly_chart")[0].proto.spec
    assert radar.count('"type":"scatterpolar"') == 2 and "baseline" in radar and "week 2" in radar
    words = " ".join(m.value for m in at.markdown)
    assert "Change from baseline by concern" in words and ":red[worse]" in words  # a darker photo
    assert any("Taken under other conditions: room and light" in w.value for w in at.warning)
    assert at.selectbox(key=next(k for k in keys(at) if k.endswith("_mask")))
    stored = SqliteRunStore(default_path()).query(RunQuery(trial="Serum")).runs
    assert {(r.participant, r.visit) for r in stored} == {(first, "baseline"), (first, "week 2")}
    rooms = {r.visit: r.conditions for r in stored}
    assert rooms["baseline"]["room"] == "Room 2" and rooms["week 2"]["room"] == "Room 5, window"
    assert rooms["week 2"]["skin"] == "clean face"  # chosen once, kept for the next person
    assert rooms["week 2"]["resolution"] == "1280×720"
    assert rooms["week 2"]["camera"] and rooms["week 2"]["time_of_day"]
    # The trial's CSV: a row per participant × visit × concern, with the conditions.
    rows = list(csv.DictReader(io.StringIO(trial_csv(stored).decode())))
    assert len(rows) == 2 * len(stored[0].result.headline_scores())
    assert {r["room"] for r in rows} == {"Room 2", "Room 5, window"}
    # The summary opens any participant's before/after too.
    at.selectbox(key="live_summary_participant").set_value(first).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="summary_mask")
    at.switch_page("pages/history.py").run()
    shown = at.dataframe[0].value["Conditions"].tolist()
    assert any(c.startswith("clean face · Room 5, window · ") for c in shown), shown


def keys(at: AppTest) -> list[str]:
    return [s.key for s in at.selectbox if s.key]

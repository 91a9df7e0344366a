"""One trial participant over their visits: the change in words, the conditions compared, the
trial's CSV and their PDF report (read back with pypdf), over runs stored through the emulator."""

import csv
import io

import pytest
from PIL import ImageEnhance
from pypdf import PdfReader

from skinapi import AnalysisSettings
from skinapi.presentation.participant_pdf import DEMO_LABEL, participant_report
from skinapi.statistics import conditions, participant
from skinapi.store import SqliteRunStore

from ..helpers import face_image, jpeg, record_run

SETTINGS = AnalysisSettings.build(["redness", "pore", "radiance", "wrinkle"])


@pytest.fixture
def trial(tmp_path, client, face_bytes):
    """P-001 at baseline and week 2 (a darker photo, another room), P-002 at baseline."""
    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    darker = jpeg(ImageEnhance.Brightness(face_image()).enhance(0.7))
    for who, visit, photo, room in (
        ("P-001", "baseline", face_bytes, "Room 2"),
        ("P-002", "baseline", face_bytes, "Room 2"),
        ("P-001", "week 2", darker, "Room 5"),
    ):
        conditions_then = {"room": room, "skin": "clean face"}
        labels = dict(trial="Serum", participant=who, visit=visit, conditions=conditions_then)
        record_run(store, client, photo, SETTINGS, source="camera", **labels)
    return store, store.list()


def test_the_change_is_said_in_words_by_the_scores_scale(trial):
    _, runs = trial
    visits = participant.visit_runs(runs, "P-001")
    assert [r.visit for r in visits] == ["baseline", "week 2"]
    radiance = next(c for c in participant.concern_changes(*visits) if c.family == "radiance")
    assert radiance.after < radiance.before - participant.SAME_WITHIN
    assert radiance.direction == "worse"  # a lower ui score is less healthy skin
    assert participant.ConcernChange("x", "X", 50, 60).direction == "better"
    assert participant.ConcernChange("x", "X", 50, 52).direction == "about the same"


def test_a_follow_up_offers_only_the_participants_still_due(trial):
    _, runs = trial
    assert list(participant.returning(runs, "week 2")) == ["P-002"]
    assert list(participant.returning(runs, "week 4")) == ["P-001", "P-002"]


def test_conditions_that_differ_are_named_and_the_time_compares_its_part_of_the_day():
    rows = conditions.compare(
        {"room": "Room 2", "skin": "clean face", "time_of_day": "morning (09:10)"},
        {"room": "room 2", "skin": "makeup or cream on", "time_of_day": "morning (11:50)"},
    )
    assert [r.key for r in rows if r.differs] == ["skin"]


def test_the_trial_csv_has_a_row_per_participant_visit_and_concern_with_conditions(trial):
    _, runs = trial
    rows = list(csv.DictReader(io.StringIO(participant.trial_csv(runs).decode())))
    assert len(rows) == 3 * 4
    assert {(r["participant"], r["visit"]) for r in rows} == {
        ("P-001", "baseline"),
        ("P-001", "week 2"),
        ("P-002", "baseline"),
    }
    assert {r["room"] for r in rows if r["visit"] == "week 2"} == {"Room 5"}


def test_the_participant_report_is_a_pdf_of_their_visits_only(trial):
    store, runs = trial
    visits = participant.visit_runs(runs, "P-001")
    reader = PdfReader(io.BytesIO(participant_report(store, visits)))
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in ("P-001", "Serum", "baseline", "week 2", "Radiance", "worse", DEMO_LABEL):
        assert expected in text, expected
    assert "Room 5" in text and "differs" in text  # the conditions, compared
    assert "P-002" not in text
    assert sum(len(page.images) for page in reader.pages) == 2  # both photos
    with pytest.raises(ValueError):
        participant_report(store, runs)  # two participants' runs: refused

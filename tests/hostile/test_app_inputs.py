"""What a person can hand the dashboard by mistake: photos the browser cannot show or Streamlit
cannot scale, an empty file, a key or a base URL that cannot be sent. Each gets a message on the
page, never a traceback. Found by a hostile-input hunt."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ..helpers import app_test, face_image


def upload(data: bytes, name: str):
    at = app_test().run()
    at.radio(key="analyse_source").set_value("upload").run()
    at.file_uploader(key="photo_upload").set_value((name, data, "image/png")).run()
    return at


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_16_bit_photo_is_shown_as_it_is_checked():
    """Streamlit's preview re-decoded the upload and could not write 16-bit pixels as JPEG."""
    grey = np.asarray(face_image().convert("L")).astype("uint16") * 256
    at = upload(png(Image.fromarray(grey)), "deep.png")
    assert not at.exception
    assert at.image and any("Photo check" in m.value for m in at.markdown)


def test_a_strip_of_pixels_gets_the_checks_verdict_not_a_scaling_error():
    at = upload(png(Image.new("RGB", (20000, 10), (200, 180, 170))), "strip.png")
    assert not at.exception
    assert any("would refuse this photo" in m.value for m in at.markdown)
    assert at.button(key="do_run").disabled


def test_an_empty_file_is_named_as_empty():
    at = upload(b"", "empty.jpg")
    assert not at.exception
    assert "empty.jpg is empty (0 bytes)" in at.error[0].value


def test_an_empty_file_after_a_good_photo_does_not_send_the_good_one():
    """The uploader showed empty.jpg while the page kept the earlier photo, checked and ready
    to bill, under 'Your last photo, kept while you visited other pages'."""
    at = upload(png(face_image()), "good.png")
    assert not at.button(key="do_run").disabled
    at.file_uploader(key="photo_upload").set_value(("empty.jpg", b"", "image/jpeg")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "empty.jpg is empty (0 bytes): choose the photo again, or another one."
    ]
    assert not [c for c in at.caption if "Your last photo" in c.value]
    assert not [b for b in at.button if b.key == "do_run" and not b.disabled]


@pytest.mark.parametrize(
    "field, value, says",
    [
        ("settings_api_key", "ключ-0123456789", "cannot carry"),
        ("settings_api_key", "     ", "is blank"),
        ("settings_base_url", "http://[::1", "is not a URL"),
        ("settings_base_url", "file:///etc/passwd", "is not an http(s) address"),
    ],
)
def test_a_key_or_base_url_that_cannot_be_sent_is_said_on_every_live_page(field, value, says):
    at = app_test()
    at.session_state[field] = value
    if field == "settings_base_url":
        at.session_state["settings_api_key"] = "sk-a-good-key-0123456789"
    at.session_state["connection_backend"] = "live"
    at.run()
    assert not at.exception and any(says in w.value for w in at.sidebar.warning)
    assert any("on Settings" in w.value for w in at.sidebar.warning)
    # The Live trial's camera component does not run under AppTest; its page shares the frame.
    for page in ("pages/analyse.py", "pages/batch.py", "pages/settings.py"):
        at.switch_page(page).run()
        assert not at.exception, page
    at.button(key="do_test_connection").click().run()
    assert not at.exception and any(says in w.value for w in at.warning)
    assert sum(says in w.value for w in at.main.warning) == 1  # not again after the test
    assert any("Not tested" in w.value for w in at.warning)


@pytest.mark.parametrize(
    "variable, value, fix",
    [
        ("YOUCAM_API_KEY", "sk-\u200b0123456789", "the key in the environment is corrected"),
        ("YOUCAM_BASE_URL", "https//yce-api-01.makeupar.com", "YOUCAM_BASE_URL"),
    ],
)
def test_a_deployments_key_or_url_that_cannot_be_sent_says_where_to_fix_it(
    variable, value, fix, monkeypatch
):
    monkeypatch.setenv("YOUCAM_API_KEY", "sk-a-good-key-0123456789")
    monkeypatch.setenv(variable, value)
    at = app_test()
    at.session_state["connection_backend"] = "live"
    at.run()
    said = " ".join(w.value for w in at.sidebar.warning)
    assert not at.exception and fix in said and "is corrected" in said, said
    assert value not in said or variable == "YOUCAM_BASE_URL"  # a key is never shown


@pytest.mark.parametrize("created", [-1e15, 1e20])
def test_history_opens_with_a_run_whose_date_no_calendar_shows(created, quick_emulator):
    """The others are listed, the damaged one left out; the date filter starts at a day that
    exists (the oldest run's time, -1e15, raised 'year is out of range')."""
    import os
    import sqlite3
    from pathlib import Path

    from skinapi.bench import history_runs
    from skinapi.store import SqliteRunStore

    path = Path(os.environ["SKINSCOPE_DATA_DIR"]) / "runs.sqlite3"
    store = SqliteRunStore(path)
    store.add_runs(history_runs(3))
    damaged = store.list()[0].id
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET created = ? WHERE id = ?", (created, damaged))
    at = app_test().run()
    at.switch_page("pages/history.py").run()
    assert not at.exception, at.exception
    shown = list(at.dataframe[0].value["Run"])
    assert len(shown) == 2 and damaged not in shown

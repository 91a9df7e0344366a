"""The dashboard through Streamlit's AppTest, in demo mode against the embedded emulator."""

import subprocess
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

from skinapi import AnalysisSettings, Client, preset_actions
from skinapi.demo import DEMO_API_KEY
from skinapi.runs.lifecycle import Run, run_key

from ..helpers import FACE_PATH, ROOT, SAMPLE, app_test, jpeg, small_face_photo, webcam_frame

PAGES = [
    "pages/analyse.py",
    "pages/results.py",
    "pages/history.py",
    "pages/compare.py",
    "pages/live.py",
    "pages/settings.py",
    "pages/batch.py",
    "pages/audit.py",
]


pytestmark = pytest.mark.usefixtures("quick_emulator")


def app() -> AppTest:
    return app_test().run()


def concerns(at: AppTest):
    """The Analyse page's concerns (its key changes with each preset or quality applied)."""
    return next(m for m in at.multiselect if m.label == "Concerns to analyse")


def analyse_sample(at: AppTest) -> AppTest:
    at.radio(key="analyse_source").set_value("sample").run()
    return at.button(key="do_run").click().run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_an_exception(page):
    at = app()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title[0].value


def test_demo_mode_is_the_default_without_a_key():
    at = app()
    assert at.radio(key="sidebar_connection").value == "demo"
    assert any("demo engine" in i.value for i in at.info)


def test_sample_photo_runs_a_demo_analysis_and_opens_results(quick_emulator):
    at = analyse_sample(app())
    assert not at.exception, at.exception
    assert at.title[0].value == "Results"
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["Overall", "Skin age", "Skin type"]
    assert 1 <= float(at.metric[0].value) <= 100
    assert at.get("plotly_chart") and at.image
    assert quick_emulator.creates >= 1


def test_uploaded_photo_runs_end_to_end(face_image):
    at = app()
    at.radio(key="analyse_source").set_value("upload").run()
    at.file_uploader(key="photo_upload").set_value(("me.jpg", jpeg(face_image), "image/jpeg")).run()
    at.button(key="do_run").click().run()
    assert not at.exception and at.title[0].value == "Results"


def test_camera_photo_is_taken_at_the_modes_resolution_and_analysed():
    at = app()
    at.radio(key="analyse_source").set_value("camera").run()
    camera = at.camera_input(key="photo_camera_sd")
    assert camera.resolution == "720p"
    camera.set_value(("shot.jpg", FACE_PATH.read_bytes(), "image/jpeg")).run()
    at.button(key="do_run").click().run()
    assert not at.exception and at.title[0].value == "Results"
    at.switch_page("pages/analyse.py").run()
    at.radio(key="analyse_mode").set_value("hd").run()
    assert at.camera_input(key="photo_camera_hd").resolution == "1080p"


def test_hd_mode_offers_only_hd_concerns_and_blocks_a_small_photo():
    at = app()
    at.radio(key="analyse_mode").set_value("hd").run()
    at.radio(key="analyse_source").set_value("upload").run()
    at.file_uploader(key="photo_upload").set_value(
        ("small.jpg", SAMPLE.read_bytes(), "image/jpeg")
    ).run()
    chosen = concerns(at)
    assert chosen.value and all(a.startswith("hd_") for a in chosen.value)
    assert at.button(key="do_run").disabled
    assert any("1080" in m.value for m in at.markdown)


def test_the_sample_comes_at_the_size_the_quality_needs_and_says_so():
    at = app()
    at.radio(key="analyse_source").set_value("sample").run()
    assert any("720×960 px, for SD" in c.value for c in at.caption)
    assert not at.button(key="do_run").disabled
    at.radio(key="analyse_mode").set_value("hd").run()
    assert any("1080×1440 px — meets the HD minimum" in c.value for c in at.caption)
    assert any("upscale adds no detail" in c.value for c in at.caption)
    assert not at.button(key="do_run").disabled


def test_unit_cost_follows_the_documented_table():
    at = app()
    at.selectbox(key="analyse_preset").set_value("custom").run()
    concerns(at).set_value(["redness", "pore", "acne", "texture", "moisture"]).run()
    assert any("12 units" in m.value for m in at.markdown)
    at.radio(key="analyse_mode").set_value("hd").run()
    concerns(at).set_value(["hd_redness"]).run()
    assert any("12 units" in m.value for m in at.markdown)


def test_the_concerns_chosen_survive_a_visit_to_another_page_and_follow_the_preset():
    at = app()
    at.selectbox(key="analyse_preset").set_value("custom").run()
    concerns(at).set_value(["redness", "pore"]).run()
    at.switch_page("pages/history.py").run()
    at.switch_page("pages/analyse.py").run()
    assert concerns(at).value == ["redness", "pore"]
    at.selectbox(key="analyse_preset").set_value("all").run()
    assert len(concerns(at).value) == 16
    concerns(at).set_value(["redness", "pore", "acne"]).run()  # edited by hand
    assert at.selectbox(key="analyse_preset").value == "custom"
    assert concerns(at).value == ["redness", "pore", "acne"]
    at.selectbox(key="analyse_preset").set_value("all").run()
    assert len(concerns(at).value) == 16
    at.radio(key="analyse_mode").set_value("hd").run()
    assert concerns(at).value and all(a.startswith("hd_") for a in concerns(at).value)


def test_engine_error_is_shown_with_its_hint_and_request_id(quick_emulator):
    quick_emulator.configure(fault_engine_error="error_src_face_too_small")
    at = analyse_sample(app())
    assert not at.exception
    message = at.error[0].value
    assert "60%" in message and "could not analyse this photo" in message
    assert "/s2s/" not in message  # the plain headline carries no HTTP path
    details = " ".join(m.value for e in at.expander for m in e.markdown)
    assert "request id" in details and "error_src_face_too_small" in details


def test_run_n_times_says_which_run_of_the_series_is_running(quick_emulator):
    quick_emulator.configure(fault_engine_error="error_src_face_too_small")
    at = app()
    at.radio(key="analyse_source").set_value("sample").run()
    at.number_input(key="analyse_repeat_n").set_value(3).run()
    at.button(key="do_repeat").click().run()
    assert not at.exception
    labels = [s.label for s in at.status]
    assert any(label.startswith("Run 1 of 3 · ") for label in labels), labels
    assert not any("2 of 3" in label for label in labels)  # the series stops at a failure


def test_unreadable_upload_gets_a_clear_error_not_a_traceback():
    at = app()
    at.radio(key="analyse_source").set_value("upload").run()
    at.file_uploader(key="photo_upload").set_value(
        ("photo.jpg", b"not an image at all", "image/jpeg")
    ).run()
    assert not at.exception
    assert "Cannot read this photo" in at.error[0].value
    assert at.button(key="do_run").disabled


def test_small_face_can_be_fixed_in_one_click():
    at = app()
    at.radio(key="analyse_source").set_value("upload").run()
    wide = jpeg(small_face_photo())
    at.file_uploader(key="photo_upload").set_value(("wide.jpg", wide, "image/jpeg")).run()
    assert at.button(key="do_run").disabled
    at.button(key="do_fix").click().run()
    assert not at.exception and not at.button(key="do_run").disabled


def test_reruns_after_a_result_make_no_api_calls(quick_emulator):
    at = analyse_sample(app())
    before = len(quick_emulator.request_log)
    for _ in range(10):
        at.run()
    at.switch_page("pages/analyse.py").run()
    assert any("already analysed" in s.value for s in at.success)
    assert len(quick_emulator.request_log) == before


def _running_run(emulator, at, settings=None) -> tuple[str, str, str]:
    """A run of this session stopped mid-wait, as a rerun leaves it: a task_id and no result
    (its key, its id, its task_id)."""
    from skinapi.store.ids import new_run_id

    settings = settings or AnalysisSettings.build(["redness"])
    photo = SAMPLE.read_bytes()
    client = Client(DEMO_API_KEY, base_url=emulator.url)
    task_id = client.create_task(settings, src_file_id=client.upload_photo(photo)).task_id
    key, run_id = run_key(photo, settings, "emulator"), new_run_id()
    at.session_state["runs"] = {
        key: Run(
            key=key,
            photo=photo,
            file="sample.jpg",
            source="sample",
            settings=settings,
            backend="emulator",
            state="running",
            task_id=task_id,
            id=run_id,
        )
    }
    return key, run_id, task_id


def test_an_interrupted_wait_resumes_the_same_task(quick_emulator):
    at = app()
    at.radio(key="analyse_source").set_value("sample").run()
    settings = AnalysisSettings.build(preset_actions("all", "sd"))
    key, _, task_id = _running_run(quick_emulator, at, settings)
    creates = quick_emulator.creates
    at.run()
    assert not at.exception and at.title[0].value == "Results"
    assert quick_emulator.creates == creates
    assert at.session_state["runs"][key].result.task_id == task_id


def _hold_lease(run_id: str, for_seconds: float, let_go=None) -> None:
    """Another thread holds the run's lease (as a script run following it does) for a while,
    then sets `let_go`, as `runflow.execute` does when its run_analysis returns or is stopped."""
    import threading

    from skinapi.store import open_store
    from skinapi.store.leases import run_lease

    held = threading.Event()

    def follow():
        store = open_store()
        with run_lease(store, run_id):
            held.set()
            time.sleep(for_seconds)
        store.close()
        if let_go is not None:
            let_go.set()

    threading.Thread(target=follow, daemon=True).start()
    held.wait(10)


def test_a_rerun_waits_for_the_interrupted_script_run_to_let_go_of_its_task(quick_emulator):
    """Streamlit starts a rerun at once (fast reruns) while the script run it interrupted still
    follows the run, asleep between two polls. The rerun called the run 'followed elsewhere'
    and stranded the page (a double click on Analyse); it now waits for that script run."""
    import threading

    at = app()
    at.radio(key="analyse_source").set_value("sample").run()
    key, run_id, task_id = _running_run(quick_emulator, at)
    let_go = threading.Event()
    at.session_state["runs_following"] = {key: let_go}
    _hold_lease(run_id, 1.0, let_go)
    at.run(timeout=30)
    assert not [m for m in at.markdown if "followed in another window" in m.value]
    assert not at.exception and at.title[0].value == "Results"
    assert at.session_state["runs"][key].result.task_id == task_id


def test_a_run_another_window_follows_is_said_at_once_not_waited_for(quick_emulator):
    at = app()
    at.radio(key="analyse_source").set_value("sample").run()
    key, run_id, _ = _running_run(quick_emulator, at)
    _hold_lease(run_id, 8.0)  # another window: no script run of this session lets go
    started = time.monotonic()
    at.run(timeout=30)
    assert time.monotonic() - started < 5
    assert [m for m in at.markdown if "followed in another window" in m.value]
    assert at.session_state["runs"][key].state == "running"


def test_history_lists_runs_and_compare_overlays_them(tmp_path):
    at = analyse_sample(app())
    at.switch_page("pages/analyse.py").run()
    at.selectbox(key="analyse_preset").set_value("eyes").run()
    at.button(key="do_run").click().run()
    assert at.title[0].value == "Results"
    at.switch_page("pages/history.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 2 and set(table["State"]) == {"✔ done"}
    at.session_state["compare_ids"] = list(table["Run"])
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    figure = at.get("plotly_chart")[0].proto.spec
    assert figure.count('"type":"scatterpolar"') == 2


def test_a_corrupt_history_shows_a_way_out(monkeypatch, tmp_path):
    data = tmp_path / "broken"
    data.mkdir()
    (data / "runs.sqlite3").write_bytes(b"garbage" * 500)
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(data))
    at = app()
    at.switch_page("pages/history.py").run()
    assert not at.exception and "cannot be read" in at.error[0].value
    at.button(key="do_fresh_history").click().run()
    assert not at.exception and any("No runs yet" in i.value for i in at.info)
    assert list(data.glob("runs.sqlite3.broken-*"))


def test_live_trial_simple_camera_runs_a_participant_into_the_kiosk_view_and_summary():
    at = app()
    at.switch_page("pages/live.py").run()
    assert at.toggle(key="live_simple").value
    assert live_camera(at).disabled  # no consent, no trial yet
    at.text_input(key="live_trial").set_value("Pilot").run()
    at.checkbox(key="live_consent").set_value(True).run()
    camera = live_camera(at)
    assert not camera.disabled and camera.resolution == "720p"
    camera.set_value(("shot.jpg", jpeg(webcam_frame()), "image/jpeg")).run()
    assert not at.exception, at.exception
    html = " ".join(m.value for m in at.markdown)
    assert "Skin age" in html and "Overall" in html  # the kiosk's three numbers
    assert any("1 participant analysed" in m.value for m in at.markdown)
    participant = at.text_input(key="live_participant").value
    at.button(key="do_next_participant").click().run()
    assert at.text_input(key="live_participant").value != participant
    assert not at.checkbox(key="live_consent").value


def live_camera(at: AppTest):
    """The simple camera's widget: a fresh one per participant."""
    return next(c for c in at.camera_input if c.key.startswith("photo_live_camera"))


def test_a_new_participant_gets_an_empty_camera_not_the_last_persons_photo(quick_emulator):
    at = app()
    at.switch_page("pages/live.py").run()
    at.text_input(key="live_trial").set_value("Pilot").run()
    at.checkbox(key="live_consent").set_value(True).run()
    live_camera(at).set_value(("shot.jpg", jpeg(webcam_frame()), "image/jpeg")).run()
    assert quick_emulator.creates == 1
    at.button(key="do_next_participant").click().run()
    assert live_camera(at).value is None
    at.checkbox(key="live_consent").set_value(True).run()  # the next person consents
    assert not at.exception, at.exception
    assert quick_emulator.creates == 1  # nothing sent until their own photo is taken
    assert not any("Skin age" in m.value for m in at.markdown)


def test_live_mode_with_a_refused_key_shows_why_and_never_the_key(quick_emulator):
    secret = "sk-live-typed-in-secret-0042"
    at = app_test()
    at.session_state["settings_api_key"] = secret
    at.session_state["settings_base_url"] = quick_emulator.url  # a YouCam-compatible server
    at.run()
    assert at.radio(key="sidebar_connection").value == "live"  # a key was found
    assert any(
        "Key from the Settings page" in c.value and secret not in c.value
        for c in at.sidebar.caption
    )
    at.radio(key="analyse_source").set_value("sample").run()
    at.button(key="do_run").click().run()
    assert not at.exception
    message = at.error[0].value
    assert "401" in message or "API key" in message
    everything = " ".join(
        str(e.value) for e in at.main if hasattr(e, "value") and isinstance(e.value, str)
    )
    assert secret not in everything and secret not in message


def test_deleting_and_purging_ask_first_in_a_dialog():
    """The dialogs' own buttons rerun only the dialog (a fragment), which AppTest does not do;
    the browser test clicks them through. Here: the dialogs open and nothing is gone yet."""
    at = analyse_sample(app())
    at.switch_page("pages/history.py").run()
    at.session_state["history_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key="do_delete").click().run()
    assert not at.exception
    assert at.button(key="do_delete_local") and at.button(key="do_delete_remote")
    assert at.button(key="do_delete_cancel")
    assert len(at.dataframe[0].value) == 1
    at.button(key="do_purge").click().run()
    assert not at.exception and at.button(key="do_purge_confirmed").disabled
    assert at.button(key="do_purge_cancel")
    assert len(at.dataframe[0].value) == 1


def test_a_new_session_finds_the_stored_result_instead_of_paying_again(quick_emulator):
    """A new tab (a new session) or a restart: the run store has this photo and settings."""
    first = analyse_sample(app())
    assert first.title[0].value == "Results"
    creates = quick_emulator.creates
    second = app()
    second.radio(key="analyse_source").set_value("sample").run()
    assert not second.exception
    assert any(
        "already analysed" in s.value and "found in History" in s.value for s in second.success
    )
    second.button(key="do_view").click().run()
    assert second.title[0].value == "Results" and second.get("plotly_chart")
    assert quick_emulator.creates == creates


def test_results_after_a_failed_run_shows_the_latest_result(quick_emulator):
    at = analyse_sample(app())
    assert at.title[0].value == "Results"
    quick_emulator.configure(fault_engine_error="error_no_face")
    at.switch_page("pages/analyse.py").run()
    at.selectbox(key="analyse_preset").set_value("eyes").run()
    at.button(key="do_run").click().run()
    assert at.error  # the failure is shown on Analyse
    assert any("Fault injection is on" in w.value for w in at.warning), [
        w.value for w in at.warning
    ]
    at.switch_page("pages/results.py").run()
    assert not at.exception and at.get("plotly_chart")
    assert any("did not finish" in i.value for i in at.info)


def test_trial_visits_show_each_participants_change_from_baseline():
    """Two participants at baseline, one back at week 4 with a darker photo: the summary shows
    that participant's change per concern (after − before, as stored) and names the other as
    missing a follow-up; the visit is in the run store."""
    from PIL import ImageEnhance

    at = app()
    at.switch_page("pages/live.py").run()
    at.text_input(key="live_trial").set_value("Serum").run()
    first = at.text_input(key="live_participant").value
    for _ in range(2):
        at.checkbox(key="live_consent").set_value(True).run()
        live_camera(at).set_value(("shot.jpg", jpeg(webcam_frame()), "image/jpeg")).run()
        assert not at.exception, at.exception
        at.button(key="do_next_participant").click().run()
    assert any("Change from baseline appears once" in c.value for c in at.caption)
    at.selectbox(key="live_visit").set_value("week 4").run()
    picker = at.selectbox(key="live_returning")
    assert len(picker.options) == 3  # the two due, and a new participant
    picker.set_value(first).run()
    at.checkbox(key="live_consent").set_value(True).run()
    darker = ImageEnhance.Brightness(webcam_frame()).enhance(0.75)
    live_camera(at).set_value(("week4.jpg", jpeg(darker), "image/jpeg"))
    at.run()
    assert not at.exception, at.exception
    assert any("Change from baseline" in m.value for m in at.markdown)
    assert any("1 participant with both visits" in c.value for c in at.caption)
    assert any("no follow\\-up" in c.value for c in at.caption)  # the other participant
    changes = at.dataframe[-1].value
    from skinapi.store import SqliteRunStore, default_path

    stored = [r for r in SqliteRunStore(default_path()).list() if r.participant == first]
    by_visit = {r.visit: r.result for r in stored}
    assert set(by_visit) == {"baseline", "week 4"}
    radiance = changes[changes["Concern"] == "Radiance"].iloc[0]
    before = by_visit["baseline"].score("radiance", None).ui_score
    after = by_visit["week 4"].score("radiance", None).ui_score
    assert (radiance["Before"], radiance["After"], radiance["Change"]) == (
        before,
        after,
        after - before,
    )
    assert after < before  # a darker photo is less radiant


def test_a_trial_name_with_markdown_is_shown_as_typed(quick_emulator):
    at = app()
    at.switch_page("pages/live.py").run()
    at.text_input(key="live_trial").set_value("**Big** [x](javascript:alert(1))").run()
    at.checkbox(key="live_consent").set_value(True).run()
    live_camera(at).set_value(("shot.jpg", jpeg(webcam_frame()), "image/jpeg")).run()
    assert not at.exception, at.exception
    heading = next(h.value for h in at.header if h.value.startswith("Trial summary"))
    assert heading.endswith(r"\*\*Big\*\* \[x\]\(javascript\:alert\(1\)\)")


def test_the_app_listens_on_loopback_unless_configured_otherwise():
    """Without sign-in, anyone who reaches the page can spend the units: `streamlit run app.py`
    binds 127.0.0.1 (the project's .streamlit/config.toml, as Streamlit reads it)."""
    probe = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(config.get_option('server.address'))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "127.0.0.1"


def test_no_uploader_promises_more_than_the_server_accepts():
    """The Batch uploader said 500 MB while the server refused anything over 25 MB with a bare
    'AxiosError 413': every uploader's limit (as the page sends it) fits the server's."""
    from skinapi.ui.analyse_photo import MAX_PHOTO_UPLOAD_MB
    from skinapi.ui.batch_view import MAX_UPLOAD_MB

    probe = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(config.get_option('server.maxUploadSize'))"
    )
    server_mb = int(
        subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    assert MAX_PHOTO_UPLOAD_MB <= server_mb and MAX_UPLOAD_MB <= server_mb
    at = app_test().run()
    at.radio(key="analyse_source").set_value("upload").run()
    [upload] = at.get("file_uploader")
    assert upload.proto.max_upload_size_mb == MAX_PHOTO_UPLOAD_MB
    assert f"up to {MAX_PHOTO_UPLOAD_MB} MB" in upload.proto.label


class _KeyCatcher:
    """A loopback HTTP server that records every Authorization header it is sent."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen = self.authorizations = []

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                seen.append(self.headers.get("Authorization", ""))
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_servers_key_never_goes_to_a_base_url_typed_in_the_browser(quick_emulator, monkeypatch):
    """A visitor typed their own host as the base URL and pressed "Test connection": the
    server sent them `Authorization: Bearer <the team's key>`."""
    server_key = "sk-team-key-on-the-server-0001"
    monkeypatch.setenv("YOUCAM_API_KEY", server_key)
    catcher = _KeyCatcher()
    try:
        at = app_test()
        at.session_state["settings_base_url"] = catcher.url
        at.run()
        assert at.radio(key="sidebar_connection").value == "live"
        sidebar_says = [w.value for w in at.sidebar.warning]
        at.radio(key="analyse_source").set_value("sample").run()
        run = at.button(key="do_run")
        assert run.disabled or not run.click().run().exception
        at.switch_page("pages/settings.py").run()
        at.button(key="do_test_connection").click().run()
        settings_say = [w.value for w in at.warning]
        at.switch_page("pages/history.py").run()
        for button in [b for b in at.button if "balance" in (b.label or "").lower()]:
            button.click().run()
        assert not [a for a in catcher.authorizations if server_key in a]
        assert any("only to" in w for w in sidebar_says) and any(
            "only to" in w for w in settings_say
        )
        # The allow-list (https, or this machine's loopback) lets it through: the check can fail.
        monkeypatch.setenv("YOUCAM_ALLOWED_BASE_URLS", f"https://x.example, {catcher.url}/")
        at.switch_page("pages/settings.py").run()
        at.button(key="do_test_connection").click().run()
        assert [a for a in catcher.authorizations if server_key in a]
    finally:
        catcher.close()


def test_compare_sets_sd_and_hd_masks_of_one_concern_side_by_side(
    quick_emulator, face_image, tmp_path
):
    """Issue 24: one choice per concern family (SD wrinkles and HD wrinkles are one entry), each
    run's mask of it side by side, each named by its photo."""
    import os
    from pathlib import Path

    from skinapi.store import SqliteRunStore

    from ..helpers import record_run

    store = SqliteRunStore(Path(os.environ["SKINSCOPE_DATA_DIR"]) / "runs.sqlite3")
    client = Client(DEMO_API_KEY, base_url=quick_emulator.url)
    sd = record_run(store, client, jpeg(face_image), AnalysisSettings.build(["wrinkle", "pore"]))
    hd_photo = jpeg(face_image.resize((1080, 1440)))
    hd = record_run(store, client, hd_photo, AnalysisSettings.build(["hd_wrinkle", "hd_pore"]))
    store.close()
    at = app()
    at.session_state["compare_ids"] = [sd.id, hd.id]
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    picker = at.selectbox(key="compare_mask_family")
    shown = picker.options  # as formatted for people
    assert len(shown) == len(set(shown)) and "Wrinkles · Whole face" in shown, shown
    picker.set_value(("wrinkle", "whole")).run()
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert captions == ["Run 1 · photo.jpg · SD", "Run 2 · photo.jpg · HD"], captions

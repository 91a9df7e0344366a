"""`python -m skinapi` end to end against the emulator on loopback, in a subprocess."""

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from ..helpers import FACE_PATH, FAKE_KEY, jpeg, run_cli


def run(args, emulator=None, key=FAKE_KEY):
    quick_demo = {"SKINSCOPE_EMULATOR_PROCESSING_TIME": "0.2"}  # for --demo's own emulator
    return run_cli(*args, key=key, base_url=emulator and emulator.url, env=quick_demo)


def test_analyze_prints_one_json_document_and_saves_masks(emulator, tmp_path):
    done = run(["analyze", str(FACE_PATH), "--preset", "sd-eyes", "--out", str(tmp_path)], emulator)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert set(output) == {
        "task_id",
        "api_version",
        "format",
        "overall",
        "skin_age",
        "concerns",
        "skin_types",
        "missing",
    }
    assert output["missing"] == []
    assert {c["type"] for c in output["concerns"]} == {
        "eye_bag",
        "dark_circle_v2",
        "droopy_upper_eyelid",
        "droopy_lower_eyelid",
        "tear_trough",
    }
    assert all(os.path.exists(c["mask"]) for c in output["concerns"])
    assert "waiting" in done.stderr and FAKE_KEY not in done.stderr + done.stdout


def test_zip_format_and_v20(emulator):
    done = run(
        [
            "analyze",
            str(FACE_PATH),
            "--actions",
            "redness,pore",
            "--format",
            "zip",
            "--api-version",
            "v2.0",
        ],
        emulator,
    )
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert (
        output["format"] == "zip"
        and output["api_version"] == "v2.0"
        and output["concerns"][0]["mask"] is None
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (["--actions", "redness,hd_pore"], "cannot be mixed"),
        (["--actions", "abc123"], "Unknown concern"),
        (["--preset", "sd-nope"], "Unknown preset"),
        (["--preset", "hd-all"], "1080"),
    ],
)
def test_bad_usage_exits_2_and_sends_nothing(emulator, args, words):
    done = run(["analyze", str(FACE_PATH), *args], emulator)
    assert done.returncode == 2 and words in done.stderr
    assert "Traceback" not in done.stderr and emulator.request_log == []


def test_missing_key_exits_2(emulator):
    done = run(["analyze", str(FACE_PATH), "--preset", "sd-all"], emulator, key=None)
    assert done.returncode == 2 and "YOUCAM_API_KEY" in done.stderr


def test_missing_file_exits_2(emulator):
    done = run(["analyze", "/nope.jpg", "--preset", "sd-all"], emulator)
    assert done.returncode == 2 and "Cannot read" in done.stderr


def test_refused_key_exits_3_without_the_key(emulator):
    done = run(["analyze", str(FACE_PATH), "--preset", "sd-all"], emulator, key="sk-bad-secret-999")
    assert (
        done.returncode == 3 and "sk-bad-secret-999" not in done.stderr and "Bearer" in done.stderr
    )


def test_engine_failure_exits_4(emulator):
    emulator.configure(fault_engine_error="error_no_face")
    done = run(["analyze", str(FACE_PATH), "--preset", "sd-all"], emulator)
    assert done.returncode == 4 and "No face" in done.stderr


def test_task_timeout_exits_5_naming_the_task_to_resume(emulator):
    emulator.configure(fault_task_timeout=True)
    done = run(["analyze", str(FACE_PATH), "--actions", "redness"], emulator)
    assert done.returncode == 5 and "skinapi resume " in done.stderr
    task_id = done.stderr.split("resume ")[1].split()[0]
    emulator.configure(fault_task_timeout=False)
    resumed = run(["resume", task_id, "--actions", "redness"], emulator)
    assert resumed.returncode == 0 and json.loads(resumed.stdout)["task_id"] == task_id
    assert emulator.creates == 1


def test_skip_checks_sends_a_blocked_photo_and_the_engine_refuses_it(
    emulator, face_image, tmp_path
):
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg(face_image.resize((300, 400))))
    blocked = run(["analyze", str(small), "--actions", "redness"], emulator)
    assert blocked.returncode == 2 and "would be refused" in blocked.stderr
    assert "Nothing was sent" in blocked.stderr and emulator.api_requests() == 0
    done = run(["analyze", str(small), "--actions", "redness", "--skip-checks"], emulator)
    assert done.returncode == 4 and "480" in done.stderr


def test_analyze_of_a_file_that_is_no_photo_exits_2_in_one_line_and_sends_nothing(
    emulator, tmp_path
):
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"\xff\xd8 not a photo at all")
    done = run(["analyze", str(fake), "--actions", "redness"], emulator)
    assert done.returncode == 2 and done.stderr.startswith("error:")
    assert "Traceback" not in done.stderr and emulator.api_requests() == 0


def test_check_prints_a_report_and_fix_writes_a_passing_photo(face_image, tmp_path):
    from PIL import Image

    wide = Image.new("RGB", (2400, 1300), (205, 205, 210))
    wide.paste(face_image.resize((540, 720)), (900, 300))
    source, fixed = tmp_path / "wide.jpg", tmp_path / "fixed.jpg"
    source.write_bytes(jpeg(wide))
    report = run(["check", str(source)])
    assert report.returncode == 2 and json.loads(report.stdout)["ok"] is False
    done = run(["check", str(source), "--fix", str(fixed)])
    assert (
        done.returncode == 0 and json.loads(done.stdout)["fixed"]["ok"] is True and fixed.exists()
    )


def test_check_of_a_non_image(tmp_path):
    text = tmp_path / "photo.jpg"
    text.write_text("hello")
    done = run(["check", str(text)])
    assert done.returncode == 2 and "Cannot read this photo" in json.loads(done.stdout)["error"]


def test_demo_flag_needs_no_key():
    done = run(["analyze", str(FACE_PATH), "--actions", "redness", "--demo"], key=None)
    assert done.returncode == 0, done.stderr
    assert "demo engine" in done.stderr


def test_balance_prints_json_and_a_refused_key_exits_3(emulator):
    done = run(["balance", "--base-url", emulator.url], emulator)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["balance"] == emulator.balance(FAKE_KEY)
    refused = run(["balance", "--base-url", emulator.url], emulator, key="sk-wrong-key-0123456789")
    assert refused.returncode == 3 and "sk-wrong-key-0123456789" not in refused.stderr


def test_probe_is_free_by_default_and_records_what_it_saw(emulator, tmp_path):
    done = run(["probe", "--base-url", emulator.url, "--out", str(tmp_path)], emulator)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["balance"] is not None and report["task"] is None and emulator.creates == 0
    [capture] = tmp_path.glob("probe-*")
    assert sorted(p.name for p in capture.iterdir())[0].startswith("01-get-")


def test_probe_spends_only_when_told_and_its_capture_has_no_key_or_photo(emulator, tmp_path):
    asked = run(
        ["probe", "--spend-units", "--base-url", emulator.url, "--out", str(tmp_path)], emulator
    )
    assert asked.returncode == 2 and emulator.creates == 0  # no terminal to ask, no --yes
    done = run(
        ["probe", "--spend-units", "--yes", "--base-url", emulator.url, "--out", str(tmp_path)],
        emulator,
    )
    assert done.returncode == 0, done.stderr
    assert emulator.creates == 1 and json.loads(done.stdout)["task"]["scores"] == 1
    [capture] = tmp_path.glob("probe-*")
    written = b"".join(p.read_bytes() for p in capture.iterdir())
    assert FAKE_KEY.encode() not in written and FACE_PATH.read_bytes()[:2000] not in written
    documents = [json.loads(p.read_text()) for p in capture.glob("0*.json")]
    paths = [d["request"]["path"] for d in documents]
    assert any(p.endswith("/task/skin-analysis") for p in paths)
    assert all({"source", "request", "status", "body"} <= set(d) for d in documents)


def test_check_fix_into_a_folder_and_a_key_with_accents_end_in_one_line(tmp_path, face_image):
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg(face_image.resize((300, 400))))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    wide = tmp_path / "wide.jpg"
    from ..helpers import small_face_photo

    wide.write_bytes(jpeg(small_face_photo()))
    fixed = run(["check", str(wide), "--fix", str(folder)])
    assert fixed.returncode == 2 and "Traceback" not in fixed.stderr
    assert fixed.stderr.count("\n") == 1 and "Cannot write the fixed photo" in fixed.stderr
    accented = run(
        ["analyze", str(FACE_PATH), "--actions", "redness"], key="clé-secrète-1234567890"
    )
    assert accented.returncode == 2 and "Traceback" not in accented.stderr
    assert "clé-secrète" not in accented.stderr


def test_analyze_records_its_run_in_the_history_and_no_history_opts_out(
    emulator, tmp_path, monkeypatch
):
    from skinapi.store import SqliteRunStore

    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    done = run(["analyze", str(FACE_PATH), "--actions", "redness"], emulator)
    assert done.returncode == 0, done.stderr
    [stored] = SqliteRunStore(tmp_path / "data" / "runs.sqlite3").list()
    assert stored.state == "success" and stored.source == "cli"
    # A CLI run against `python -m skinapi emulator` is demo scores, whatever it was asked for.
    assert stored.backend == "emulator" and stored.base_url == emulator.url
    assert stored.task_id == json.loads(done.stdout)["task_id"] and stored.result is not None
    skipped = run(["analyze", str(FACE_PATH), "--actions", "redness", "--no-history"], emulator)
    assert skipped.returncode == 0 and emulator.creates == 2
    assert len(SqliteRunStore(tmp_path / "data" / "runs.sqlite3").list()) == 1


def test_analyze_records_a_failed_run_and_still_analyses_without_a_usable_history(
    emulator, tmp_path, monkeypatch
):
    from skinapi.store import SqliteRunStore

    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    emulator.configure(fault_engine_error="error_no_face")
    failed = run(["analyze", str(FACE_PATH), "--actions", "redness"], emulator)
    assert failed.returncode == 4
    [stored] = SqliteRunStore(tmp_path / "data" / "runs.sqlite3").list()
    assert stored.state == "error" and stored.error_code == "error_no_face"
    emulator.configure(fault_engine_error="")
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "a-file"))
    done = run(["analyze", str(FACE_PATH), "--actions", "redness"], emulator)
    assert done.returncode == 0 and "not recorded" in done.stderr


def _task_in_history(emulator, data_dir, **stored):
    """A run of the history whose task runs on `emulator` now, as `analyze` leaves it when
    it is stopped while polling."""
    from skinapi import AnalysisSettings
    from skinapi.store import SqliteRunStore

    from ..helpers import test_client

    settings = AnalysisSettings.build(["redness"])
    client = test_client(emulator)
    task = client.create_task(settings, src_file_id=client.upload_photo(FACE_PATH.read_bytes()))
    store = SqliteRunStore(data_dir / "runs.sqlite3")
    run_id = store.begin(
        photo=FACE_PATH.read_bytes(), settings=settings, backend="emulator", source="cli",
        photo_hash="h", base_url=emulator.url, label="stopped",
    )  # fmt: skip
    store.update(run_id, task_id=task.task_id, state="running", **stored)
    return store, run_id, task.task_id


def test_resume_goes_to_the_runs_own_url_and_refuses_another(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    store, run_id, task_id = _task_in_history(emulator, tmp_path / "data")
    polls = lambda: sum(1 for m, p in emulator.request_log if m == "GET" and task_id in p)  # noqa: E731

    elsewhere = run(["resume", task_id, "--base-url", "http://127.0.0.1:9"], key=FAKE_KEY)
    assert elsewhere.returncode == 2 and emulator.url in elsewhere.stderr
    assert "Traceback" not in elsewhere.stderr and polls() == 0
    assert store.get(run_id).state == "running"  # still resumable

    # No --base-url and no --actions: the run's own URL and settings, and the result is
    # recorded in the run.
    done = run(["resume", task_id], key=FAKE_KEY)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["task_id"] == task_id and polls() >= 1
    stored = store.get(run_id)
    assert stored.state == "success" and stored.result is not None


def test_resume_says_a_task_followed_elsewhere_and_polls_nothing(emulator, tmp_path, monkeypatch):
    from skinapi.store.leases import run_lease

    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    store, run_id, task_id = _task_in_history(emulator, tmp_path / "data")
    with run_lease(store, run_id) as held:  # what `analyze` polling in another terminal holds
        assert held is True
        busy = run(["resume", task_id], key=FAKE_KEY)
    assert busy.returncode == 5 and "followed by another window or process" in busy.stderr
    assert not [p for m, p in emulator.request_log if m == "GET" and task_id in p]
    assert store.get(run_id).state == "running"


def test_resume_of_a_task_the_history_does_not_know_needs_its_concerns(emulator):
    done = run(["resume", "task_not_in_history_123"], emulator)
    assert done.returncode == 2 and "--actions or --preset" in done.stderr


def test_runs_lists_the_stored_runs_as_json_and_filters_them(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    analysed = run(["analyze", str(FACE_PATH), "--actions", "redness"], emulator)
    assert analysed.returncode == 0, analysed.stderr
    _task_in_history(emulator, tmp_path / "data")

    listed = run(["runs", "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert listed.returncode == 0 and len(rows) == 2
    done = next(r for r in rows if r["state"] == "success")
    assert done["backend"] == "emulator" and done["base_url"] == emulator.url
    assert done["photo"] == FACE_PATH.name and done["quality"] == "SD"
    assert done["api_version"] == "v2.1" and done["units"] > 0 and done["task_id"]
    assert {"created_at", "label"} <= set(done)

    running = run(["runs", "--json", "--state", "running"])
    assert [json.loads(line)["label"] for line in running.stdout.splitlines()] == ["stopped"]
    labelled = run(["runs", "--json", "--label", "STOP"])
    assert len(labelled.stdout.splitlines()) == 1
    assert run(["runs", "--json", "--since", "2999-01-01"]).stdout == ""
    table = run(["runs"])
    assert table.returncode == 0 and "emulator" in table.stdout and "running" in table.stdout
    header, *lines = table.stdout.splitlines()
    assert header.split()[4] == "api_version" and table.stderr.strip() == "2 runs"
    for row in rows:  # whole, as `resume` takes it
        assert any(line.endswith(row["task_id"]) for line in lines), row["task_id"]
    assert run(["runs", "--since", "yesterday"]).returncode == 2


def _analyze_reporting_opencv(args, emulator):
    """`analyze` in a fresh interpreter, saying on its last stderr line whether OpenCV loaded."""
    probe = (
        "import sys; from skinapi import cli; code = cli.main(sys.argv[1:]); "
        "print('opencv loaded' if 'cv2' in sys.modules else 'opencv not loaded', file=sys.stderr);"
        " sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUCAM_")}
    env.update(YOUCAM_API_KEY=FAKE_KEY, YOUCAM_BASE_URL=emulator.url)
    return subprocess.run(
        [sys.executable, "-c", probe, "analyze", *args], capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip


def test_a_photo_that_passed_its_checks_is_not_checked_again(emulator, tmp_path, monkeypatch):
    from skinapi.imaging import CHECKS_VERSION
    from skinapi.store import SqliteRunStore
    from skinapi.store.ids import photo_hash

    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    first = _analyze_reporting_opencv([str(FACE_PATH), "--actions", "redness"], emulator)
    assert first.returncode == 0 and first.stderr.endswith("opencv loaded\n"), first.stderr
    store = SqliteRunStore(tmp_path / "data" / "runs.sqlite3")
    digest = photo_hash(FACE_PATH.read_bytes())
    assert store.passed_check(digest, "sd", CHECKS_VERSION) == []
    assert store.passed_check(digest, "hd", CHECKS_VERSION) is None
    assert store.passed_check(digest, "sd", CHECKS_VERSION + "-next") is None

    # The remembered verdict is the one used (a fresh check of this photo warns of nothing).
    store.keep_passed_check(digest, "sd", CHECKS_VERSION, ["remembered from the first pass"])
    again = _analyze_reporting_opencv([str(FACE_PATH), "--actions", "redness"], emulator)
    assert again.returncode == 0 and again.stderr.endswith("opencv not loaded\n"), again.stderr
    assert "warning: remembered from the first pass" in again.stderr
    # Other bytes are checked, and a blocked photo is never remembered.
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg(Image.open(FACE_PATH).resize((240, 320))))
    blocked = _analyze_reporting_opencv([str(small), "--actions", "redness"], emulator)
    assert blocked.returncode == 2 and blocked.stderr.endswith("opencv loaded\n")
    assert store.passed_check(photo_hash(small.read_bytes()), "sd", CHECKS_VERSION) is None


def test_check_keeps_the_decoders_warnings_in_its_report_not_on_the_terminal(tmp_path):
    """A photo whose EXIF points past the file made Pillow print a warning per tag."""
    import io
    import struct

    tiff = b"II*\x00" + struct.pack("<IH", 8, 40)
    tiff += b"".join(struct.pack("<HHII", 0x0100 + n, 2, 400, 5000) for n in range(40)) + bytes(4)
    buffer = io.BytesIO()
    Image.open(FACE_PATH).save(buffer, "JPEG", exif=b"Exif\x00\x00" + tiff)
    photo = tmp_path / "damaged-exif.jpg"
    photo.write_bytes(buffer.getvalue())
    done = run(["check", str(photo)])
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert any("metadata is damaged" in n for n in json.loads(done.stdout)["notes"])


def test_analyze_records_the_os_user_as_the_runs_person_and_audits_the_create(
    emulator, tmp_path, monkeypatch
):
    import getpass

    from skinapi.store import AuditQuery, SqliteRunStore

    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    done = run(["analyze", str(FACE_PATH), "--actions", "redness"], emulator)
    assert done.returncode == 0, done.stderr
    store = SqliteRunStore(tmp_path / "data" / "runs.sqlite3")
    [stored] = store.list()
    assert stored.person == f"local:{getpass.getuser()}"
    [created] = store.audit_entries(AuditQuery(actions=("analysis created",)))
    assert created.person == stored.person and created.detail["task_id"] == stored.task_id


@pytest.mark.parametrize(
    "option, why",
    [
        (["--since", "0001-01-01"], "not a day like"),
        (["--since", "2026-02-30"], "not a day like"),
        (["--limit", "99999999999999999999"], "not a number of runs from 1 up"),
        (["--limit", "-1"], "not a number of runs from 1 up"),
    ],
)
def test_runs_refuses_a_day_or_a_count_it_cannot_use_in_one_line(option, why, capsys):
    """Argument checks, in-process (no server needed): a usage error, not a traceback."""
    from skinapi.cli import main

    assert main(["runs", "--json", *option]) == 2
    assert why in capsys.readouterr().err


def test_a_run_the_emulator_refused_is_stored_as_the_emulators(emulator, tmp_path, monkeypatch):
    """A 401 carries the emulator's header too: the run was stored as `live`, so
    `runs --backend live` listed demo answers."""
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    refused = run(
        ["analyze", str(FACE_PATH), "--actions", "redness"], emulator, key="sk-wrong-0000000"
    )
    assert refused.returncode == 3, refused.stderr
    [row] = [json.loads(line) for line in run(["runs", "--json"]).stdout.splitlines()]
    assert row["state"] == "failed" and row["backend"] == "emulator"


def test_ctrl_c_after_the_create_names_the_task_to_resume(emulator_factory, tmp_path):
    import signal

    emulator = emulator_factory(processing_time=60)
    cli = run_cli(
        "analyze", FACE_PATH, "--actions", "redness", base_url=emulator.url,
        data_dir=tmp_path / "data",
        popen=dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
    )  # fmt: skip
    said = []
    for line in cli.stderr:
        said.append(line)
        if " created" in line:
            break
    cli.send_signal(signal.SIGINT)
    _, rest = cli.communicate(timeout=30)
    task_id = said[-1].split()[1]
    assert cli.returncode == 130
    assert f"stopped: task {task_id} was created" in rest and f"resume {task_id}" in rest

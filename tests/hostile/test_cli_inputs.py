"""What a person can hand the CLI by mistake: a named pipe or a device for a photo, an empty
preset, a wait longer than a task lives, the photo itself as --fix's output, a damaged run store.
Each ends in one line saying what to do (never a traceback, a hang or a lost file). Found by a
hostile-input hunt; commands run in-process unless a hang is what the test is about."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest
from requests.structures import CaseInsensitiveDict

from skinapi.cli import main
from skinapi.replies import Reply, status_error
from skinapi.scrubbing import KeyScrubber

from ..helpers import FACE_PATH, run_cli


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(folder))
    for name in [k for k in os.environ if k.startswith("YOUCAM_")]:
        monkeypatch.delenv(name)
    return folder


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", ["analyze", "check"])
def test_a_named_pipe_for_a_photo_is_refused_at_once(command, tmp_path):
    """Opening a FIFO waits for a writer for ever; it is refused before it is opened for good."""
    pipe = tmp_path / "photo.jpg"
    os.mkfifo(pipe)
    extra = ["--demo", "--preset", "sd-all"] if command == "analyze" else []
    done = run_cli(command, pipe, *extra, key=None, data_dir=tmp_path / "data", timeout=60)
    assert done.returncode == 2, done.stderr
    assert "a named pipe, not a file" in done.stderr and "Traceback" not in done.stderr


def test_a_device_for_a_photo_is_refused_not_read_into_memory(data_dir, capsys):
    code, err = run(capsys, "check", "/dev/zero")
    assert code == 2 and "a device, not a file" in err


def test_a_named_pipe_for_the_meta_csv_is_refused(data_dir, tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "face.jpg").write_bytes(FACE_PATH.read_bytes())
    meta = tmp_path / "meta.csv"
    os.mkfifo(meta)
    code, err = run(
        capsys, "batch", folder, "--demo", "--preset", "sd-all", "--yes", "--meta", meta
    )
    assert code == 2 and "meta CSV" in err and "a named pipe, not a file" in err


@pytest.mark.parametrize("command", ["analyze", "batch"])
def test_an_empty_preset_names_the_form_a_preset_takes(command, data_dir, tmp_path, capsys):
    target = FACE_PATH if command == "analyze" else tmp_path
    code, err = run(capsys, command, target, "--demo", "--preset", "")
    assert code == 2 and "--preset takes QUALITY-PRESET such as sd-all, not ''" in err


@pytest.mark.parametrize("value", ["1e10", "86401", "1e308"])
def test_a_wait_longer_than_a_day_is_a_usage_error_before_anything_is_recorded(
    value, data_dir, capsys
):
    code, err = run(
        capsys, "analyze", FACE_PATH, "--demo", "--preset", "sd-all", "--timeout", value
    )
    assert code == 2 and "at most 86400 (a day)" in err
    assert not (data_dir / "runs.sqlite3").exists()  # no run left behind as unsent


def test_check_will_not_write_its_fix_over_the_photo(tmp_path, capsys):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(FACE_PATH.read_bytes())
    before = hashlib.sha256(photo.read_bytes()).hexdigest()
    for target in (photo, tmp_path / "." / "p.jpg"):
        code, err = run(capsys, "check", photo, "--fix", target)
        assert code == 2 and "is the photo itself" in err
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == before


def stored_run(data_dir, capsys) -> None:
    code, err = run(capsys, "analyze", FACE_PATH, "--demo", "--preset", "sd-eyes")
    assert code == 0, err


def test_a_schema_version_int_cannot_read_is_a_damaged_store_not_a_crash(data_dir, capsys):
    stored_run(data_dir, capsys)
    with sqlite3.connect(data_dir / "runs.sqlite3") as db:
        db.execute("UPDATE meta SET value = '²' WHERE key = 'schema_version'")  # isdigit() says yes
    code, err = run(capsys, "runs")
    assert code == 2 and "no readable schema version" in err and "unexpected" not in err


def test_a_newer_schema_asks_for_the_newer_skinscope_not_a_fresh_store(data_dir, capsys):
    stored_run(data_dir, capsys)
    with sqlite3.connect(data_dir / "runs.sqlite3") as db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    code, err = run(capsys, "runs")
    assert code == 2 and "from a newer SkinScope" in err and "fresh" not in err


@pytest.mark.parametrize("created", [1e20, -1e15])
def test_a_run_whose_date_cannot_be_shown_is_left_out_and_counted(created, data_dir, capsys):
    stored_run(data_dir, capsys)
    stored_run(data_dir, capsys)  # the same photo again: its stored result, a second run
    with sqlite3.connect(data_dir / "runs.sqlite3") as db:
        (damaged,) = db.execute("SELECT id FROM runs ORDER BY created LIMIT 1").fetchone()
        db.execute("UPDATE runs SET created = ? WHERE id = ?", (created, damaged))
    code = main(["runs", "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and len(out.splitlines()) == 1 and damaged not in out
    assert f"1 stored run(s) matching are damaged and left out: {damaged}" in err


def test_a_task_the_api_no_longer_knows_is_not_offered_for_resume(data_dir, capsys):
    code, err = run(capsys, "resume", "abcdefghijklmnopqrstuv", "--demo", "--preset", "sd-all")
    assert code == 5 and "Invalid task id" in err and "Resume with" not in err


def test_a_folder_with_no_photo_says_so_rather_than_pointing_at_an_empty_list(
    data_dir, tmp_path, capsys
):
    (tmp_path / "notes.txt").write_text("not a photo")
    code, err = run(capsys, "batch", tmp_path, "--demo", "--preset", "sd-all", "--yes")
    assert code == 2 and "holds no JPG or PNG photo" in err


def test_an_html_error_page_is_reduced_to_its_title():
    page = (
        b"<!DOCTYPE HTML><html lang='en'><head><title>431 - Request Header Fields Too Large"
        b"</title></head><body><h1>431</h1><p>got more than 65536 bytes</p>" + b"x" * 900
    )
    reply = Reply(431, CaseInsensitiveDict({"Content-Type": "text/html"}), page)
    error = status_error(reply, "GET /s2s/v1.0/client/credit", "api", KeyScrubber("sk-test-1"))
    assert "an HTML page, not the API's JSON: 431 - Request Header Fields Too Large" in str(error)
    assert "<" not in str(error)


def test_an_html_page_of_unclosed_titles_is_read_in_one_pass():
    """A lazy regular expression over 8 MB of '<title>' took quadratic time (minutes)."""
    page = b"<!DOCTYPE html><html>" + b"<title>" * 1_000_000
    reply = Reply(502, CaseInsensitiveDict({"Content-Type": "text/html"}), page)
    error = status_error(reply, "GET /s2s/v1.0/client/credit", "api", KeyScrubber("sk-test-1"))
    assert "an HTML page, not the API's JSON" in str(error) and "<" not in str(error)


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["analyze", FACE_PATH, "--presets", "sd-all"],
            "unknown option --presets (did you mean --preset?)",
        ),
        (
            ["analyze", FACE_PATH, "--pre", "sd-all"],
            "unknown option --pre (did you mean --preset?)",
        ),
        (["runs", "--jsn"], "unknown option --jsn (did you mean --json?)"),
        (["store", "copy", "--too", "x"], "unknown option --too (did you mean --to?)"),
        ([], "`python -m skinapi --help` lists what it takes"),
        (["store"], "ACTION (`python -m skinapi store --help`"),
    ],
)
def test_a_mistyped_option_or_a_missing_command_is_named_with_the_way_to_the_help(
    capsys, argv, says, data_dir
):
    """A misspelt --presets was hidden behind "one of --actions --preset is required", and an
    abbreviation such as --pre was taken silently."""
    code, err = run(capsys, *argv)
    assert code == 2 and says in err, err


def test_analyse_spelt_as_the_prose_spells_it_runs_the_same_command(capsys, data_dir):
    code, err = run(capsys, "analyse", FACE_PATH, "--preset", "sd-eyes", "--demo", "--no-history")
    assert code == 0, err


@pytest.mark.parametrize("option", [["--base-url", "http://127.0.0.1:9"], ["--api-key", "k"]])
def test_demo_with_a_url_or_key_of_its_own_is_refused_not_ignored(capsys, option, data_dir):
    code, err = run(capsys, "analyze", FACE_PATH, "--preset", "sd-eyes", "--demo", *option)
    assert code == 2 and f"{option[0]} would not be used" in err
    assert "Nothing was sent" not in err  # nothing of a request here to say it of


def test_check_fix_writes_nothing_when_no_fix_applies(capsys, tmp_path, data_dir):
    out = tmp_path / "fixed.jpg"
    code, err = run(capsys, "check", FACE_PATH, "--quality", "hd", "--fix", out)
    assert code == 2 and "was not written" in err and not out.exists()


def test_a_batch_with_every_photo_blocked_says_each_ones_reason(capsys, tmp_path, data_dir):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(FACE_PATH.read_bytes())  # 720 px: under HD's 1080
    code, err = run(capsys, "batch", folder, "--preset", "hd-all", "--demo", "--yes")
    assert code == 2 and "blocked: a.jpg: The short side is 720 px" in err
    assert "checked 1 photo\n" in err


@pytest.mark.parametrize(
    "argv, says",
    [
        (["batch", "/no/such/folder", "--preset", "sd-all", "--demo"], "does not exist"),
        (["bench", "bogus"], "the benchmarks are client, cli"),
    ],
)
def test_a_name_that_names_nothing_says_so(capsys, argv, says, data_dir):
    code, err = run(capsys, *argv)
    assert code == 2 and says in err, err


def test_probe_says_a_key_is_missing_before_asking_to_spend(capsys, tmp_path, data_dir):
    code, err = run(capsys, "probe", "--spend-units", "--out", tmp_path)
    assert code == 2 and "No API key" in err and "--yes" not in err

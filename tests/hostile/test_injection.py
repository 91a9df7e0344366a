"""Text from a server or a user leaves the app escaped for its medium: HTML in the offline report
and the kiosk view, formulas in every CSV export, control characters on a terminal."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from skinapi import AnalysisSettings
from skinapi.presentation import exports, report
from skinapi.results import AnalysisResult, ConcernScore, SkinTypeZone
from skinapi.store import RunStore, SqliteRunStore

from ..helpers import CHROMIUM, CHROMIUM_ARGS, FACE_PATH, app_test

SCRIPT = "<script>document.title='PWNED'</script>"
IMG = '"><img src=x onerror="document.title=\'PWNED\'">'
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def hostile_result(task_id: str = "task_1") -> AnalysisResult:
    return AnalysisResult(
        task_id=task_id,
        api_version="v2.1",
        format="json",
        overall=70.0,
        skin_age=30,
        scores=[
            ConcernScore("redness", None, 60.0, 74),
            ConcernScore(SCRIPT, IMG, 50.0, 67),
            ConcernScore("=cmd|' /C calc'!A0", "+region", 40.0, 61),
        ],
        skin_types=[SkinTypeZone(IMG, SCRIPT), SkinTypeZone("whole", "=1+1")],
    )


@pytest.fixture
def hostile_store(tmp_path) -> tuple[RunStore, list]:
    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    for index, text in enumerate(FORMULAS):
        run_id = store.begin(
            photo=FACE_PATH.read_bytes(),
            settings=AnalysisSettings.build(["redness"]),
            backend="emulator",
            source="upload",
            photo_hash="h",
            label=text,
            trial=SCRIPT,
            participant=FORMULAS[(index + 1) % len(FORMULAS)],
            file=f"{SCRIPT}.jpg",
            visit=IMG,
            person=SCRIPT,
        )
        store.update(run_id, task_id=f"=task{index}", note=IMG)
        store.save_result(run_id, hostile_result(f"=task{index}"), duration=1.0, units=9)
    yield store, store.list()
    store.close()


def test_the_offline_report_escapes_every_text(hostile_store):
    store, runs = hostile_store
    for page in (
        report.html_report(store, runs[0]).decode(),
        report.selection_report(store, runs).decode(),  # photo, visit and person too
        b"".join(report.runs_report_chunks(runs)).decode(),
    ):
        assert "<script" not in page.lower() and "<img src=x" not in page
        assert "&lt;script&gt;" in page  # the text is there, as text


def formula_cells(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode())))
    return [
        cell for row in rows[1:] for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
    ]


def test_every_csv_export_neutralises_formulas(hostile_store):
    store, runs = hostile_store
    for data in (exports.runs_csv(runs), exports.result_csv(hostile_result("=task"))):
        assert formula_cells(data) == []
        assert "'=HYPERLINK" in data.decode() or "'=task" in data.decode()
    # Numbers stay numbers: a negative value is not text to neutralise.
    assert exports._cells(-3, 2.5) == [-3, 2.5]


def test_the_kiosk_view_escapes_the_skin_type(monkeypatch, tmp_path):

    from skinapi.runs.lifecycle import Run

    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SKINSCOPE_SIMPLE_CAMERA", "1")
    result = hostile_result()
    result.skin_types = [SkinTypeZone("whole", SCRIPT + IMG)]
    run = Run(key="k", photo=FACE_PATH.read_bytes(), file="f.jpg", source="camera", settings=AnalysisSettings.build(["redness"]), backend="emulator", state="success", task_id="task_1", result=result)  # fmt: skip
    at = app_test()
    at.session_state["runs"] = {"k": run}
    at.session_state["live_run"] = "k"
    at.run()
    at.switch_page("pages/live.py").run()
    assert not at.exception
    html = " ".join(m.value for m in at.markdown if "Skin type" in m.value)
    assert "&lt;script&gt;" in html and "<script" not in html and "<img" not in html


@pytest.mark.browser
@pytest.mark.xdist_group("browser-report")
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_no_script_runs_when_the_report_is_opened(hostile_store, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    store, runs = hostile_store
    page_file = tmp_path / "report.html"
    page_file.write_bytes(report.html_report(store, runs[0]))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        title = page.title()
        scripts = page.evaluate("document.scripts.length")
        handlers = page.evaluate("document.querySelectorAll('[onerror]').length")
        browser.close()
    assert title.startswith("SkinScope report") and scripts == 0 and handlers == 0
    assert dialogs == [] and errors == []


MARKUP = "<a href='https://evil.example'>win</a><span style='font-size:80px'>%{y}</span>"


def test_plotly_never_renders_a_users_or_a_files_text_as_markup():
    """Meta values and column names, labels, file names and visit names reached legends and
    hover text as Plotly markup: a link that opened, styled spans, template fields."""
    from skinapi.presentation import charts
    from skinapi.statistics.cohort import ScoreRow

    rows = [
        ScoreRow(f"r{n}", MARKUP, "b", "redness", "redness", "whole", 50 + n, 50.0 + n,
                 meta={MARKUP: MARKUP})
        for n in range(3)
    ]  # fmt: skip
    figures = [
        charts.cohort_distribution(rows, by=MARKUP),
        charts.radar([(MARKUP, [ConcernScore("redness", None, 70.0, 70, "redness:whole")])]),
        charts.strip_plot([(MARKUP, 60)]),
    ]
    for figure in figures:
        shown = " ".join(_strings(figure.to_plotly_json()))
        assert "<a href" not in shown and "<span" not in shown and "%{y}</span>" not in shown
        assert "&lt;a href=" in shown  # still there, as text


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []

"""The Batch page through AppTest: a small photo set with a meta CSV, one blocked photo, the
plan and its cost, the run in the background, and the cohort view over what was stored."""

import io
import zipfile

import pytest
from PIL import Image, ImageEnhance
from streamlit.testing.v1 import AppTest

from skinapi.store import SqliteRunStore, default_path
from skinapi.ui import batch_job

from ..helpers import app_test, face_image, jpeg, wait_until

pytestmark = pytest.mark.usefixtures("quick_emulator")


def photo_set() -> list[tuple[str, bytes, str]]:
    """Four faces in two groups (lighter and darker), and a photo with no face."""
    files = []
    for index, (group, brightness) in enumerate(
        [("light", 1.1), ("light", 1.05), ("dark", 0.8), ("dark", 0.75)]
    ):
        image = ImageEnhance.Brightness(face_image()).enhance(brightness)
        files.append((f"{group}-{index}.jpg", jpeg(image), "image/jpeg"))
    files.append(("wall.jpg", jpeg(Image.new("RGB", (720, 960), (180, 170, 160))), "image/jpeg"))
    return files


META = "file,group\nlight-0.jpg,light\nlight-1.jpg,light\ndark-2.jpg,dark\ndark-3.jpg,dark\n"


def page() -> AppTest:
    at = app_test().run()
    return at.switch_page("pages/batch.py").run()


def run_batch_page(at: AppTest, files, name: str) -> AppTest:
    at.file_uploader(key="batch_files").set_value(files).run()
    at.file_uploader(key="batch_meta").set_value(("meta.csv", META.encode(), "text/csv")).run()
    at.text_input(key="batch_name").set_value(name).run()
    assert not at.exception, at.exception
    at.button(key="do_batch").click().run()
    wait_until(lambda: not batch_job.job(name).running, timeout=60, what="the batch to end")
    return at.run()


def test_a_batch_says_what_is_missing_before_it_can_start(quick_emulator):
    at = page()
    at.file_uploader(key="batch_files").set_value(photo_set()[-1:]).run()  # no face in it
    assert any("No photo passes the check" in c.value for c in at.caption)
    at.text_input(key="batch_name").set_value("  ").run()
    assert any(c.value == "Name the batch to start it." for c in at.caption)
    assert not at.exception and quick_emulator.creates == 0


def test_a_small_batch_plans_runs_and_opens_its_cohort(quick_emulator):
    at = page()
    files = photo_set()
    at.file_uploader(key="batch_files").set_value(files).run()
    plan = " ".join(m.value for m in at.markdown)
    assert "4 photos pass the photo check" in plan and "1 blocked" in plan and "64 units" in plan
    at.file_uploader(key="batch_meta").set_value(("meta.csv", META.encode(), "text/csv")).run()
    assert any(c.value == "Meta columns read: group" for c in at.caption)
    at = run_batch_page(at, files, "set-a")
    job = batch_job.job("set-a")
    assert job.error is None and job.summary.succeeded == 4 and not job.summary.failed
    assert quick_emulator.creates == 4  # the blocked photo was never sent
    assert any("4 succeeded" in s.value for s in at.success)
    stored = SqliteRunStore(default_path()).batch_runs("set-a")
    assert sorted(r.file for r in stored) == ["dark-2.jpg", "dark-3.jpg", "light-0.jpg",
                                              "light-1.jpg"]  # fmt: skip
    assert {r.meta["group"] for r in stored} == {"light", "dark"}
    assert {r.person for r in stored} == {"local user"}  # who ran the batch, on each run
    # The cohort view opens split by the meta column: group means as stored, and groups
    # too small for their interval said to be.
    assert at.selectbox(key="cohort_by").value == "group"
    small = " ".join(w.value for w in at.warning)
    assert "Too few photos for a trustworthy interval: dark (n = 2), light (n = 2)." in small
    means = at.dataframe[-1].value
    radiance = means[(means["Concern"] == "Radiance") & (means["group"] == "dark")].iloc[0]
    dark = [r.result.score("radiance", None).ui_score for r in stored if r.meta["group"] == "dark"]
    assert radiance["n"] == 2 and radiance["Mean"] == round(sum(dark) / 2, 1)


def test_a_finished_batch_offers_nothing_more_and_a_stopped_one_resumes(quick_emulator):
    at = page()
    files = photo_set()
    at = run_batch_page(at, files, "again")
    assert quick_emulator.creates == 4
    assert "do_batch" not in _keys(at)
    assert any("nothing left to send" in s.value for s in at.success)
    # A second batch, stopped once its first task is created (stopped before that, it has
    # nothing to resume and the page offers to run it afresh): the page offers what is left.
    quick_emulator.configure(processing_time=1.0)
    at.text_input(key="batch_name").set_value("stopped").run()
    at.button(key="do_batch").click().run()
    wait_until(lambda: quick_emulator.creates > 4, timeout=60, what="the batch's first task")
    batch_job.job("stopped").stop.set()
    wait_until(lambda: not batch_job.job("stopped").running, timeout=60, what="the stop")
    at.run()
    made = quick_emulator.creates - 4
    assert 0 < made < 4
    resume = at.button(key="do_batch")
    assert resume.label.startswith(f"Resume the batch · {4 - made} photos left")
    quick_emulator.configure(processing_time=0.05)
    resume.click().run()
    wait_until(lambda: not batch_job.job("stopped").running, timeout=60, what="the resume")
    at.run()
    stored = SqliteRunStore(default_path()).batch_runs("stopped")
    assert quick_emulator.creates == 8 and len({r.task_id for r in stored if r.task_id}) == 4


def _keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button}


def test_a_zip_with_a_folder_inside_runs_and_a_damaged_zip_is_a_clear_error(quick_emulator):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, _ in photo_set()[:2]:
            archive.writestr(f"set/{name}", data)
    at = page()
    at.file_uploader(key="batch_files").set_value(
        ("set.zip", buffer.getvalue(), "application/zip")
    ).run()
    assert any("2 photos pass the photo check" in m.value for m in at.markdown)
    at.file_uploader(key="batch_files").set_value(
        ("broken.zip", b"PK\x03\x04 not really", "application/zip")
    ).run()
    assert not at.exception, at.exception
    assert at.error and "ZIP" in at.error[0].value


def test_comparing_two_batches_of_the_same_photos_shows_paired_differences(quick_emulator):
    at = page()
    files = photo_set()[:3]
    at = run_batch_page(at, files, "v21")
    at.selectbox(key="batch_version").set_value("v2.0").run()
    at = run_batch_page(at, files, "v20")
    # The name of a batch run with other settings is refused beside the name, not a plan away.
    at.text_input(key="batch_name").set_value("v21").run()
    shown = list(at.main.children.values())
    name = next(i for i, e in enumerate(shown) if getattr(e, "key", None) == "batch_name")
    assert shown[name + 1].type == "error" and "other settings" in shown[name + 1].value
    assert "do_batch" not in _keys(at)
    at.selectbox(key="cohort_batch").set_value("v21").run()
    at.selectbox(key="cohort_other").set_value("v20").run()
    assert not at.exception, at.exception
    assert any("v20 − v21" in c.value for c in at.caption)
    forest = at.get("plotly_chart")[-1].proto.spec
    assert "(n = 3)" in forest  # every photo paired across the two batches


def test_a_groups_interval_says_when_it_has_no_spread_rather_than_a_point():
    from skinapi.statistics.stats import mean_ci
    from skinapi.ui.cohort_view import _interval

    assert _interval(mean_ci([99.0, 99.0, 99.0])) == "— (all alike)"
    assert _interval(mean_ci([99.0])) == "— (one photo)"
    assert _interval(mean_ci([90.0, 95.0, 100.0])).startswith("82.6 – 100.0")

"""Cohort statistics against numbers worked out by hand on small fixed data sets: Student's t
against the printed table and closed forms, means with confidence intervals, group means,
Tukey outliers, paired SD↔HD batch differences, a trial's change from baseline, the CSV
exports, and the cohort charts."""

import csv
import io
import math

import pytest

from skinapi.concerns import AnalysisSettings
from skinapi.presentation import charts
from skinapi.results import AnalysisResult, ConcernScore
from skinapi.statistics.cohort import (
    PairedChange,
    changes_csv,
    cohort_scores,
    group_means,
    group_means_csv,
    outliers,
    outliers_csv,
    paired_differences,
    scores_csv,
    visit_changes,
    visit_changes_csv,
)
from skinapi.statistics.stats import mean_ci, t_cdf, t_quantile
from skinapi.store import RunRecord


def stored(run_id, scores, *, created=0.0, state="success", **fields) -> RunRecord:
    """A stored run with `scores` as (concern, region, ui score); the raw score is ui + 0.25.
    A run that is not a success has no result."""
    concerns = [ConcernScore(t, r, ui + 0.25, ui, f"{t}:{r or 'whole'}") for t, r, ui in scores]
    result = AnalysisResult(f"task-{run_id}", "v2.1", "json", overall=70.0, scores=concerns)
    actions = tuple(dict.fromkeys(t for t, _, _ in scores))
    return RunRecord(
        id=run_id, created=created, backend="emulator",
        settings=AnalysisSettings(actions=actions), source="batch",
        photo_hash=fields.pop("photo_hash", f"hash-{run_id}"), state=state,
        result=result if state == "success" else None, **fields,
    )  # fmt: skip


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# -- Student's t -------------------------------------------------------------------------------

# t(0.975, df) as printed in any table of Student's t (3 decimals).
TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 10: 2.228, 29: 2.045,
         30: 2.042, 120: 1.980, math.inf: 1.960}  # fmt: skip


@pytest.mark.parametrize("df", list(TABLE))
def test_t_quantile_matches_the_printed_table(df):
    assert abs(t_quantile(0.975, df) - TABLE[df]) < 0.0005


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995, 0.9995, 0.025, 0.2])
def test_t_quantile_matches_the_closed_forms_for_one_two_and_four_degrees(p):
    # df = 1 is the Cauchy: tan(π(p − ½)); df = 2: (2p − 1)/√(2p(1 − p));
    # df = 4: sign(p − ½)·2√(q − 1), q = cos(⅓·arccos √α)/√α, α = 4p(1 − p).
    assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-9)
    assert t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-9)
    alpha = 4 * p * (1 - p)
    q = math.cos(math.acos(math.sqrt(alpha)) / 3) / math.sqrt(alpha)
    assert t_quantile(p, 4) == pytest.approx(math.copysign(2 * math.sqrt(q - 1), p - 0.5), rel=1e-9)
    for df in (1, 3, 7.5, 40, 500):
        assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-12)
        assert t_quantile(1 - p, df) == pytest.approx(-t_quantile(p, df), rel=1e-9)


def test_t_quantile_refuses_what_has_no_quantile():
    assert t_quantile(0.5, 6) == 0.0
    for p, df in ((0.0, 3), (1.0, 3), (0.975, 0), (0.975, -2)):
        with pytest.raises(ValueError):
            t_quantile(p, df)


# -- means with confidence intervals ------------------------------------------------------------


def test_mean_ci_of_three_values_by_hand():
    # 60, 64, 68: mean 64; deviations −4, 0, 4 → sd √(32/2) = 4;
    # t(0.975, 2) = 4.303, half-width 4.303·4/√3 = 9.937 → 54.063 … 73.937.
    e = mean_ci([60, 64, 68])
    assert (e.n, e.mean, e.sd, e.level) == (3, 64, 4, 0.95)
    assert e.low == pytest.approx(54.063, abs=1e-3) and e.high == pytest.approx(73.937, abs=1e-3)


def test_mean_ci_at_another_level_by_hand():
    # 10, 12, 14, 16, 18: mean 14, sd √((16+4+0+4+16)/4) = √10 = 3.1623;
    # t(0.95, 4) = 2.132, half-width 2.132·3.1623/√5 = 3.015 → 10.985 … 17.015.
    e = mean_ci([10, 12, 14, 16, 18], level=0.90)
    assert e.sd == pytest.approx(math.sqrt(10))
    assert e.low == pytest.approx(10.985, abs=1e-3) and e.high == pytest.approx(17.015, abs=1e-3)


def test_one_value_has_no_interval_and_none_has_no_estimate():
    one = mean_ci([70])
    assert (one.n, one.mean, one.sd, one.low, one.high) == (1, 70, None, None, None)
    assert mean_ci([]) is None


# -- a cohort: score rows, group means, outliers -------------------------------------------------

# Redness ui scores: dark 60, 64, 68; light 70, 74; one photo without a group, 80.
COHORT = [
    stored("r1", [("redness", None, 60), ("pore", None, 50)], meta={"group": "dark"}, file="a.jpg"),
    stored("r2", [("redness", None, 64), ("pore", None, 52)], meta={"group": "dark"}, file="b.jpg"),
    stored("r3", [("redness", None, 68), ("pore", None, 54)], meta={"group": "dark"}, file="c.jpg"),
    stored("r4", [("redness", None, 70), ("pore", None, 56)], meta={"group": "light"}, file="d.jpg"),
    stored("r5", [("redness", None, 74), ("pore", None, 58)], meta={"group": "light"}, file="e.jpg"),
    stored("r6", [("redness", None, 80), ("pore", None, 100)], file="f.jpg"),
    stored("r7", [("redness", None, 10)], state="error", meta={"group": "dark"}, file="g.jpg"),
]  # fmt: skip


def test_cohort_scores_has_a_row_per_successful_run_concern_and_region():
    hd = stored("h1", [("hd_redness", "whole", 61), ("hd_pore", "forehead", 40)], batch="B",
                participant="P1", visit="baseline", meta={"device": "iphone"})  # fmt: skip
    rows = cohort_scores([*COHORT, hd])
    assert len(rows) == 6 * 2 + 2  # the failed run r7 has no rows
    first = rows[0]
    assert (first.run_id, first.file, first.concern, first.family, first.region) == (
        "r1",
        "a.jpg",
        "redness",
        "redness",
        "whole",
    )
    assert (first.ui_score, first.raw_score, first.meta) == (60, 60.25, {"group": "dark"})
    forehead = rows[-1]
    assert (forehead.concern, forehead.family, forehead.region, forehead.label) == (
        "hd_pore",
        "pore",
        "forehead",
        "Pores · Forehead",
    )
    assert (forehead.batch, forehead.participant, forehead.visit, forehead.mask_key) == (
        "B",
        "P1",
        "baseline",
        "hd_pore:forehead",
    )


def test_group_means_by_a_meta_column_by_hand():
    means = {(m.concern, m.group): m for m in group_means(cohort_scores(COHORT), by="group")}
    dark, light, none = (
        means[("redness", "dark")],
        means[("redness", "light")],
        means[("redness", "")],
    )
    # dark: 60, 64, 68 → 64 ± 4.303·4/√3 = 64 ± 9.937
    assert (dark.estimate.n, dark.estimate.mean) == (3, 64)
    assert dark.estimate.high == pytest.approx(73.937, abs=1e-3)
    # light: 70, 74 → mean 72, sd √8 = 2.828, half-width 12.706·2.828/√2 = 25.412
    assert light.estimate.sd == pytest.approx(2.828, abs=1e-3)
    assert light.estimate.low == pytest.approx(46.588, abs=1e-3)
    assert light.estimate.high == pytest.approx(97.412, abs=1e-3)
    # the photo without a group is a group of one: no interval
    assert (none.estimate.n, none.estimate.mean, none.estimate.low) == (1, 80, None)
    assert len(means) == 6  # two concerns × three groups


def test_group_means_of_the_whole_cohort_by_hand_ui_and_raw():
    ui = group_means(cohort_scores(COHORT))[0]
    # 60, 64, 68, 70, 74, 80: mean 416/6 = 69.333; squared deviations 87.111 + 28.444 + 1.778
    # + 0.444 + 21.778 + 113.778 = 253.333, sd √(253.333/5) = 7.118;
    # t(0.975, 5) = 2.571, half-width 2.571·7.118/√6 = 7.471 → 61.862 … 76.804.
    assert (ui.concern, ui.group, ui.estimate.n) == ("redness", "", 6)
    assert ui.estimate.mean == pytest.approx(69.333, abs=1e-3)
    assert ui.estimate.sd == pytest.approx(7.118, abs=1e-3)
    assert ui.estimate.low == pytest.approx(61.862, abs=2e-3)
    assert ui.estimate.high == pytest.approx(76.804, abs=2e-3)
    raw = group_means(cohort_scores(COHORT), score="raw")[0]  # every raw score is ui + 0.25
    assert raw.estimate.mean == pytest.approx(69.583, abs=1e-3)
    assert raw.estimate.sd == pytest.approx(ui.estimate.sd)
    with pytest.raises(ValueError):
        group_means(cohort_scores(COHORT), score="UI")


def test_outliers_beyond_tukey_fences_by_hand():
    values = [60, 62, 64, 66, 68, 95, 20]
    runs = [stored(f"o{i}", [("acne", None, v)], file=f"{v}.jpg") for i, v in enumerate(values)]
    runs.append(stored("few", [("texture", None, 1)]))  # three values or fewer: no fences
    rows = cohort_scores(runs)
    # sorted 20 60 62 64 66 68 95; Q1 at position 1.5 → 61, Q3 at 4.5 → 67, IQR 6;
    # k = 1.5: fences 52 and 76 → 20 (32 below) first, then 95 (19 above).
    found = outliers(rows)
    assert [(o.row.file, o.side) for o in found] == [("20.jpg", "low"), ("95.jpg", "high")]
    assert (found[0].low_fence, found[0].high_fence) == (52, 76)
    # k = 6: fences 61 − 36 = 25 and 67 + 36 = 103 → only 20.
    assert [o.value for o in outliers(rows, k=6)] == [20]
    assert outliers(rows, k=20) == []


# -- paired differences: the same photos in SD and in HD --------------------------------------------

# Photos one, two, three in both batches (by hash), four only in SD, five only in HD; SD's "one"
# was run twice (the newer, 50, counts, though listed first) and failed once more.
SD_BATCH = [
    stored("s1", [("redness", None, 50), ("pore", None, 41)], created=2, photo_hash="one",
           file="sd/one.jpg"),
    stored("s1-old", [("redness", None, 99), ("pore", None, 99)], created=1, photo_hash="one",
           file="sd/one.jpg"),
    stored("s1-failed", [], created=3, state="error", photo_hash="one", file="sd/one.jpg"),
    stored("s2", [("redness", None, 60), ("pore", None, 45)], photo_hash="two", file="sd/two.jpg"),
    stored("s3", [("redness", None, 70), ("pore", None, 50)], photo_hash="three",
           file="sd/three.jpg"),
    stored("s4", [("redness", None, 80), ("pore", None, 30)], photo_hash="four",
           file="sd/four.jpg"),
]  # fmt: skip
HD_BATCH = [
    stored("h1", [("hd_redness", "whole", 52), ("hd_pore", "whole", 40),
                  ("hd_pore", "forehead", 33)], photo_hash="one", file="hd/one.jpg"),
    stored("h2", [("hd_redness", "whole", 64), ("hd_pore", "whole", 45),
                  ("hd_pore", "forehead", 35)], photo_hash="two", file="hd/two.jpg"),
    stored("h3", [("hd_redness", "whole", 76), ("hd_pore", "whole", 51),
                  ("hd_pore", "forehead", 37)], photo_hash="three", file="hd/three.jpg"),
    stored("h5", [("hd_redness", "whole", 90), ("hd_pore", "whole", 70)], photo_hash="five",
           file="hd/five.jpg"),
]  # fmt: skip


def test_paired_differences_match_sd_and_hd_by_concern_family_by_hand():
    changes = {c.family: c for c in paired_differences(SD_BATCH, HD_BATCH)}
    # Only whole-face scores pair: SD has no forehead pores, so that region is left out.
    assert set(changes) == {"redness", "pore"}
    redness = changes["redness"]
    # one 50 → 52, two 60 → 64, three 70 → 76: differences 2, 4, 6; mean 4, sd 2;
    # half-width 4.303·2/√3 = 4.969 → −0.969 … 8.969.
    assert (redness.estimate.n, redness.estimate.mean, redness.estimate.sd) == (3, 4, 2)
    assert redness.estimate.low == pytest.approx(-0.969, abs=1e-3)
    assert redness.estimate.high == pytest.approx(8.969, abs=1e-3)
    assert (redness.mean_a, redness.mean_b) == (60, 64)
    assert (redness.unmatched_a, redness.unmatched_b) == (1, 1)  # four in SD, five in HD
    assert [p[0] for p in redness.pairs] == ["sd/one.jpg", "sd/two.jpg", "sd/three.jpg"]
    pore = changes["pore"]
    # 41 → 40, 45 → 45, 50 → 51: differences −1, 0, 1; mean 0, sd 1, half-width 4.303/√3 = 2.484
    assert (pore.estimate.mean, pore.estimate.sd) == (0, 1)
    assert pore.estimate.high == pytest.approx(2.484, abs=1e-3)
    assert pore.label == "Pores" and redness.label == "Redness"


def test_paired_differences_by_file_pair_re_encoded_copies_and_hash_does_not():
    before = [stored(f"a{i}", [("acne", None, v)], file=f"{i}.jpg") for i, v in enumerate([50, 60])]
    after = [stored(f"b{i}", [("acne", None, v)], file=f"{i}.jpg") for i, v in enumerate([55, 69])]
    assert paired_differences(before, after) == []  # every photo's bytes (hash) differ
    (change,) = paired_differences(before, after, by="file")
    # differences 5 and 9: mean 7, sd √8 = 2.828, half-width 12.706·2.828/√2 = 25.412
    assert (change.estimate.n, change.estimate.mean) == (2, 7)
    assert change.estimate.high == pytest.approx(32.412, abs=1e-3)


# -- a trial's visits ----------------------------------------------------------------------------

# P1: baseline, week 4, week 8. P2: two baseline runs (the newer counts) and a failed week 8.
# P3: baseline only. P4: week 4 only. P5: baseline and week 4, redness only. P6: nothing succeeded.
TRIAL = [
    stored("p1-b", [("redness", None, 60), ("pore", None, 50)], created=1, visit="baseline"),
    stored("p1-4", [("redness", None, 66), ("pore", None, 52)], created=5, visit="week 4"),
    stored("p1-8", [("redness", None, 70), ("pore", None, 55)], created=9, visit="week 8"),
    stored("p2-b-old", [("redness", None, 40), ("pore", None, 10)], created=2, visit="baseline"),
    stored("p2-b", [("redness", None, 50), ("pore", None, 48)], created=3, visit="baseline"),
    stored("p2-4", [("redness", None, 56), ("pore", None, 50)], created=6, visit="week 4"),
    stored("p2-8", [], created=10, state="error", visit="week 8"),
    stored("p3-b", [("redness", None, 65), ("pore", None, 45)], created=4, visit="baseline"),
    stored("p4-4", [("redness", None, 65), ("pore", None, 45)], created=4, visit="week 4"),
    stored("p5-b", [("redness", None, 70)], created=7, visit="baseline"),
    stored("p5-4", [("redness", None, 78)], created=8, visit="week 4"),
    stored("p6-b", [], created=8, state="error", visit="baseline"),
]  # fmt: skip
for _run in TRIAL:
    _run.trial, _run.participant = "T1", _run.id.split("-")[0].upper()


def test_visit_changes_to_each_latest_visit_by_hand():
    trial = visit_changes(TRIAL)
    summary = {c.family: c for c in trial.summary}
    redness = summary["redness"]
    # P1 60 → 70 (week 8), P2 50 → 56 (its newer baseline; week 8 failed), P5 70 → 78:
    # changes 10, 6, 8; mean 8, sd 2, half-width 4.303·2/√3 = 4.969 → 3.031 … 12.969.
    assert (redness.estimate.n, redness.estimate.mean, redness.estimate.sd) == (3, 8, 2)
    assert redness.estimate.low == pytest.approx(3.031, abs=1e-3)
    assert redness.estimate.high == pytest.approx(12.969, abs=1e-3)
    assert (redness.mean_a, redness.mean_b) == (60, 68)
    pore = summary["pore"]
    # P1 50 → 55, P2 48 → 50: changes 5, 2; mean 3.5, sd 3/√2 = 2.121;
    # half-width 12.706·2.121/√2 = 19.059 → −15.559 … 22.559.
    assert (pore.estimate.n, pore.estimate.mean) == (2, 3.5)
    assert pore.estimate.low == pytest.approx(-15.559, abs=1e-3)
    assert pore.estimate.high == pytest.approx(22.559, abs=1e-3)
    p2 = [p for p in trial.participants if p.participant == "P2"]
    assert {(p.family, p.before, p.after, p.change) for p in p2} == {
        ("redness", 50, 56, 6),
        ("pore", 48, 50, 2),
    }
    assert {(p.baseline_run, p.follow_up_run, p.follow_up_visit) for p in p2} == {
        ("p2-b", "p2-4", "week 4")
    }
    missing = {m.participant: m for m in trial.missing}
    assert set(missing) == {"P3", "P4", "P6"}
    assert missing["P3"].visits == ("baseline",) and "follow-up" in missing["P3"].reason
    assert missing["P4"].visits == ("week 4",) and "'baseline'" in missing["P4"].reason
    assert missing["P6"].visits == ()


def test_visit_changes_to_a_named_visit_by_hand():
    trial = visit_changes(TRIAL, follow_up="week 4")
    redness = next(c for c in trial.summary if c.family == "redness")
    # P1 60 → 66, P2 50 → 56, P5 70 → 78: changes 6, 6, 8; mean 6.667, sd 1.155;
    # half-width 4.303·1.155/√3 = 2.869 → 3.798 … 9.535.
    assert redness.estimate.n == 3
    assert redness.estimate.mean == pytest.approx(6.667, abs=1e-3)
    assert redness.estimate.low == pytest.approx(3.798, abs=1e-3)
    assert redness.estimate.high == pytest.approx(9.535, abs=1e-3)
    # P4 now has its follow-up but still no baseline; P3 has no week 4.
    assert {m.participant for m in trial.missing} == {"P3", "P4", "P6"}
    with pytest.raises(ValueError):
        visit_changes(TRIAL, follow_up="baseline")


def test_a_baseline_retaken_after_the_follow_up_is_not_its_baseline():
    runs = [
        stored("b1", [("redness", None, 60)], created=1, trial="T", participant="P", visit="baseline"),
        stored("f", [("redness", None, 70)], created=2, trial="T", participant="P", visit="week 4"),
        stored("b2", [("redness", None, 90)], created=3, trial="T", participant="P", visit="baseline"),
    ]  # fmt: skip
    (change,) = visit_changes(runs).participants
    assert (change.baseline_run, change.before, change.after) == ("b1", 60, 70)  # not b2's 90


# -- CSV -----------------------------------------------------------------------------------------


def test_scores_csv_has_the_meta_columns_and_neutralises_formulas():
    runs = [
        stored("x1", [("redness", None, 60)], file="=cmd|' /C calc'!A0", meta={"group": "=cmd"}),
        stored("x2", [("redness", None, 64)], file="b.jpg", meta={"file": "b", "device": "+1"}),
    ]
    lines = read_csv(scores_csv(cohort_scores(runs)))
    assert list(lines[0])[-3:] == ["device", "meta_file", "group"]
    assert lines[0]["file"] == "'=cmd|' /C calc'!A0" and lines[0]["group"] == "'=cmd"
    assert lines[1]["device"] == "'+1" and lines[1]["meta_file"] == "b"
    assert (lines[1]["concern_name"], lines[1]["ui_score"], lines[1]["raw_score"]) == (
        "Redness",
        "64",
        "64.25",
    )


def test_the_statistics_csvs_hold_the_hand_computed_numbers():
    means = read_csv(group_means_csv(group_means(cohort_scores(COHORT), by="group"), by="group"))
    dark = next(m for m in means if m["group"] == "dark" and m["concern"] == "redness")
    assert (dark["concern"], dark["group"], dark["n"], dark["mean"], dark["sd"]) == (
        "redness",
        "dark",
        "3",
        "64.0",
        "4.0",
    )
    assert float(dark["ci_low"]) == pytest.approx(54.063, abs=2e-3)
    assert float(dark["ci_high"]) == pytest.approx(73.937, abs=2e-3)
    single = next(m for m in means if m["group"] == "" and m["concern"] == "redness")
    assert (single["n"], single["sd"], single["ci_low"]) == ("1", "", "")

    changes = read_csv(changes_csv(paired_differences(SD_BATCH, HD_BATCH)))
    redness = next(c for c in changes if c["family"] == "redness")
    assert (redness["n"], redness["mean"], redness["sd"]) == ("3", "4.0", "2.0")
    # The CSV holds 3 decimals and 4.303 is t to 3 decimals: the last digit may differ by one.
    assert float(redness["ci_low"]) == pytest.approx(-0.969, abs=2e-3)
    assert float(redness["ci_high"]) == pytest.approx(8.969, abs=2e-3)
    assert (redness["unmatched_a"], redness["unmatched_b"]) == ("1", "1")

    visits = read_csv(visit_changes_csv(visit_changes(TRIAL)))
    p1 = [v for v in visits if v["participant"] == "P1"]
    assert {(v["family"], v["change"], v["follow_up_visit"]) for v in p1} == {
        ("redness", "10", "week 8"),
        ("pore", "5", "week 8"),
    }
    gone = {v["participant"]: v for v in visits if v["missing"]}
    assert set(gone) == {"P3", "P4", "P6"} and gone["P3"]["change"] == ""

    found = read_csv(outliers_csv(outliers(cohort_scores(
        [stored(f"o{i}", [("acne", None, v)]) for i, v in enumerate([60, 62, 64, 66, 68, 95])]
    ))))  # fmt: skip
    # sorted 60 62 64 66 68 95: Q1 at 1.25 → 62.5, Q3 at 3.75 → 67.5, IQR 5; fences 55 and 75.
    assert [(f["ui_score"], f["side"], f["low_fence"], f["high_fence"]) for f in found] == [
        ("95", "high", "55.0", "75.0")
    ]


# -- charts --------------------------------------------------------------------------------------


def test_the_distribution_chart_has_a_trace_per_group_and_shows_100():
    rows = cohort_scores(COHORT)  # r6 scores pore 100
    whole = charts.cohort_distribution(rows)
    assert len(whole.data) == 1 and len(whole.data[0].y) == 12
    split = charts.cohort_distribution(rows, by="group")
    assert [t.name for t in split.data] == ["(none)", "dark", "light"]
    assert [len(t.y) for t in split.data] == [2, 6, 4]
    assert len({t.marker.color for t in split.data}) == 3
    for figure in (whole, split, charts.cohort_distribution(rows, score="raw")):
        low, high = figure.layout.yaxis.range
        assert low < 0 and high > 100  # a point at 0 or 100 is drawn whole
    assert max(split.data[0].y) == 100


def test_the_forest_plot_has_a_row_per_concern_with_n_and_a_zero_line():
    changes = paired_differences(SD_BATCH, HD_BATCH)
    figure = charts.forest_plot(changes)
    assert len(figure.data) == 1
    (trace,) = figure.data
    assert list(trace.y) == ["Redness  (n = 3)", "Pores  (n = 3)"]
    assert list(trace.x) == [4, 0]
    assert trace.error_x.array[0] == pytest.approx(4.969, abs=1e-3)
    assert [s.x0 for s in figure.layout.shapes] == [0]
    low, high = figure.layout.xaxis.range
    assert low < -0.969 and high > 8.969

    trial = visit_changes(TRIAL[:3] + TRIAL[9:11])  # P1 and P5: pores of P1 only → n = 1
    mixed = charts.forest_plot(trial.summary, x_title="change from baseline")
    assert [t.name for t in mixed.data] == ["mean, 95% CI", "no interval: one pair, or no spread"]
    assert list(mixed.data[1].y) == ["Pores  (n = 1)"]


def test_pairs_that_all_changed_alike_get_no_interval_not_one_of_zero_width():
    """Three participants each 2 points better (as the demo engine's identical scores give):
    a 95% interval of 2.00 to 2.00 would read as certainty; it is said to have no spread."""
    alike = PairedChange("redness", "whole", mean_ci([2.0, 2.0, 2.0]), 60.0, 62.0)
    spread = PairedChange("pore", "whole", mean_ci([1.0, 3.0, 5.0]), 60.0, 63.0)
    figure = charts.forest_plot([alike, spread])
    by_name = {t.name: t for t in figure.data}
    assert list(by_name["mean, 95% CI"].y) == ["Pores  (n = 3)"]
    no_interval = by_name["no interval: one pair, or no spread"]
    assert list(no_interval.y) == ["Redness  (n = 3)"]
    assert list(no_interval.text) == ["none (every pair changed alike)"]


def test_the_strip_plot_draws_points_at_0_and_100_whole():
    figure = charts.strip_plot([("Redness", 100), ("Redness", 0), ("Pores", 55)])
    low, high = figure.layout.yaxis.range
    assert low < 0 and high > 100


def test_a_run_missing_concerns_leaves_gaps_on_a_shared_radar():
    """Compare's radar: a 2-concern run beside a 3-concern one is not drawn across the axis it
    lacks (which read as a low score), but with a gap there, unfilled, its count in its name."""
    full = [ConcernScore(t, None, 50.0, 60, None) for t in ("redness", "pore", "acne")]
    part = [ConcernScore(t, None, 40.0, 45, None) for t in ("redness", "acne")]
    figure = charts.radar([("Run 1", full), ("Run 2", part)])
    whole, partial = figure.data
    assert whole.fill == "toself" and list(whole.r) == [60, 60, 60, 60]
    assert list(partial.theta) == ["Pores", "Acne", "Redness", "Pores"]  # the API's order
    assert list(partial.r) == [None, 45, 45, None] and partial.fill == "none"
    assert partial.name == "Run 2<br>(2 of 3 concerns)"


def test_a_long_run_title_is_a_legend_of_short_lines_with_its_markup_escaped():
    """Compare's run titles in one line ran off a phone's screen."""
    scores = [ConcernScore("redness", None, 50.0, 60, None)]
    title = (
        "Run 1: <b>study</b> · sample_face.jpg · SD × 16 · v2.1 · overall 79 · 7 Dec 2026, 05:05:11"
    )
    [trace] = charts.radar([(title, scores)]).data
    lines = trace.name.split("<br>")
    assert len(lines) == 3 and all(len(line) <= charts.LEGEND_LINE + 8 for line in lines)
    assert lines[0].startswith("Run 1: &lt;b&gt;study&lt;/b&gt;") and "<b>" not in trace.name
    assert " · ".join(lines).replace("&lt;", "<").replace("&gt;", ">") == title


def test_the_clickable_radar_puts_each_concern_on_its_spoke_with_its_key():
    """Results' radar on cartesian axes (a click on a point is a selection Streamlit reports):
    concern i of n sits at angle 90° − 360°·i/n, at its score's share of the radius."""
    scores = [ConcernScore(t, None, 50.0, ui, None) for t, ui in
              (("redness", 100), ("pore", 50), ("acne", 80), ("wrinkle", 20))]  # fmt: skip
    result = AnalysisResult("task", "v2.1", "json", scores=scores)
    figure = charts.clickable_radar(result, focus="pore:whole")
    points = figure.data[-1]
    expected = [(0.0, 1.0), (0.5, 0.0), (0.0, -0.8), (-0.2, 0.0)]  # top, right, bottom, left
    for x, y, (ex, ey) in zip(points.x, points.y, expected, strict=True):
        assert x == pytest.approx(ex, abs=1e-9) and y == pytest.approx(ey, abs=1e-9)
    assert [c[0] for c in points.customdata] == [s.key for s in scores]
    assert list(points.marker.size) == [11, 16, 11, 11]  # the focus is drawn larger
    labels = {a.text for a in figure.layout.annotations}
    assert {"Redness", "Pores", "Acne", "Wrinkles", "25", "75"} <= labels
    assert "100" not in labels  # the rim is 100; a label there sat under healthy points


def test_every_chart_writes_its_text_dark_enough_to_read():
    """Streamlit's theme greys axis labels to #808495, 3.7:1 on white; ours are 9:1."""
    scores = [ConcernScore(t, None, 50.0, 60, None) for t in ("redness", "pore", "acne")]
    radar = charts.radar([("a", scores)])
    assert radar.layout.polar.angularaxis.tickfont.color == charts.TEXT_COLOUR
    assert "xaxis" not in radar.to_plotly_json()["layout"]  # no empty cartesian axes beside it
    lines = charts.visit_lines({"Redness": [("baseline", 60), ("week 2", 70)]})
    assert lines.layout.xaxis.tickfont.color == lines.layout.yaxis.title.font.color
    assert lines.layout.yaxis.tickfont.color == charts.TEXT_COLOUR


def test_a_radar_goes_round_in_results_order_whichever_run_comes_first():
    """Compare began at the first run's first concern (Eye bags); Results, for a full run, at
    Wrinkles: the API's order."""
    eyes = [ConcernScore(t, None, 50.0, 60, None) for t in ("eye_bag", "dark_circle_v2")]
    whole = [ConcernScore(t, None, 50.0, 70, None) for t in ("eye_bag", "wrinkle", "hd_pore")]
    figure = charts.radar([("eyes", eyes), ("whole", whole)])
    assert list(figure.data[1].theta)[:4] == ["Wrinkles", "Pores", "Eye bags", "Dark circles"]

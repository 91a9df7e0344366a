"""Compare's table of changes, ordered by the change it shows."""

from types import SimpleNamespace

from skinapi.results import ConcernScore
from skinapi.statistics import tables


def run_of(*scores: tuple[str, float, int]):
    """A finished run's scores: (concern, raw score, ui score) each."""
    found = [ConcernScore(kind, None, raw, ui) for kind, raw, ui in scores]
    return SimpleNamespace(result=SimpleNamespace(scores=found))


def test_the_changes_come_largest_first_by_the_kind_of_score_shown():
    # Raw and ui disagree on which concern moved most: pores by raw, redness by ui.
    before = run_of(("pore", 50.0, 60), ("redness", 50.0, 60))
    after = run_of(("pore", 58.0, 61), ("redness", 51.0, 66))
    by_ui = tables.deltas([before, after], ("ui",))
    assert [row["Concern"] for row in by_ui] == ["Redness", "Pores"]
    assert [row["Δ score 2−1"] for row in by_ui] == [6, 1]
    by_raw = tables.deltas([before, after], ("raw",))
    assert [row["Concern"] for row in by_raw] == ["Pores", "Redness"]


def test_a_concern_only_one_run_has_comes_after_every_change_even_none():
    before = run_of(("redness", 50.0, 60))
    after = run_of(("acne", 70.0, 80), ("redness", 50.0, 60))
    rows = tables.deltas([before, after], ("ui",))
    assert [row["Concern"] for row in rows] == ["Redness", "Acne"]
    assert [row["Δ score 2−1"] for row in rows] == [0, None]

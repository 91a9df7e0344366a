"""Batches on one key share its rate limits, in other processes or on other machines sharing
the store: each spends its part of every window (dealt out whole), a batch that joins holds
off until the others have shrunk, and a part grows back one window after a batch ends."""

import threading

import pytest

from skinapi import AnalysisSettings
from skinapi.runs.batch import RateLimits, collect_photos, plan_batch, run_batch
from skinapi.runs.budget import ARRIVAL_ALLOWANCE, RETURN_MARGIN, RequestBudget

from ..helpers import ManualClock, test_client
from ..runs.test_batch import faces

SETTINGS = AnalysisSettings.build(["redness", "pore"])


def test_two_sharers_get_three_and_two_of_five_and_a_part_grows_back_a_window_later():
    clock = ManualClock()
    first, second = (RequestBudget(RateLimits.parse("5/1"), clock=clock) for _ in range(2))
    first.share(0, 2)
    second.share(1, 2)
    taken = [[b.try_take() for _ in range(5)] for b in (first, second)]
    assert [sum(t is not None for t in row) for row in taken] == [3, 2]
    second.share(0, 1)  # the first batch ended: its requests count for one more window
    assert second.try_take() is None
    clock.advance(1 + ARRIVAL_ALLOWANCE + RETURN_MARGIN)
    assert second.headroom(second.limits.shortest) == 3  # 5, less the 2 still held


def test_two_batches_on_one_key_share_its_rate_limit_with_no_429(
    open_test_store, store_kind, emulator_factory, tmp_path
):
    """Two batches (a store each, as two processes; PostgreSQL: two machines' data folders)
    at 4 requests per 0.25 s each would send 8: shared, they stay within the API's 4."""
    emulator = emulator_factory(
        rate_limit=True, rate_per_second=100, rate_per_window=4, rate_window=0.25,
        processing_time=0.2, polling_interval=0.2,
    )  # fmt: skip
    folders = [tmp_path, tmp_path] if store_kind == "sqlite" else [tmp_path / "a", tmp_path / "b"]
    stores = [open_test_store(folder) for folder in folders]
    plans = [plan_batch(collect_photos(faces(2, start)), SETTINGS, workers=1) for start in (0, 2)]
    summaries = {}

    def batch(index: int) -> None:
        summaries[index] = run_batch(
            plans[index], test_client(emulator), stores[index], batch=f"half-{index}",
            rate=RateLimits.parse("4/0.25"),
        )  # fmt: skip

    threads = [threading.Thread(target=batch, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [summaries[i].succeeded for i in range(2)] == [2, 2]
    assert emulator.stats()["rate_limited"] == 0
    assert emulator.stats()["creates"] == 4


@pytest.fixture(autouse=True)
def _mkdirs(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()


def test_a_part_counted_too_long_ago_is_counted_again_before_the_next_request():
    """The counting thread held up (a busy machine): the next ticket waits for a fresh count,
    so a batch does not keep spending its whole part after another has joined."""
    clock = ManualClock()
    budget = RequestBudget(RateLimits.parse("4/1"), clock=clock)
    sharers = [1]
    counts = []

    def recount() -> None:
        counts.append(clock())
        budget.share(0, sharers[0])

    budget.recount_with(recount, 0.25)
    assert budget.try_take() is not None and len(counts) == 1  # never counted: counted now
    assert budget.try_take() is not None and len(counts) == 1  # fresh: not again
    sharers[0] = 2  # another batch joined; this one's own thread has not run since
    clock.advance(0.3)
    assert budget.try_take() is None  # counted again first: 2 of 4, both already held
    assert len(counts) == 2

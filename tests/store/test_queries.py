"""The store at team scale: filtered, sorted, paged queries answered by the database (a page,
not the history, is decoded), every match read a page at a time, totals and tallies as
aggregates, the history's size kept as runs are written and deleted, exports that stream."""

import csv
import io
import json
import zipfile
from datetime import datetime

import pytest

from skinapi.bench import history_runs
from skinapi.concerns import CONCERNS
from skinapi.presentation import exports, report
from skinapi.presentation.exports_selection import write_selection
from skinapi.store import RunQuery, SqliteRunStore, postgres_query, sqlite_query

from .conftest import STORES

RUNS = 300


@pytest.fixture(scope="module", params=STORES)
def filled(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("team")
    if request.param == "postgres":
        from skinapi.store.files import LocalFiles
        from skinapi.store.postgres import PostgresRunStore

        # Its files in a folder: these tests ask the database; 300 runs' files through
        # moto_server took 20 s (the file store's tests run on S3 in test_store).
        url = request.getfixturevalue("postgres_server").fresh_schema()
        store = PostgresRunStore(url, LocalFiles(folder / "runs"))
    else:
        store = SqliteRunStore(folder / "runs.sqlite3")
    store.add_runs(history_runs(RUNS))
    yield store
    store.close()


def order_key(query):
    keys = {
        "newest": lambda r: -r.created,
        "oldest": lambda r: r.created,
        "overall_high": lambda r: -(r.overall if r.overall is not None else -1),
        "overall_low": lambda r: r.overall if r.overall is not None else 1000,
        "label": lambda r: r.label.casefold(),
    }
    return lambda r: (keys[query.order](r), -r.created)


def expected(store, query):
    """The same question answered by reading everything in Python."""

    def kept(r):
        actions = {CONCERNS[a].label for a in r.actions}
        return (
            (query.since is None or r.created >= query.since)
            and (query.until is None or r.created < query.until)
            and (not query.backends or r.backend in query.backends)
            and (not query.qualities or r.quality in query.qualities)
            and (not query.states or r.state in query.states)
            and (not query.text or query.text.casefold() in f"{r.label}\n{r.note}".casefold())
            and set(query.concerns) <= actions
            and query.person.casefold() in r.person.casefold()
        )

    return [r.id for r in sorted(filter(kept, store.list()), key=order_key(query))]


QUERIES = [
    RunQuery(),
    RunQuery(order="oldest", states=("success",)),
    RunQuery(order="overall_high", backends=("live",)),
    RunQuery(order="overall_low", text="TRIAL"),
    RunQuery(order="label", qualities=("sd",), concerns=("Redness", "Wrinkles")),
    RunQuery(since=datetime.now().timestamp() - 90 * 86400, states=("error", "unsent")),
    RunQuery(concerns=("Redness",), qualities=("hd",)),
    RunQuery(order="oldest", person="OTTO", text="study"),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.order)
def test_a_query_filters_sorts_and_pages_in_the_database(filled, query):
    want = expected(filled, query)
    pages, offset = [], 0
    while True:
        page = filled.query(RunQuery(**{**query.__dict__, "offset": offset, "limit": 40}))
        assert page.total == len(want) and len(page.runs) <= 40
        pages += [r.id for r in page.runs]
        offset += 40
        if offset >= page.total:
            break
    assert pages == want
    totals = filled.totals(query)
    assert totals.runs == len(want)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.order)
def test_every_match_is_read_a_page_at_a_time_in_order(filled, query, monkeypatch):
    for module in (sqlite_query, postgres_query):
        monkeypatch.setattr(module, "ITERATION_PAGE", 7)  # many pages, ties across them
    assert [r.id for r in filled.iterate(query)] == expected(filled, query)


@pytest.mark.parametrize("filled", ["sqlite"], indirect=True)
def test_the_newest_page_is_read_through_the_index_not_sorted_from_a_scan(filled):
    where, params = sqlite_query.where_of(RunQuery(backends=("live",)))
    plan = str(filled._db.execute(
        f"EXPLAIN QUERY PLAN SELECT id FROM runs WHERE {where} "
        "ORDER BY created DESC, created DESC, id DESC LIMIT 50", params
    ).fetchall())  # fmt: skip
    assert "runs_backend" in plan or "runs_created" in plan


def test_totals_and_tallies_are_the_sums_of_the_runs(filled):
    everything = filled.list()
    totals = filled.totals(RunQuery())
    assert totals.runs == RUNS and totals.units == sum(r.units for r in everything)
    assert totals.succeeded == sum(r.state == "success" for r in everything)
    assert totals.first == min(r.created for r in everything)
    by_label = {t.key: t for t in filled.tally(RunQuery(), "label")}
    assert set(by_label) == {r.label for r in everything}
    assert sum(t.units for t in by_label.values()) == totals.units
    by_day = filled.tally(RunQuery(), "day")
    assert [t.key for t in by_day] == sorted({t.key for t in by_day}, reverse=True)
    assert sum(t.succeeded for t in by_day) == totals.succeeded


def walked(store) -> int:
    files = sum(p.stat().st_size for p in store.files.rglob("*") if p.is_file())
    database = [store.path, store.path.with_name(store.path.name + "-wal")]
    return files + sum(p.stat().st_size for p in database if p.exists())


def test_the_size_is_counted_as_runs_are_written_and_deleted_not_walked(tmp_path):
    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    ids = store.add_runs(history_runs(20))
    store.keep_raw_result(ids[0], b"z" * 5000)
    assert store.size_on_disk() == walked(store)
    store.delete(ids[1])
    assert store.size_on_disk() == walked(store)
    (store.folder(ids[2]) / "stray.bin").write_bytes(b"s" * 100_000)  # behind the store's back
    assert store.size_on_disk() == walked(store) - 100_000  # a walk would have counted it
    store._db.execute("UPDATE runs SET file_bytes = NULL")  # a history from before the count
    assert store.size_on_disk() == walked(store)  # measured once, then counted


class Counted:
    """Runs handed out one by one, counting how many were taken."""

    def __init__(self, runs):
        self.runs, self.taken = runs, 0

    def __iter__(self):
        for run in self.runs:
            self.taken += 1
            yield run


@pytest.mark.parametrize("kind", ["csv", "html", "zip"])
def test_an_export_is_written_as_the_runs_come_not_after_reading_them_all(filled, kind):
    runs = Counted(filled.iterate(RunQuery()))
    written_when = []

    class Out(io.BytesIO):
        def write(self, data):
            written_when.append(runs.taken)
            return super().write(data)

    out = Out()
    write_selection(filled, runs, kind, out)
    assert runs.taken == RUNS
    assert min(w for w in written_when if w) < RUNS // 2  # bytes went out half-way through
    data = out.getvalue()
    if kind == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        assert data == exports.runs_csv(filled.list())
        assert len({r["run_id"] for r in rows}) == sum(r.result is not None for r in filled.list())
    elif kind == "zip":
        bundle = zipfile.ZipFile(io.BytesIO(data))
        assert len([n for n in bundle.namelist() if n.endswith("/photo.jpg")]) == RUNS
        assert bundle.read("scores.csv") == exports.runs_csv(filled.list())
    else:
        assert data.decode().count("<tr>") == RUNS + 1


def test_a_selection_exports_under_its_dates_and_label_with_photo_quality_and_person(filled):
    """History's downloads of picked runs (issue 24): named after the days and the label the
    runs share, a CSV row saying which photo, SD/HD, version, backend and person, and one HTML
    report for several runs."""
    picked = filled.query(RunQuery(label="study A", states=("success",), limit=3)).runs
    first, last = (
        datetime.fromtimestamp(t).strftime("%Y-%m-%d")
        for t in (min(r.created for r in picked), max(r.created for r in picked))
    )
    assert exports.runs_name(picked, ".csv") == f"skinscope-{first}_to_{last}-study_A-3-runs.csv"
    one = picked[0]
    assert exports.runs_name([one], ".html").startswith(
        f"skinscope-{datetime.fromtimestamp(one.created):%Y-%m-%d}-study_A-{one.task_id}"
    )
    assert "study" not in exports.runs_name(
        [picked[0], *filled.query(RunQuery(label="pilot", limit=1)).runs], ".csv"
    )

    rows = list(csv.DictReader(io.StringIO(exports.runs_csv(picked).decode())))
    assert {
        (r["run_id"], r["file"], r["quality"], r["api_version"], r["backend"], r["person"])
        for r in rows
    } == {(r.id, r.file, "SD", "v2.1", r.backend, r.person) for r in picked}

    documents = json.loads(exports.runs_json(picked))
    assert [(d["file"], d["person"]) for d in documents] == [(r.file, r.person) for r in picked]

    page = report.selection_report(filled, picked).decode()
    assert page.count("<section>") == 3 and page.count("<svg") == 3 and "<script" not in page
    for run in picked:
        assert run.file in page and run.person in page and run.participant in page
    unfinished = filled.query(RunQuery(states=("error",), limit=1)).runs
    page = report.selection_report(filled, unfinished).decode()  # a run with no result too
    assert page.count("<section>") == 0 and "1 run without a result" in page


def test_an_export_of_every_match_is_named_after_the_filters():
    day = datetime(2026, 3, 1).timestamp()
    query = RunQuery(since=day, until=day + 14 * 86_400, text="trial 3")
    assert (
        exports.query_name(query, 120, ".csv")
        == "skinscope-2026-03-01_to_2026-03-14-trial_3-120-runs.csv"
    )
    one_day = RunQuery(since=day, until=day + 86_400)
    assert exports.query_name(one_day, 1, ".zip") == "skinscope-2026-03-01-1-run.zip"
    assert exports.query_name(RunQuery(), 7, ".html") == "skinscope-all-7-runs.html"

"""体外循环 evidence (issue 16, point 2): the rows a signal lists are exactly the rows it
counted, each row proves the claim on its own, 有评价无办件 never lists an evaluation that
names a case the platform has, the wording says what `recorded_period_end` measures, and a
town official gets nothing of another town.

Most tests run on the demo county at scale 0.2 — the smallest scale at which every planted
department is flagged over the year and over a month — built once for the module."""

from __future__ import annotations

import bisect
import itertools
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from dashboard.auth.access import Access, acting_as
from dashboard.domain import outside_system as outside
from dashboard.domain.params import Params
from dashboard.store import Store
from etl import demo
from etl.load import load
from tests.conftest import CASE_HEADER, EVAL_HEADER, case_row, eval_row, write_csv

END = date(2026, 11, 20)  # a Friday
AS_OF = datetime(2026, 12, 1, 8, 0)
YEAR = (END - timedelta(days=364), END)
SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))  # 18 working days: no 应进未进
JUNE = (date(2026, 6, 1), date(2026, 6, 30))
FIRST_QUARTER = (date(2026, 1, 1), date(2026, 3, 31))  # across the Spring Festival
PERIODS = [YEAR, SEPTEMBER, OCTOBER, JUNE, FIRST_QUARTER]


def _params(period) -> Params:
    return Params(*period, AS_OF)


def _planted(exclude: set[str] = frozenset()) -> set[tuple[str, str, str]]:
    return {(p.town_code, p.dept_name, p.signal) for p in demo.PLANTED if p.signal not in exclude}


def _planted_dept(signal: str) -> tuple[str, str]:
    found = [p for p in demo.PLANTED if p.signal == signal]
    return found[-1].town_code, found[-1].dept_name


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """The demo county at scale 0.2 (about 170,000 cases), loaded once for this module."""
    base = tmp_path_factory.mktemp("evidence")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_DATA_DIR", str(base / "data"))
        mp.setenv("PULSE_CONFIG", str(base / "pulse.toml"))
        mp.delenv("PULSE_STORE", raising=False)
        mp.delenv("PULSE_SECRET_FILE", raising=False)
        summary = demo.generate(base / "exports", seed=7, scale=0.2, end=END)
        assert load([summary.out_dir]).exit_code == 0
        yield Store()


def _flagged(store: Store, period) -> set[tuple[str, str, str]]:
    frame = outside.signals(store, _params(period)).filter(pl.col("flagged"))
    return set(frame.select("town_code", "dept_name", "signal").iter_rows())


# --------------------------------------------------------------------------- the county


@pytest.mark.slow
def test_this_scale_flags_exactly_the_planted_departments(county):
    assert _flagged(county, YEAR) == _planted()
    assert _flagged(county, SEPTEMBER) == _planted()
    assert _flagged(county, OCTOBER) == _planted(exclude={"stationed_silent"})


@pytest.mark.slow
@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p[0]}..{p[1]}")
def test_every_flagged_departments_rows_number_its_hits(county, period):
    """For every flagged department, every signal judged for it (flagged or not): the rows
    listed, and their count, equal the signal's hits — one definition."""
    frame = outside.signals(county, _params(period))
    depts = frame.filter(pl.col("flagged")).select("town_code", "dept_name").unique()
    judged = frame.join(depts, on=["town_code", "dept_name"])
    assert depts.height >= 4 and judged.height > depts.height
    counted = 0
    for row in judged.iter_rows(named=True):
        args = (county, _params(period), row["town_code"], row["dept_name"], row["signal"])
        rows = outside.evidence(*args, limit=None)
        assert rows.height == row["hits"] == outside.evidence_count(*args), row
        key = outside.evidence_fields(row["signal"])[0]
        assert rows[key].n_unique() == rows.height
        counted += rows.height
    assert counted > 500


@pytest.mark.slow
def test_pages_of_the_rows_are_the_whole_list(county):
    """Server paging (the page's grid): blocks in any sort cover the list once."""
    town, dept = _planted_dept("batch_entry")
    args = (county, _params(YEAR), town, dept, "batch_entry")
    whole = outside.evidence(*args, limit=None)
    assert whole.height > 300
    for sort in (None, ("recorded_at", True), ("item_name", False)):
        blocks = [
            outside.evidence(*args, limit=100, offset=start, sort=sort)
            for start in range(0, whole.height + 100, 100)
        ]
        ids = pl.concat(blocks)["case_id"]
        assert ids.len() == whole.height and ids.n_unique() == whole.height, sort
    # the default order is the most telling first
    assert whole["burst"].to_list() == sorted(whole["burst"], reverse=True)
    # a field that is not shown is ignored, never spliced into SQL
    odd = outside.evidence(*args, limit=5, sort=("1; drop table cases", True))
    assert odd["case_id"].to_list() == whole["case_id"].head(5).to_list()


def _workdays(store: Store) -> list[date]:
    frame = store.sql("select day from calendar_days where is_workday order by day", public=True)
    return frame["day"].to_list()


@pytest.mark.slow
def test_each_case_row_proves_the_claim_on_its_own(county):
    params = _params(YEAR)
    limits = outside.thresholds()
    workdays = _workdays(county)
    seq = set(workdays)

    def lag(a: datetime, r: datetime) -> int:
        # the working days after the acceptance date up to the recording date, counted here
        # from the calendar rather than read from the store's flags
        return bisect.bisect_right(workdays, r.date()) - bisect.bisect_right(workdays, a.date())

    # 延迟录入: recorded more than 1 working day after acceptance, the lag in the row
    late = outside.evidence(county, params, *_planted_dept("late_entry"), "late_entry", None)
    assert late.height > 100
    for r in late.iter_rows(named=True):
        assert r["entry_lag"] > limits["late_workdays"]
        assert r["entry_lag"] == lag(r["accepted_at"], r["recorded_at"]), r

    # 集中补录: the burst is the department's records within 5 minutes, recounted here
    town, dept = _planted_dept("batch_entry")
    batch = outside.evidence(county, params, town, dept, "batch_entry", None)
    threshold = outside.department(county, params, town, dept).signal("batch_entry")
    assert batch["burst"].min() >= threshold.figures["burst_threshold"]
    recount = county.sql(
        """
        select e.case_id, count(*) as n
        from cases e join cases c
          on c.town_code = e.town_code and c.dept_name = e.dept_name
         and c.recorded_at between e.recorded_at - interval 5 minutes
                               and e.recorded_at + interval 5 minutes
        where list_contains($towns, e.town_code) and list_contains($ids, e.case_id)
        group by e.case_id
        """,
        {"ids": batch["case_id"].to_list()},
    )
    assert dict(recount.iter_rows()) == dict(batch.select("case_id", "burst").iter_rows())
    # recorded_period_end: the recording day is the last working day of its ISO week or of
    # its month (the next working day is in a later week or month) — not a weekend
    after = dict(itertools.pairwise(workdays))
    for r in batch.iter_rows(named=True):
        day = r["recorded_at"].date()
        nxt = after[day]
        last = nxt.isocalendar()[:2] != day.isocalendar()[:2] or nxt.month != day.month
        assert r["recorded_period_end"] == last, r
        assert day in seq  # recorded on a working day
    assert batch["recorded_period_end"].all()  # the planted department types in on Fridays

    # 受理即办结: promised ≥ 1 working day, closed within 10 minutes, minutes in the row
    instant = outside.evidence(
        county, params, *_planted_dept("instant_closure"), "instant_closure", None
    )
    assert instant.height > 100
    for r in instant.iter_rows(named=True):
        minutes = (r["completed_at"] - r["accepted_at"]).total_seconds() / 60
        assert r["status"] == "办结" and r["promised_days"] >= 1
        assert r["close_minutes"] == int(minutes) < limits["instant_minutes"]


@pytest.mark.slow
def test_evaluation_rows_name_no_case_the_platform_has(county):
    params = _params(YEAR)
    known = set(
        county.sql("select case_id from cases where list_contains($towns, town_code)")["case_id"]
    )
    # 评价所指办件不存在: every row names a 办件编号, and the platform has none of them
    missing = outside.evidence(
        county, params, *_planted_dept("missing_case_refs"), "missing_case_refs", None
    )
    assert missing.height > 100
    assert missing["named_case_id"].null_count() == 0
    assert not set(missing["named_case_id"]) & known
    assert set(missing["reference"]) == {"missing"}
    # 有评价无办件: the evaluations name no case, or one the platform lacks — never an existing
    # one, although the planted department has evaluations naming its few real cases
    town, dept = _planted_dept("evals_without_cases")
    ewc = outside.evidence(county, params, town, dept, "evals_without_cases", None)
    named = set(ewc["named_case_id"].drop_nulls())
    assert not named & known
    assert set(ewc["reference"]) <= {"none", "missing"}
    naming_existing = county.sql(
        """
        select eval_id from evaluations
        where list_contains($towns, town_code) and town_code = $t and dept_name = $d
          and cast(rated_at as date) between $f and $e
          and case_id in (select case_id from cases)
        """,
        {"t": town, "d": dept, "f": YEAR[0], "e": YEAR[1]},
    )
    assert naming_existing.height > 0
    assert not set(naming_existing["eval_id"]) & set(ewc["eval_id"])
    signal = outside.department(county, params, town, dept).signal("evals_without_cases")
    assert signal.flagged and signal.hits == ewc.height
    assert signal.volume == signal.hits + naming_existing.height  # all evaluations


@pytest.mark.slow
def test_stationed_silent_lists_the_departments_cases_none(county):
    town, dept = _planted_dept("stationed_silent")
    params = _params(SEPTEMBER)
    signal = outside.department(county, params, town, dept).signal("stationed_silent")
    assert signal.flagged and signal.hits == 0
    assert outside.evidence(county, params, town, dept, "stationed_silent", None).is_empty()
    window = outside.window(county, params, town, dept)
    assert window["must_station"] and window["last_case_at"] is None
    assert window["town_cases_in_period"] > 0


@pytest.mark.slow
def test_the_wording_says_last_working_day_of_the_week_or_month(county):
    dept = outside.department(county, _params(YEAR), *_planted_dept("batch_entry"))
    batch = dept.signal("batch_entry")
    assert "当周或当月的最后一个工作日录入" in batch.explanation_zh
    assert "周末" not in batch.explanation_zh
    texts = [
        *outside.MEANINGS.values(),
        *outside.CLEARS.values(),
        *(outside.rule(s) for s in outside.SIGNALS),
        *(s.explanation_zh for s in dept.signals),
    ]
    assert not [t for t in texts if "周末" in t]
    assert (
        set(outside.MEANINGS) == set(outside.CLEARS) == set(outside.COUNTED) == set(outside.SIGNALS)
    )
    # every signal of a department says its value, threshold and volume
    for s in dept.signals:
        assert outside.value_text(s) and outside.threshold_text(s) and outside.volume_text(s)


@pytest.mark.slow
def test_a_town_official_gets_nothing_of_another_town(county):
    town, dept = _planted_dept("late_entry")
    other = next(p.town_code for p in demo.PLANTED if p.town_code != town)
    official = Access("official", "town", frozenset({other}))
    params = _params(YEAR)
    assert outside.department(county, params, town, dept) is not None
    with acting_as(official):
        assert outside.department(county, params, town, dept) is None
        assert outside.evidence(county, params, town, dept, "late_entry", None).is_empty()
        assert outside.evidence_count(county, params, town, dept, "late_entry") == 0
        assert outside.window(county, params, town, dept) is None
        listed = outside.flagged_departments(county, params)
        assert set(listed["town_code"]) == {other}
    own = Access("official", "town", frozenset({town}))
    with acting_as(own):
        assert outside.department(county, params, town, dept).signal("late_entry").flagged


@pytest.mark.slow
def test_the_pdf_shows_the_head_of_the_same_list(county):
    params = _params(SEPTEMBER)
    flags = outside.detect(county, params, evidence_rows=5)
    assert {(f.town_code, f.dept_name, s.name) for f in flags for s in f.signals} == _planted()
    for f in flags:
        for s in f.signals:
            head = outside.evidence(county, params, f.town_code, f.dept_name, s.name, limit=5)
            assert f.evidence[s.name].equals(head)
            assert f.evidence[s.name].height == min(5, s.hits)


# --------------------------------------------------------------------------- a few rows

MON = datetime(2026, 11, 2, 9, 0)


def test_evaluations_naming_existing_cases_do_not_count(pulse_env, reference_files, tmp_path):
    """有评价无办件 counts the evaluations that name no case on the platform: 20 without a
    办件编号 against 4 cases flag (5 per case); evaluations of the 4 cases never count."""

    def case(cid: str, **where) -> list:
        return case_row(cid, 受理时间=MON.strftime("%Y-%m-%d %H:%M:%S"), **where)

    qing = {"乡镇(街道)": "青石镇", "受理部门": "社保"}
    cases = [case(f"QC{i}", **qing) for i in range(4)]
    cases += [case(f"MC{i}", 受理部门="民政") for i in range(2)]
    qing_eval = {"乡镇(街道)": "青石镇", "评价部门": "社保"}
    evals = [eval_row(f"QV{i}", **qing_eval) for i in range(20)]
    evals += [eval_row(f"QN{i}", 办件编号=f"QC{i}", **qing_eval) for i in range(4)]
    # 民政: 21 evaluations, 2 naming its cases: 19 unmatched, below the minimum volume
    evals += [eval_row(f"MV{i}", 评价部门="民政") for i in range(19)]
    evals += [eval_row(f"MN{i}", 办件编号=f"MC{i}", 评价部门="民政") for i in range(2)]
    files = [
        *reference_files,
        write_csv(tmp_path / "c.csv", CASE_HEADER, cases),
        write_csv(tmp_path / "e.csv", EVAL_HEADER, evals),
    ]
    assert load(files).exit_code == 0
    store = Store()
    params = Params(date(2026, 11, 1), date(2026, 11, 30), AS_OF)
    qingshi = outside.department(store, params, "339901101000", "社保")
    s = qingshi.signal("evals_without_cases")
    assert (s.flagged, s.hits, s.volume, s.value) == (True, 20, 24, 5.0)
    rows = outside.evidence(store, params, "339901101000", "社保", "evals_without_cases", None)
    assert sorted(rows["eval_id"]) == sorted(f"QV{i}" for i in range(20))
    assert set(rows["reference"]) == {"none"}
    assert "其中 20 条未对应平台上的办件" in s.explanation_zh
    city = outside.department(store, params, "339901001000", "民政")
    m = city.signal("evals_without_cases")
    assert (m.flagged, m.hits, m.volume) == (False, 19, 21)
    assert (
        outside.evidence_count(store, params, "339901001000", "民政", "evals_without_cases") == 19
    )


def test_display_values_are_words_and_text():
    assert outside.display_value("reference", "none") == "未填办件编号"
    assert outside.display_value("reference", "missing") == "平台查无此件"
    assert outside.display_value("rating", 1) == "非常不满意"
    assert outside.display_value("recorded_period_end", True) == "是"
    assert outside.display_value("accepted_at", datetime(2026, 1, 2, 3, 4, 5)) == (
        "2026-01-02 03:04:05"
    )
    assert outside.display_value("item_name", "<b>x</b>") == "<b>x</b>"  # text, not markup
    assert outside.display_value("completed_at", None) == ""

"""etl.demo.planted: the planted 体外循环 departments show their signal and only they do;
the planted bad, repeated and updated rows are where and as many as declared."""

from __future__ import annotations

import polars as pl

from etl import demo
from etl.sources import normalize_header
from tests.etl.demo.helpers import (
    BY_NAME,
    _dept,
    _ordinary,
    _planted,
    _ts,
)


def test_planted_list():
    assert 6 <= len({(p.town_code, p.dept_name) for p in demo.PLANTED}) <= 7
    signals = {p.signal for p in demo.PLANTED}
    assert signals == {
        "late_entry",
        "batch_entry",
        "instant_closure",
        "missing_case_refs",
        "evals_without_cases",
        "stationed_silent",
    }
    assert all(
        p.town_code in demo.TOWN_CODES and p.dept_name in demo.DEPARTMENTS for p in demo.PLANTED
    )


def test_planted_stationed_silent(cases, evaluations, departments):
    p = _planted("stationed_silent")
    row = departments.filter(
        (pl.col("乡镇代码") == p.town_code) & (pl.col("部门名称") == p.dept_name)
    )
    assert row["应进驻"].to_list() == ["是"]
    assert _dept(cases, p).is_empty()
    assert _dept(evaluations, p, "评价部门").is_empty()
    # no other stationed department is silent
    counts = cases.group_by("town", "受理部门").len()
    stationed = departments.filter(pl.col("应进驻") == "是").join(
        counts, left_on=["乡镇代码", "部门名称"], right_on=["town", "受理部门"], how="left"
    )
    silent = stationed.filter(pl.col("len").is_null())
    assert silent.select("乡镇代码", "部门名称").rows() == [(p.town_code, p.dept_name)]


def test_planted_late_entry(cases):
    for p in (q for q in demo.PLANTED if q.signal == "late_entry"):
        own = _dept(cases, p)
        assert own.height > 30
        late = (own["lag_s"] >= 2 * 86_400).mean()
        assert late > 0.75, p
        assert own["lag_s"].max() <= 25 * 86_400  # 10 working days around a long holiday
    # no ordinary department enters a case later than the same hour
    assert _ordinary(cases)["lag_s"].max() < 3600


def test_planted_batch_entry(cases):
    p = _planted("batch_entry")
    own = _dept(cases, p)
    assert own.height > 30
    # entered late afternoon, a few seconds apart, on few days
    hours = own["rec"].dt.hour()
    assert ((hours == 16) | (hours == 17)).mean() > 0.95
    assert own["rec"].dt.date().n_unique() < own.height / 2
    assert (own["lag_s"] >= 2 * 86_400).all()


def test_planted_instant_closure(cases):
    p = _planted("instant_closure")
    own = _dept(cases, p).filter((pl.col("days") >= 5) & (pl.col("办件状态") == "办结"))
    assert own.height > 20
    quick = own["close_s"].is_between(0, 4 * 60)
    assert quick.mean() > 0.8
    others = _ordinary(cases).filter(pl.col("days") >= 5)
    assert not others["close_s"].is_between(0, 4 * 60).any()


def test_planted_missing_case_refs(cases, evaluations):
    p = _planted("missing_case_refs")
    known = set(cases["办件编号"].drop_nulls())
    e = evaluations.with_columns(
        missing=pl.col("办件编号").is_not_null() & ~pl.col("办件编号").is_in(list(known))
    )
    own = _dept(e, p, "评价部门")
    assert own["missing"].mean() > 0.4
    assert own["办件编号"].drop_nulls().str.contains(r"^339901\d{16}$").all()
    assert _ordinary(e, "评价部门")["missing"].sum() == 0


def test_planted_evals_without_cases(cases, evaluations):
    p = _planted("evals_without_cases")
    n_cases = _dept(cases, p).height
    own = _dept(evaluations, p, "评价部门")
    assert 1 <= n_cases <= 5
    assert own.height > 10 * n_cases
    assert (own["评价渠道"] == "评价器").mean() > 0.95
    # ordinary departments: evaluations about 80% of their cases
    counts = _ordinary(cases).group_by("town", "受理部门").len().filter(pl.col("len") > 40)
    evals = _ordinary(evaluations, "评价部门").group_by("town", "评价部门").len()
    ratio = counts.join(evals, left_on=["town", "受理部门"], right_on=["town", "评价部门"])
    ratio = ratio["len_right"] / ratio["len"]
    assert ratio.max() < 1.1


def test_planted_bad_rows_are_counted(county):
    by_source = demo.PLANTED_BAD_ROWS_BY_SOURCE
    for code, n in demo.PLANTED_BAD_ROWS.items():
        assert n == sum(b.get(code, 0) for b in by_source.values())
    assert set(demo.PLANTED_BAD_ROWS) == {
        "missing_required",
        "bad_timestamp",
        "bad_number",
        "invalid_value",
        "unknown_town",
        "negative_promised_days",
        "completed_before_accepted",
        "due_before_received",
    }
    for source in ("cases", "hotline", "evaluations"):
        extra = (
            sum(by_source[source].values())
            + demo.PLANTED_DUPLICATES[source]
            + demo.PLANTED_UPDATES[source]
        )
        assert county.rows_written[source] == county.counts[source] + extra, source


def test_bad_rows_in_case_files(county, cases, towns):
    known_towns = set(towns["乡镇代码"])
    assert (~cases["town"].is_in(list(known_towns))).sum() == 2
    assert cases["受理时间"].str.contains("-13-45").sum() == 1
    assert cases["录入时间"].str.contains("-02-30").sum() == 1
    assert (cases["承诺时限"] == "-1").sum() == 1
    assert (cases["承诺时限"] == "五").sum() == 1
    assert (~cases["申报方式"].is_in(list(demo.CASE_CHANNELS))).sum() == 1
    assert (~cases["办件状态"].is_in(list(demo.CASE_STATUSES))).sum() == 1
    assert cases["事项编码"].null_count() == 1 and cases["受理部门"].null_count() == 1
    assert (cases["close_s"] < 0).sum() == 2
    # two rows repeated byte for byte; three cases first open, then completed in a later file
    raw = cases.select(normalize_header(c.header) for c in BY_NAME["cases"].columns)
    assert raw.height - raw.unique().height == 2
    versions = raw.filter(pl.col("办件编号").is_duplicated()).unique()
    updated = versions.group_by("办件编号").agg(pl.col("办件状态").sort())
    updated = updated.filter(pl.col("办件状态").list.len() == 2)
    assert updated.height == 3
    assert updated["办件状态"].to_list() == [["办结", "在办"]] * 3
    assert cases["办件编号"].n_unique() == county.counts["cases"] + 12


def test_bad_rows_in_hotline_and_evaluation_files(tickets, evaluations, towns):
    t = tickets.with_columns(received=_ts("来电时间"), due=_ts("办理时限"))
    assert (t["due"] < t["received"]).sum() == 2
    assert tickets["来电时间"].str.contains("-13-45").sum() == 1
    assert (~tickets["诉求类型"].is_in(list(demo.HOTLINE_TYPES))).sum() == 1
    assert tickets.height - tickets.unique().height == 1
    words = [*demo.RATING_WORDS[1:], "1", "2", "3", "4", "5"]
    assert (~evaluations["评价等级"].is_in(words)).sum() == 1
    assert evaluations["评价部门"].null_count() == 1
    assert (~evaluations["town"].is_in(list(towns["乡镇代码"]))).sum() == 1
    assert evaluations["评价时间"].str.contains("-02-30").sum() == 1
    assert evaluations.height - evaluations.unique().height == 1

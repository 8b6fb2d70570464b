"""etl.demo.simulate: the shape of the simulated year (coverage, rhythm, items, statuses,
evaluations, hotline)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import polars as pl

from etl import demo
from tests.etl.demo.helpers import (
    ONLINE,
    _ordinary,
    _ts,
)


def test_cases_cover_the_year_up_to_the_extraction(county, cases):
    valid = cases.filter(pl.col("acc").is_not_null())
    assert valid["acc"].min().date() == county.start
    assert valid["acc"].max() < county.extracted_at
    assert valid["rec"].max() <= county.extracted_at
    assert valid["done"].max() <= county.extracted_at
    # all three timestamp forms occur
    text = pl.concat([cases["受理时间"].drop_nulls()])
    assert text.str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").any()
    assert text.str.contains(r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}$").any()
    assert text.str.contains(r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$").any()
    # every text timestamp of a valid row parses
    ok = cases.filter(pl.col("受理时间").str.contains("-13-45").not_())
    assert ok["acc"].null_count() == 0


def test_online_rate_spreads_across_towns(cases):
    rates = (
        cases.filter(pl.col("acc").is_not_null())
        .group_by("town")
        .agg(n=pl.len(), online=pl.col("申报方式").is_in(ONLINE).mean())
        .filter(pl.col("n") > 100)
    )
    assert rates.height == 13
    assert 0.10 <= rates["online"].min() <= 0.22
    assert 0.88 <= rates["online"].max() <= 0.96


def test_weekly_rhythm(cases):
    import chinese_calendar

    valid = cases.filter(pl.col("acc").is_not_null())
    days = valid["acc"].dt.date().unique().to_list()
    workday = {d: chinese_calendar.is_workday(d) for d in days}
    valid = valid.with_columns(
        workday=pl.col("acc").dt.date().replace_strict(workday, return_dtype=pl.Boolean),
        window=pl.col("申报方式") == "窗口办理",
    )
    window = valid.filter("window")
    assert window.filter(~pl.col("workday")).height < 0.002 * window.height
    hours = window["acc"].dt.hour() + window["acc"].dt.minute() / 60
    assert hours.min() >= 8.5 and hours.max() < 17.5
    online_off = valid.filter(pl.col("申报方式").is_in(ONLINE) & ~pl.col("workday")).height
    assert online_off > 0.02 * valid.filter(pl.col("申报方式").is_in(ONLINE)).height


def test_items_statuses_and_deadlines(cases):
    valid = cases.filter(pl.col("acc").is_not_null() & pl.col("days").is_not_null())
    items = valid.group_by("事项编码").agg(pl.col("事项名称").n_unique(), pl.col("days").first())
    assert items.height >= 20
    assert items["事项名称"].max() == 1
    assert set(items["days"]) >= {0, 5, 10, 20}
    status = valid["办件状态"].value_counts()
    share = dict(zip(status["办件状态"], status["count"] / valid.height, strict=True))
    assert share["办结"] > 0.95
    assert 0.001 < share["在办"] < 0.03
    assert 0 < share["不予受理"] < 0.02 and 0 < share["撤回"] < 0.02
    done = valid.filter(pl.col("办件状态") == "办结")
    assert done["done"].null_count() == 0
    open_cases = valid.filter(pl.col("办件状态") == "在办")
    assert open_cases["done"].null_count() == open_cases.height
    # instant items (即办) close within the day, most within the hour
    ordinary = _ordinary(done)
    instant = ordinary.filter(pl.col("days") == 0)
    same_day = (instant["done"].dt.date() == instant["acc"].dt.date()).mean()
    assert 0.97 < same_day < 1.0
    # ordinary departments never close an item with a deadline within minutes
    assert ordinary.filter((pl.col("days") >= 5) & pl.col("close_s").is_between(0, 3600)).is_empty()
    # ordinary departments enter cases within minutes of acceptance
    assert ordinary["lag_s"].filter(ordinary["lag_s"] >= 0).max() < 30 * 60


def test_evaluations_shape(county, evaluations, cases):
    ratings = evaluations["评价等级"]
    assert ratings.is_in(list(demo.RATING_WORDS[1:])).mean() > 0.85
    assert ratings.is_in(["1", "2", "3", "4", "5"]).any()
    score = ratings.replace_strict(
        {w: i for i, w in enumerate(demo.RATING_WORDS) if w} | {str(i): i for i in range(1, 6)},
        default=None,
        return_dtype=pl.Int64,
    )
    e = evaluations.with_columns(score=score).filter(pl.col("score").is_not_null())
    by_town = e.group_by("town").agg(sat=(pl.col("score") >= 3).mean(), n=pl.len())
    by_town = by_town.filter(pl.col("n") > 100)
    assert by_town.height == 13
    assert by_town["sat"].min() > 0.88 and by_town["sat"].max() < 1.0
    assert by_town["sat"].max() - by_town["sat"].min() > 0.04
    bad = e.filter(pl.col("score") <= 2)
    rect = bad["整改状态"].value_counts()
    share = dict(zip(rect["整改状态"], rect["count"] / bad.height, strict=True))
    assert share["已整改"] > 0.75 and share.get("整改中", 0) > 0 and share.get("未整改", 0) > 0
    assert bad.filter(pl.col("整改状态") == "已整改")["整改完成时间"].null_count() == 0
    assert set(evaluations["评价渠道"].drop_nulls()) == set(demo.EVAL_CHANNELS)
    # about 80% of completed cases are evaluated, after completion
    done = cases.filter(pl.col("办件状态") == "办结").unique("办件编号")
    named = set(evaluations["办件编号"].drop_nulls())
    rate = done["办件编号"].is_in(list(named)).mean()
    assert 0.7 < rate < 0.9
    joined = e.with_columns(rated=_ts("评价时间")).join(
        done.select("办件编号", "done"), on="办件编号"
    )
    assert (joined["rated"] >= joined["done"].dt.truncate("1m")).all()
    assert evaluations["评价内容"].drop_nulls().str.contains(r"1[3-9]\d{9}").any()


def test_hotline_shape(tickets):
    assert set(tickets["诉求类型"]) >= set(demo.HOTLINE_TYPES)
    assert tickets["一级分类"].n_unique() >= 6
    t = tickets.with_columns(received=_ts("来电时间"), due=_ts("办理时限")).filter(
        pl.col("received").is_not_null() & (pl.col("due") > pl.col("received"))
    )
    gap = (t["due"] - t["received"]).dt.total_days()
    assert gap.min() >= 1 and gap.max() <= 7
    sat = t["满意度"].value_counts()
    share = dict(zip(sat["满意度"], sat["count"] / t.height, strict=True))
    assert share["满意"] > 0.6
    # repeat callers: the same number several times within 30 days
    repeats = (
        t.sort("received")
        .group_by("来电号码")
        .agg(n=pl.len(), span=(pl.col("received").max() - pl.col("received").min()))
        .filter(pl.col("n") >= 2)
    )
    assert repeats.height >= 10
    assert (repeats["span"] <= timedelta(days=30)).all()
    content = t["诉求内容"]
    assert content.str.contains(r"1[3-9]\d{9}").any()
    assert content.str.contains(r"\d{17}[\dX]").any()


def test_optional_columns_for_some_towns_from_the_upgrade_on(county, cases, towns):
    """Contract §3a: from the upgrade month the files carry the optional columns; window,
    现场办结, 跨省通办 and village only for the towns that record them."""
    from etl.demo.county import ATTRIBUTE_TOWNS

    by_name = dict(zip(towns["乡镇名称"], towns["乡镇代码"], strict=True))
    recording = [by_name[n] for n in ATTRIBUTE_TOWNS]
    carried = cases.filter(pl.col("事项类型").is_not_null())
    assert carried["acc"].min() > datetime.combine(county.start, time()) + timedelta(days=150)
    assert carried.height > 0.4 * cases.height
    assert set(carried["办件类型"]) == {"即办件", "承诺件"}
    window = carried.filter(pl.col("town").is_in(recording))
    others = carried.filter(~pl.col("town").is_in(recording))
    for column in ("受理窗口", "窗口类型", "是否跨省通办"):
        assert others[column].null_count() == others.height, column
    assert set(window["窗口类型"].drop_nulls()) == {
        "综合窗口",
        "部门窗口",
        "村级代办点",
        "自助终端",
    }
    counter = window.filter(pl.col("申报方式") == "窗口办理")
    one_window = (counter["窗口类型"] == "综合窗口").mean()
    assert 0.6 < one_window < 0.95
    agency = window.filter(pl.col("申报方式") == "帮办代办")
    assert (agency["窗口类型"] == "村级代办点").all()
    assert agency["村(社区)"].str.contains("(村|社区)$").all()
    assert (agency["受理窗口"] == agency["村(社区)"] + "代办点").all()
    onsite = window.filter(pl.col("是否现场办结").is_not_null())
    assert set(onsite["申报方式"]) <= {"窗口办理", "帮办代办"} and (onsite["days"] == 0).all()
    assert 0.9 < (onsite["是否现场办结"] == "是").mean() < 1.0
    assert 0 < (window["是否跨省通办"] == "是").sum() < 0.02 * window.height
    bundles = carried["一件事主题"].drop_nulls()
    assert bundles.str.ends_with("一件事").all() and bundles.n_unique() >= 4


def test_special_procedure_days_make_late_cases_on_time(county, cases):
    """特别程序: some cases of the items with hearings or public notice pause their clock —
    most of those completed after the promised deadline, so that they are on time."""
    import chinese_calendar

    paused = cases.filter(pl.col("特别程序天数").is_not_null()).with_columns(
        paused=pl.col("特别程序天数").cast(pl.Int64)
    )
    assert paused.height > 20 and (paused["paused"] > 0).all()
    assert set(paused["事项编码"]) <= {
        "ZR339901001", "ZR339901002", "MZ339901001", "MZ339901002", "SC339901003", "CZ339901001"
    }  # fmt: skip
    assert paused.filter(pl.col("办件状态") == "在办").height > 0

    def deadline(accepted: datetime, days: int) -> date:
        day = accepted.date()
        while days > 0:
            day += timedelta(days=1)
            days -= chinese_calendar.is_workday(day)
        return day

    done = paused.filter(pl.col("done").is_not_null())
    on_time, late_by_promise = 0, 0
    for r in done.iter_rows(named=True):
        on_time += r["done"].date() <= deadline(r["acc"], r["days"] + r["paused"])
        late_by_promise += r["done"].date() > deadline(r["acc"], r["days"])
    assert on_time == done.height
    assert late_by_promise >= 5  # overdue by the promise alone, on time by the law

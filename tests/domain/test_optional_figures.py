"""Contract §7's figures from the optional case columns (§3a), hand-computed from CSV files
loaded through the real ETL: 现场办结率, 承诺件提前办结率, 一窗通办率 and the counts of 跨省通办,
一件事 and 帮办代办 — with empty denominators and absent columns (无数据, never 0), the rows
behind each (明细) counting exactly the figure, and the windows (受理窗口) ranked by the one rule
of dashboard/domain/windows.py."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dashboard.components.format import fmt
from dashboard.domain import coverage, indicators, trace, windows
from dashboard.domain.metrics import metrics
from dashboard.domain.periods import Period
from dashboard.store import Store
from etl.load import load
from tests.conftest import CASE_HEADER, case_row, write_csv

CITY, QINGSHI, BAIYUN = "339901001000", "339901101000", "339901201000"
NOV = (date(2026, 11, 1), date(2026, 11, 30))
AS_OF = datetime(2026, 11, 20, 8, 0)
STAMP = ["导出时间:2026-11-20 08:00:00"]
OPTIONAL = [
    "事项类型",
    "办件类型",
    "受理窗口",
    "窗口类型",
    "是否现场办结",
    "是否跨省通办",
    "一件事主题",
    "特别程序天数",
    "村(社区)",
]
NEW = ("onsite_rate", "early_rate", "one_window_rate", "cross_province_cases", "bundle_cases")
NEW += ("assisted_cases",)


def row(case_id: str, **over: str) -> list[str]:
    """A case row with the §3a columns (empty unless given)."""
    extra = {h: over.pop(h, "") for h in OPTIONAL}
    return case_row(case_id, **over) + [extra[h] for h in OPTIONAL]


@pytest.fixture
def county(pulse_env, reference_files, tmp_path):
    return load_county(reference_files, tmp_path)


def load_county(reference_files, tmp_path) -> Store:
    """城关街道 with the §3a columns filled; 白云乡 from the same export, its §3a cells empty;
    青石镇 from an export without them. Default row: 窗口办理, accepted Mon 2026-11-02,
    5 working days → deadline Mon 11-09 23:59:59, completed Wed 11-04."""
    with_columns = write_csv(
        tmp_path / "new.csv",
        CASE_HEADER + OPTIONAL,
        [
            # early, onsite 是, 综合窗口, not cross-province, a bundle
            row("A1", 是否现场办结="是", 受理窗口="综合窗口1号", 窗口类型="综合窗口",
                是否跨省通办="否", 一件事主题="退休一件事"),
            # completed on the deadline's date: on time, not early; onsite 否, 部门窗口,
            # cross-province
            row("A2", 办结时间="2026-11-09 10:00", 是否现场办结="否", 受理窗口="社保窗口",
                窗口类型="部门窗口", 是否跨省通办="是"),
            # 帮办代办 at a village point, 即办件, onsite unknown
            row("A3", 申报方式="帮办代办", 承诺时限="0", 办件类型="即办件",
                办结时间="2026-11-02 11:00", 受理窗口="李家村代办点", 窗口类型="村级代办点",
                **{"村(社区)": "李家村"}),
            # online and open: no onsite or window figure; cross-province known 否
            row("A4", 申报方式="网上办理", 办结时间="", 办件状态="在办", 是否跨省通办="否"),
            # early, onsite 是, window type unknown
            row("A5", 是否现场办结="是", 受理窗口="综合窗口1号"),
            # 办件类型 承诺件 although promised_days is 0: a 承诺件, not early
            row("A6", 承诺时限="0", 办件类型="承诺件", 办结时间="2026-11-02 16:00"),
            # 白云乡: the columns are in the file, its cells empty; a 即办件
            row("B1", **{"乡镇(街道)": "白云乡"}, 受理部门="司法", 承诺时限="0",
                办结时间="2026-11-02 15:00"),
        ],
        title=STAMP,
    )  # fmt: skip
    without = write_csv(
        tmp_path / "old.csv",
        CASE_HEADER,
        [
            case_row("Q1", **{"乡镇(街道)": "青石镇"}),
            case_row("Q2", **{"乡镇(街道)": "青石镇"}, 申报方式="帮办代办"),
        ],
        title=STAMP,
    )
    run = load([*reference_files, with_columns, without])
    assert run.exit_code == 0 and sum(r.rejected for r in run.reports) == 0
    return Store()


def by_town(store: Store) -> dict[str, dict]:
    frame = metrics(store, *NOV, AS_OF, by="town", flags=False)
    return {r["town_code"]: r for r in frame.iter_rows(named=True)}


def test_each_figure_hand_computed(county):
    towns = by_town(county)
    assert {k: towns[CITY][k] for k in NEW} == {
        "onsite_rate": 2 / 3,  # A1, A5 是 of A1, A2, A5 (A3: 帮办代办 without 是否现场办结)
        "early_rate": 2 / 4,  # A1, A5 of A1, A2, A5, A6 (A6 承诺件 by 办件类型)
        "one_window_rate": 1 / 2,  # A1 综合窗口 of A1, A2 (A5 窗口类型 empty; A3 帮办代办)
        "cross_province_cases": 1,  # A2 (known: A1, A2, A4)
        "bundle_cases": 1,  # A1
        "assisted_cases": 1,  # A3
    }
    # 青石镇's export has none of the columns: 无数据, never 0 — but 承诺件 and 帮办代办 come
    # from the required columns (承诺时限, 申报方式)
    assert {k: towns[QINGSHI][k] for k in NEW} == {
        "onsite_rate": None,
        "early_rate": 1.0,  # Q1, Q2: 5 working days, completed 11-04 < 11-09
        "one_window_rate": None,
        "cross_province_cases": None,
        "bundle_cases": None,
        "assisted_cases": 1,
    }
    # 白云乡: the columns are there but empty for its one 即办件 — empty denominators
    assert {k: towns[BAIYUN][k] for k in NEW} == {
        "onsite_rate": None,  # B1 是否现场办结 empty
        "early_rate": None,  # no completed 承诺件
        "one_window_rate": None,  # B1 窗口类型 empty
        "cross_province_cases": None,  # 是否跨省通办 empty
        "bundle_cases": 0,  # the file has 一件事主题: an empty cell is no bundle, a real 0
        "assisted_cases": 0,
    }
    county_row = metrics(county, *NOV, AS_OF, by="county", flags=False).row(0, named=True)
    assert county_row["onsite_rate"] == 2 / 3  # only 城关街道 knows it
    assert county_row["early_rate"] == 4 / 6  # A1, A5, Q1, Q2 of A1, A2, A5, A6, Q1, Q2
    assert county_row["cross_province_cases"] == 1
    assert county_row["bundle_cases"] == 1
    assert county_row["assisted_cases"] == 2


def test_no_data_reads_no_data_never_zero(county):
    towns = by_town(county)
    assert fmt("onsite_rate", towns[QINGSHI]["onsite_rate"]) == "无数据"
    assert fmt("cross_province_cases", towns[QINGSHI]["cross_province_cases"]) == "无数据"
    assert fmt("early_rate", towns[BAIYUN]["early_rate"]) == "无数据"
    assert fmt("bundle_cases", towns[BAIYUN]["bundle_cases"]) == "0"
    assert fmt("onsite_rate", towns[CITY]["onsite_rate"]) == "66.7%"
    assert fmt("on_time_rate", None) == "—"  # the figures of required columns as before
    # a period without any case: 无数据 for the optional figures, never 0
    empty = metrics(county, date(2026, 9, 1), date(2026, 9, 30), AS_OF, by="town", flags=False)
    row = empty.filter(empty["town_code"] == CITY).row(0, named=True)
    assert {k: row[k] for k in NEW if k != "assisted_cases"} == dict.fromkeys(
        (k for k in NEW if k != "assisted_cases"), None
    )


@pytest.mark.parametrize("key", NEW)
@pytest.mark.parametrize("town", [CITY, QINGSHI, BAIYUN])
def test_the_rows_behind_count_exactly_the_figure(county, key, town):
    """明细: the rows a figure counts (its denominator for a rate, `counted` its numerator)."""
    value = by_town(county)[town][key]
    total, counted = trace.count_behind(county, key, *NOV, town=town, as_of=AS_OF)
    rows = trace.rows_behind(county, key, *NOV, town=town, as_of=AS_OF)
    assert rows.height == total
    i = indicators.get(key)
    if i.is_rate:
        assert value == (counted / total if total else None)
        assert int(rows["counted"].sum()) == counted
    else:
        assert total == (value or 0)
    assert set(i.trace.fields) <= set(rows.columns)


def test_the_rows_name_the_columns_they_are_counted_by(county):
    rows = trace.rows_behind(county, "onsite_rate", *NOV, town=CITY, as_of=AS_OF)
    assert sorted(zip(rows["case_id"], rows["onsite_completed"], rows["counted"], strict=True)) == [
        ("A1", True, True),
        ("A2", False, False),
        ("A5", True, True),
    ]
    one = trace.rows_behind(county, "cases", *NOV, town=CITY, as_of=AS_OF, window="综合窗口1号")
    assert sorted(one["case_id"]) == ["A1", "A5"]


def test_the_county_has_the_data_for_every_new_figure(county):
    assert coverage.available(county) == indicators.OPTIONAL
    assert coverage.available(county, *NOV) == indicators.OPTIONAL
    assert indicators.OPTIONAL == NEW
    # a period without any case: no column of 无数据 everywhere
    assert coverage.available(county, date(2026, 9, 1), date(2026, 9, 30)) == ()


def test_a_county_without_the_columns_shows_none_of_them(pulse_env, reference_files, tmp_path):
    f = write_csv(tmp_path / "old.csv", CASE_HEADER, [case_row("Q1")], title=STAMP)
    assert load([*reference_files, f]).exit_code == 0
    # 承诺件提前办结率 needs only 承诺时限; 帮办代办 none was accepted
    assert coverage.available(Store()) == ("early_rate",)


def test_the_doc_lists_the_known_counts():
    doc = indicators.render_doc()
    assert "`cross_province_cases`(`cross_province_known`)" in doc
    assert "| 现场办结率 | `onsite_rate` | 比率 · 可选列 |" in doc


# --- windows ------------------------------------------------------------------------------


@pytest.fixture
def windows_county(pulse_env, reference_files, tmp_path):
    return load_windows_county(reference_files, tmp_path)


def load_windows_county(reference_files, tmp_path) -> Store:
    """Windows of three towns; ranked with at least 2 completed cases, boards of 1."""
    (tmp_path / "pulse.toml").write_text(
        "[windows]\nmin_completed = 2\nboard_size = 1\n", encoding="utf-8"
    )
    late = {"办结时间": "2026-11-12 10:00"}  # after the deadline 11-09: not on time
    on_date = {"办结时间": "2026-11-09 10:00"}  # on time, not early
    qs = {"乡镇(街道)": "青石镇"}
    rows = [
        # 城关街道 综合窗口1号: on time 2/2, onsite 2/2, early 2/2
        row("C1", 受理窗口="综合窗口1号", 是否现场办结="是"),
        row("C2", 受理窗口="综合窗口1号", 是否现场办结="是", 受理部门="民政"),
        # 城关街道 民政窗口: the same figures (a tie: shared rank 1) but one case overdue and
        # open at 数据截至 — never a 红旗窗口
        row("M1", 受理窗口="民政窗口", 受理部门="民政", 是否现场办结="是"),
        row("M2", 受理窗口="民政窗口", 受理部门="民政", 是否现场办结="是"),
        row("M3", 受理窗口="民政窗口", 受理部门="民政", 办结时间="", 办件状态="在办"),
        # 城关街道 社保窗口: on time 2/2, onsite 2/2, early 1/2
        row("S1", 受理窗口="社保窗口", 是否现场办结="是"),
        row("S2", 受理窗口="社保窗口", 是否现场办结="是", **on_date),
        # 青石镇 综合窗口1号 (another window than 城关街道's): on time 2/2, onsite 1/2
        row("Q1", 受理窗口="综合窗口1号", 是否现场办结="否", **qs),
        row("Q2", 受理窗口="综合窗口1号", 是否现场办结="是", **qs),
        # 青石镇 社保窗口: on time 1/2 — the worst
        row("Q3", 受理窗口="社保窗口", 是否现场办结="是", **qs, **late),
        row("Q4", 受理窗口="社保窗口", 是否现场办结="是", **qs),
        # 白云乡 司法窗口: one completed case only — listed, not ranked
        row("B1", 受理窗口="司法窗口", 受理部门="司法", **{"乡镇(街道)": "白云乡"}),
        # no window named: not ranked, counted beside the ranking
        row("N1"),
        row("N2", **qs),
    ]
    f = write_csv(tmp_path / "w.csv", CASE_HEADER + OPTIONAL, rows, title=STAMP)
    assert load([*reference_files, f]).exit_code == 0
    return Store()


def test_window_ranking_hand_computed(windows_county):
    month = Period(*NOV, "month")
    ranking = windows.ranking(windows_county, month, AS_OF)
    got = [
        (w.rank, w.board, w.row["town_code"], w.row["window_name"], w.row["completed"])
        for w in ranking.windows
    ]
    assert got == [
        # (on time, onsite, early) = (1, 1, 1) for both: a shared rank; 民政窗口 has M3
        # overdue at 数据截至 (deadline 11-09 < 11-20): not a 红旗窗口, its place not passed on.
        # Equal windows are listed by town code and name.
        (1, "", CITY, "民政窗口", 2),
        (1, "红旗窗口", CITY, "综合窗口1号", 2),
        (3, "", CITY, "社保窗口", 2),  # (1, 1, 0.5)
        (4, "", QINGSHI, "综合窗口1号", 2),  # (1, 0.5, 1)
        (5, "后进窗口", QINGSHI, "社保窗口", 2),  # (0.5, 1, 0.5)
        (None, "办结量不足", BAIYUN, "司法窗口", 1),
    ]
    assert ranking.without_window == 2  # N1, N2
    assert [w.row["window_name"] for w in ranking.flags] == ["综合窗口1号"]
    assert "另有 2 件办件未记录受理窗口" in ranking.note()


def test_windows_under_each_department(windows_county):
    from dashboard.domain.params import Params

    frame = windows.figures(windows_county, Params(*NOV, AS_OF), town=CITY)
    got = {(r["dept_name"], r["window_name"]): r["cases"] for r in frame.iter_rows(named=True)}
    # 综合窗口1号 took a 社保 and a 民政 case: one row under each department
    assert got == {
        ("民政", "综合窗口1号"): 1,
        ("民政", "民政窗口"): 3,
        ("社保", "综合窗口1号"): 1,
        ("社保", "社保窗口"): 2,
        ("社保", None): 1,
    }


def test_the_window_month(windows_county):
    assert windows.month_of(Period(*NOV, "this_month"), AS_OF) == Period(*NOV, "month")
    week = Period(date(2026, 11, 16), date(2026, 11, 22), "last_week")
    assert windows.month_of(week, AS_OF) == Period(date(2026, 10, 1), date(2026, 10, 31), "month")

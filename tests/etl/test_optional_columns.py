"""Contract §3a: the optional case columns loaded, validated and stored; files without them
load as before; the §7 counts built on them (hand-computed), with the "known" counts that
tell a town without the data (无数据) from a town with none."""

from __future__ import annotations

import json
import os
from datetime import date

import duckdb
import pytest

from etl import publish, settings
from etl.load import _content_hash, _store_columns, load
from etl.sources import cases as cases_source
from tests.conftest import CASE_HEADER, case_row, write_csv

CITY, QINGSHI = "339901001000", "339901101000"
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
HEADER = CASE_HEADER + OPTIONAL
NEW_COUNTS = (
    "commitment_completed",
    "early_completed",
    "onsite_known",
    "onsite_cases",
    "window_type_known",
    "one_window_cases",
    "cross_province_known",
    "cross_province_cases",
    "bundle_known",
    "bundle_cases",
    "assisted_cases",
)


def row(case_id: str, **over: str) -> list[str]:
    """A case row with the optional columns (empty unless given)."""
    extra = {h: over.pop(h, "") for h in OPTIONAL}
    return case_row(case_id, **over) + [extra[h] for h in OPTIONAL]


def _store_rows(sql: str, params=None):
    con = duckdb.connect(str(publish.current_file(settings.store_path())), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _counts(town: str, start=date(2026, 11, 1), end=date(2026, 11, 30)) -> dict:
    cols = ", ".join(f"sum({c})::int as {c}" for c in ("cases", *NEW_COUNTS))
    as_of = "timestamp '2026-11-20 08:00:00'"
    fixed = f"'{start}'::date, '{end}'::date, {as_of}, ['网上办理', '掌上办理'], 1, 3, 10"
    out = {}
    for macro in ("indicator_counts", "indicator_counts_raw"):
        con = duckdb.connect(str(publish.current_file(settings.store_path())), read_only=True)
        try:
            cur = con.execute(f"select {cols} from {macro}({fixed}) where town_code = ?", [town])
            out[macro] = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
        finally:
            con.close()
    assert out["indicator_counts"] == out["indicator_counts_raw"]  # rollups = definitions
    return out["indicator_counts"]


def test_optional_columns_are_stored(pulse_env, reference_files, tmp_path):
    f = write_csv(
        tmp_path / "c.csv",
        HEADER,
        [
            row(
                "O1",
                事项类型="行政许可",
                办件类型="承诺件",
                受理窗口="综合窗口3号",
                窗口类型="综合窗口",
                是否现场办结="是",
                是否跨省通办="否",
                一件事主题="新生儿出生一件事",
                特别程序天数="2",
                **{"村(社区)": "李家村"},
            ),
            row("O2", 事项类型="行政备案", 是否现场办结="N", 是否跨省通办="Y"),  # other text
            row("O3", 事项类型="其他", 一件事主题="无"),  # "无": no bundle
        ],
    )
    run = load([*reference_files, f])
    assert run.exit_code == 0 and sum(r.rejected for r in run.reports) == 0
    assert run.reports[-1].unmapped == []
    got = _store_rows(
        "select case_id, item_type, item_type_raw, case_type, window_name, window_type,"
        " onsite_completed, cross_province, bundle_theme, paused_days, village"
        " from cases order by case_id"
    )
    assert got == [
        ("O1", "行政许可", None, "承诺件", "综合窗口3号", "综合窗口", True, False,
         "新生儿出生一件事", 2, "李家村"),
        ("O2", "其他", "行政备案", None, None, None, False, True, "", None, None),
        ("O3", "其他", None, None, None, None, None, None, "", None, None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("办件类型", "急件", "invalid_value"),
        ("窗口类型", "便民窗口", "invalid_value"),
        ("是否现场办结", "可能", "invalid_value"),
        ("是否跨省通办", "跨市", "invalid_value"),
        ("特别程序天数", "三", "bad_number"),
        ("特别程序天数", "2.5", "bad_number"),
        ("特别程序天数", "-2", "negative_paused_days"),
    ],
)
def test_optional_values_are_validated(pulse_env, reference_files, tmp_path, column, value, reason):
    f = write_csv(tmp_path / "c.csv", HEADER, [row("OK"), row("BAD", **{column: value})])
    report = next(r for r in load([*reference_files, f]).reports if r.source == "cases")
    assert (report.inserted, report.reasons) == (1, {reason: 1})
    assert report.rows_read == report.inserted + report.updated + report.duplicate + 1
    ((detail, raw),) = _store_rows("select detail, raw from rejects")
    assert column in detail
    assert json.loads(raw)[column] == value  # the raw row keeps every column the file has


def test_a_file_without_them_loads_as_before(pulse_env, reference_files, tmp_path):
    """Records, hashes, deadlines and rejects of a file without §3a columns are what they
    were before the columns were declared: such a file loaded again after the upgrade is
    all duplicates."""
    f = write_csv(tmp_path / "c.csv", CASE_HEADER, [case_row("P1"), case_row("P2", 承诺时限="五")])
    load([*reference_files, f])
    base = [c for c in _store_columns(cases_source.SOURCE) if not c.supplementary]
    before_upgrade = _content_hash([c.name for c in base])  # the hash as it was computed
    assert _store_rows(f"select row_hash = {before_upgrade} from cases") == [(True,)]
    optional = ", ".join(c.name for c in _store_columns(cases_source.SOURCE) if c.supplementary)
    assert _store_rows(f"select {optional} from cases") == [(None,) * 10]
    assert _store_rows("select deadline_at::varchar from cases") == [("2026-11-09 23:59:59",)]
    (raw,) = _store_rows("select raw from rejects")[0]
    assert not set(json.loads(raw)) & set(OPTIONAL)
    again = next(r for r in load([f]).reports if r.source == "cases")
    assert (again.inserted, again.updated, again.duplicate) == (0, 0, 1)
    assert _counts(CITY) == {"cases": 1, **dict.fromkeys(NEW_COUNTS, 0)} | {
        "commitment_completed": 1,
        "early_completed": 1,
    }


def test_counts_of_the_new_indicators_hand_computed(pulse_env, reference_files, tmp_path):
    # 城关街道 from an export with the §3a columns; default row: 窗口办理, accepted Mon
    # 2026-11-02, 5 working days → deadline Mon 11-09, completed Wed 11-04
    with_columns = write_csv(
        tmp_path / "new.csv",
        HEADER,
        [
            # early, onsite 是, 综合窗口, not cross-province, a bundle
            row("A1", 是否现场办结="是", 窗口类型="综合窗口", 是否跨省通办="否",
                一件事主题="退休一件事"),
            # completed on the deadline's date: not early; onsite 否, 部门窗口, cross-province
            row("A2", 办结时间="2026-11-09 10:00", 是否现场办结="否", 窗口类型="部门窗口",
                是否跨省通办="是"),
            # 帮办代办 at a village point, 即办件 (办件类型 says so), onsite unknown
            row("A3", 申报方式="帮办代办", 承诺时限="0", 办件类型="即办件",
                办结时间="2026-11-02 11:00", 窗口类型="村级代办点", **{"村(社区)": "李家村"}),
            # online and open: no onsite or window figure; cross-province known 否
            row("A4", 申报方式="网上办理", 办结时间="", 办件状态="在办", 是否跨省通办="否"),
            # early, onsite 是, window type unknown
            row("A5", 是否现场办结="是"),
            # 办件类型 承诺件 although promised_days is 0: counted as 承诺件, not early
            row("A6", 承诺时限="0", 办件类型="承诺件", 办结时间="2026-11-02 16:00"),
        ],
    )  # fmt: skip
    # 青石镇 from an export without them: only what the required columns give
    without = write_csv(
        tmp_path / "old.csv",
        CASE_HEADER,
        [
            case_row("Q1", **{"乡镇(街道)": "青石镇"}),
            case_row("Q2", **{"乡镇(街道)": "青石镇"}, 申报方式="帮办代办"),
        ],
    )
    run = load([*reference_files, with_columns, without])
    assert run.exit_code == 0 and sum(r.rejected for r in run.reports) == 0
    assert _counts(CITY) == {
        "cases": 6,
        "commitment_completed": 4,  # A1, A2, A5 (5 days) and A6 (办件类型 承诺件)
        "early_completed": 2,  # A1, A5 (11-04 < 11-09); A2 on 11-09; A6 on its deadline date
        "onsite_known": 3,  # completed 窗口办理/帮办代办 with 是否现场办结: A1, A2, A5
        "onsite_cases": 2,  # A1, A5
        "window_type_known": 2,  # 窗口办理 with 窗口类型: A1, A2 (A3 is 帮办代办)
        "one_window_cases": 1,  # A1
        "cross_province_known": 3,  # A1, A2, A4
        "cross_province_cases": 1,  # A2
        "bundle_known": 6,  # the file has 一件事主题: every case is known
        "bundle_cases": 1,  # A1
        "assisted_cases": 1,  # A3
    }
    # 青石镇: no file of the town carries them → every known count is 0 (无数据, not 0)
    assert _counts(QINGSHI) == {
        "cases": 2,
        "commitment_completed": 2,
        "early_completed": 2,
        "onsite_known": 0,
        "onsite_cases": 0,
        "window_type_known": 0,
        "one_window_cases": 0,
        "cross_province_known": 0,
        "cross_province_cases": 0,
        "bundle_known": 0,
        "bundle_cases": 0,
        "assisted_cases": 1,
    }
    # the per-case flags behind them (what a drill-down filters)
    flag_names = [f"is_{n}" for n in ("onsite_known", "onsite", "window_type_known",
                  "one_window", "cross_province_known", "cross_province", "bundle_known",
                  "bundle", "assisted", "commitment_completed", "early_completed")]  # fmt: skip
    flags = {
        r[0]: r[1:]
        for r in _store_rows(
            f"select case_id, {', '.join(flag_names)}"
            " from case_flags(timestamp '2026-11-20', [], 1) order by case_id"
        )
    }
    assert all(v is not None for values in flags.values() for v in values)  # never NULL
    assert [k for k, v in flags.items() if v[flag_names.index("is_onsite")]] == ["A1", "A5"]
    assert [k for k, v in flags.items() if v[flag_names.index("is_early_completed")]] == [
        "A1",
        "A5",
        "Q1",
        "Q2",
    ]


def test_some_columns_only_and_a_newer_version_without_them(pulse_env, reference_files, tmp_path):
    """A file may carry a few of the §3a columns; the others stay empty. A newer version of
    a case from a file without them replaces the record whole, as any update does."""
    some = write_csv(
        tmp_path / "some.csv",
        [*CASE_HEADER, "窗口类型", "特别程序天数"],
        [[*case_row("S1", 办结时间="", 办件状态="在办"), "综合窗口", "3"]],
    )
    assert load([*reference_files, some]).exit_code == 0
    assert _store_rows(
        "select window_type, paused_days, onsite_completed, bundle_theme, deadline_at::varchar"
        " from cases"
    ) == [("综合窗口", 3, None, None, "2026-11-12 23:59:59")]  # Mon 11-02 + 5 + 3 working days
    later = write_csv(tmp_path / "later.csv", CASE_HEADER, [case_row("S1")])
    report = load([later]).reports[0]
    assert (report.updated, report.duplicate) == (1, 0)
    assert _store_rows("select window_type, paused_days, deadline_at::varchar from cases") == [
        (None, None, "2026-11-09 23:59:59")
    ]


def test_a_store_from_before_gains_the_columns(pulse_env, reference_files, tmp_path, monkeypatch):
    """A store written before §3a and the column maps (no such columns in cases or loads)
    gains them at the next load; its cases keep their deadlines and read as without data."""
    old = write_csv(tmp_path / "old.csv", CASE_HEADER, [case_row("B1")])
    # the older store is a single file (a Parquet store is converted by the next load)
    fmt = os.environ.get("PULSE_STORE_FORMAT")
    monkeypatch.setenv("PULSE_STORE_FORMAT", "duckdb")
    assert load([*reference_files, old]).exit_code == 0
    monkeypatch.setenv("PULSE_STORE_FORMAT", fmt or "duckdb")
    con = duckdb.connect(str(publish.current_file(settings.store_path())))
    for column in [c.name for c in _store_columns(cases_source.SOURCE) if c.supplementary]:
        con.execute(f"alter table cases drop column {column}")
    con.execute("alter table loads drop column unmapped")
    con.execute("alter table loads drop column column_map")
    con.close()
    new = write_csv(tmp_path / "new.csv", HEADER, [row("B2", 特别程序天数="1", 是否跨省通办="是")])
    run = load([new])
    assert (run.exit_code, run.reports[0].inserted) == (0, 1)
    assert _store_rows(
        "select case_id, paused_days, cross_province, deadline_at::varchar from cases order by 1"
    ) == [("B1", None, None, "2026-11-09 23:59:59"), ("B2", 1, True, "2026-11-10 23:59:59")]
    assert _counts(CITY)["cross_province_known"] == 1

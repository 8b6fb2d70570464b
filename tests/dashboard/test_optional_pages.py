"""The figures from optional case columns on the pages, the PDF and the wall (issue 19): shown
where the county has the data, 无数据 where a town lacks it, nothing where the county lacks
it — drawn from CSV files loaded through the real ETL (tests/domain/test_optional_figures)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.domain import coverage, windows
from dashboard.domain.metrics import metrics
from dashboard.domain.params import Params
from dashboard.snapshot import content
from dashboard.store import Store
from etl.load import load
from tests.conftest import CASE_HEADER, case_row, write_csv
from tests.dashboard.test_page_queries import page
from tests.domain.test_optional_figures import (
    AS_OF,
    CITY,
    NOV,
    QINGSHI,
    STAMP,
    load_county,
    load_windows_county,
)


@pytest.fixture
def county(pulse_env, reference_files, tmp_path):
    return load_county(reference_files, tmp_path)


@pytest.fixture
def windows_county(pulse_env, reference_files, tmp_path):
    return load_windows_county(reference_files, tmp_path)


def texts(component) -> list[str]:
    """Every string in a Dash component tree."""
    if component is None:
        return []
    if isinstance(component, str | int | float):
        return [str(component)]
    if isinstance(component, list | tuple):
        return [t for c in component for t in texts(c)]
    children = getattr(component, "children", None)
    return texts(children)


def report_pages(store: Store) -> dict[str, list[str]]:
    report = content.gather(store, content.Request(*NOV), as_of=AS_OF)
    builder = page("report")._Builder(report)
    out = {}
    for section in builder.pages():
        words = texts(section)
        out[words[0]] = words
    return out


def test_the_pdf_has_a_page_of_them_with_no_data_per_town(county):
    pages = report_pages(county)
    words = pages["服务方式指标"]
    assert "现场办结率" in words and "帮办代办件数" in words
    # per town: 城关街道 66.7%, 青石镇 无数据 (its export lacks the column), never 0
    city = words.index("城关街道", words.index("各乡镇"))
    assert words[city + 1] == "66.7%"  # 现场办结率
    qingshi = words.index("青石镇", words.index("各乡镇"))
    assert words[qingshi + 1 : qingshi + 7] == [
        "无数据",
        "100.0%",
        "无数据",
        "无数据",
        "无数据",
        "1",
    ]


def test_a_county_without_the_columns_gets_no_such_page(pulse_env, reference_files, tmp_path):
    f = write_csv(
        tmp_path / "old.csv", CASE_HEADER, [case_row("Q1", 申报方式="网上办理")], title=STAMP
    )
    assert load([*reference_files, f]).exit_code == 0
    store = Store()
    assert coverage.available(store) == ("early_rate",)
    pages = report_pages(store)
    assert "服务方式指标" in pages  # 承诺件提前办结率 needs only the required 承诺时限
    words = pages["服务方式指标"]
    assert "现场办结率" not in words and "一窗通办率" not in words and "跨省通办件数" not in words


def test_the_town_pages_department_table_shows_what_the_county_has(county):
    town = page("town")
    frame = metrics(county, *NOV, AS_OF, by="dept", flags=False)
    shown = coverage.with_available(county, town.DEPT_COLUMNS)
    columns, rows = town.department_table(frame.filter(frame["town_code"] == QINGSHI), shown)
    headers = [c.get("headerName") for c in columns]
    assert headers[-6:] == [
        "现场办结率",
        "承诺件提前办结率",
        "一窗通办率",
        "跨省通办件数",
        "一件事办件数",
        "帮办代办件数",
    ]
    social = next(r for r in rows if r["dept_name"] == "社保")
    assert (
        social["onsite_rate__text"] == "无数据" and social["cross_province_cases__text"] == "无数据"
    )
    assert social["assisted_cases__text"] == "1"


def test_the_town_pages_windows_say_which_cases_have_none(windows_county):
    town = page("town")
    frame = windows.figures(windows_county, Params(*NOV, AS_OF), town=CITY)
    note, _columns, rows = town.window_table(frame)
    assert "1 件办件未记录受理窗口" in note
    assert [(r["dept_name"], r["window_name"], r["cases"]) for r in rows] == [
        ("民政", "民政窗口", 3),
        ("民政", "综合窗口1号", 1),
        ("社保", "社保窗口", 2),
        ("社保", "综合窗口1号", 1),
        ("社保", "(未记录窗口)", 1),
    ]
    assert rows[-1]["row_id"] == '["社保", "-"]'  # drills to 明细 of the cases without one


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("", ()),  # default: no extra tile
        ('extra_figures = ["one_window_rate", "onsite_rate"]', ("one_window_rate", "onsite_rate")),
        ('extra_figures = ["onsite_rate", "no_such_figure"]', ("onsite_rate",)),
    ],
)
def test_the_wall_shows_the_extra_tiles_its_setting_names(
    county, tmp_path, monkeypatch, setting, expected
):
    from dashboard.wall import data

    # a file of its own: settings are cached per file path
    config = tmp_path / "wall.toml"
    config.write_text(f"[wall]\n{setting}\n", encoding="utf-8")
    monkeypatch.setenv("PULSE_CONFIG", str(config))
    assert data.extra_kpis(county) == expected


def test_the_wall_leaves_out_a_figure_the_county_has_no_data_for(
    pulse_env, reference_files, tmp_path
):
    from dashboard.wall import data

    (tmp_path / "pulse.toml").write_text(
        '[wall]\nextra_figures = ["onsite_rate", "early_rate"]\n', encoding="utf-8"
    )
    f = write_csv(tmp_path / "old.csv", CASE_HEADER, [case_row("Q1")], title=STAMP)
    assert load([*reference_files, f]).exit_code == 0
    assert data.extra_kpis(Store()) == ("early_rate",)


def test_the_months_window_ranking_on_a_week(windows_county):
    week = content.Request(date(2026, 11, 16), date(2026, 11, 22)).period
    assert windows.month_of(week, AS_OF).label == "2026年10月"

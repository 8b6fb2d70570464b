"""Working-day calendar: hand-computed deadlines, reference-file rules, fallbacks."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import polars as pl
import pytest

from etl import calendar as cal
from etl.calendar import HolidayFileError, WorkCalendar

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "reference" / "holidays.csv"

# 2027 statutory days off (全国年节及纪念日放假办法, 2024 revision). The lunar dates were
# computed with lunardate 0.2 and lunarcalendar 0.0.9 (both agree): 正月初一 = 2027-02-06,
# and the twelfth month of 2026 has 29 days, so 除夕 = 腊月廿九 = 2027-02-05;
# 端午 (五月初五) = 2027-06-09; 中秋 (八月十五) = 2027-09-15. 清明 is a solar term: 2027-04-05.
DAYS_OFF_2027 = {
    date(2027, 1, 1): "元旦",
    date(2027, 2, 5): "春节",
    date(2027, 2, 6): "春节",
    date(2027, 2, 7): "春节",
    date(2027, 2, 8): "春节",
    date(2027, 4, 5): "清明节",
    date(2027, 5, 1): "劳动节",
    date(2027, 5, 2): "劳动节",
    date(2027, 6, 9): "端午节",
    date(2027, 9, 15): "中秋节",
    date(2027, 10, 1): "国庆节",
    date(2027, 10, 2): "国庆节",
    date(2027, 10, 3): "国庆节",
}


def write(tmp_path: Path, text: str, name: str = "holidays.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def plain() -> WorkCalendar:
    """The package alone, no reference file."""
    return WorkCalendar()


# --- the package years ------------------------------------------------------------------


def test_package_years_agree_with_chinese_calendar(plain):
    d = date(2004, 1, 1)
    while d <= date(2026, 12, 31):
        assert plain.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)
    assert plain.year_source(2004) == plain.year_source(2026) == "chinese-calendar"


def test_national_day_2026(plain):
    for day in range(1, 8):
        assert not plain.is_workday(date(2026, 10, day))
    assert plain.is_workday(date(2026, 9, 20))  # Sunday, adjusted working day
    assert plain.is_workday(date(2026, 10, 10))  # Saturday, adjusted working day
    assert plain.is_workday(date(2026, 10, 8))
    assert not plain.is_workday(date(2026, 10, 11))  # an ordinary Sunday


@pytest.mark.parametrize(
    ("accepted", "days", "expected"),
    [
        # across National Day: Oct 1–7 off, Oct 8 Thu, Oct 9 Fri, Oct 10 Sat (调休), Oct 12 Mon
        (datetime(2026, 9, 30, 16, 20), 1, datetime(2026, 10, 8, 23, 59, 59)),
        (datetime(2026, 9, 30, 16, 20), 2, datetime(2026, 10, 9, 23, 59, 59)),
        (datetime(2026, 9, 30, 16, 20), 3, datetime(2026, 10, 10, 23, 59, 59)),
        (datetime(2026, 9, 30, 16, 20), 4, datetime(2026, 10, 12, 23, 59, 59)),
        (datetime(2026, 10, 3, 10, 0), 1, datetime(2026, 10, 8, 23, 59, 59)),
        # accepted on Saturday 09-19: Sunday 09-20 is an adjusted working day
        (datetime(2026, 9, 19, 9, 0), 1, datetime(2026, 9, 20, 23, 59, 59)),
        (datetime(2026, 9, 18, 17, 0), 1, datetime(2026, 9, 20, 23, 59, 59)),
        # 09-20(1) 21(2) 22(3) 23(4) 24(5); 中秋 09-25..27 off; 09-28(6)
        (datetime(2026, 9, 19, 9, 0), 5, datetime(2026, 9, 24, 23, 59, 59)),
        (datetime(2026, 9, 19, 9, 0), 6, datetime(2026, 9, 28, 23, 59, 59)),
        # 即办件: the end of the acceptance date, even on a weekend or holiday
        (datetime(2026, 9, 19, 9, 0), 0, datetime(2026, 9, 19, 23, 59, 59)),
        (datetime(2026, 10, 4, 11, 0), 0, datetime(2026, 10, 4, 23, 59, 59)),
        (datetime(2026, 9, 30, 23, 59, 59), 0, datetime(2026, 9, 30, 23, 59, 59)),
        # a date without time is accepted too
        (date(2026, 9, 30), 1, datetime(2026, 10, 8, 23, 59, 59)),
    ],
)
def test_deadline(plain, accepted, days, expected):
    assert plain.deadline(accepted, days) == expected


def test_add_workdays_and_next_workday(plain):
    assert plain.add_workdays(date(2026, 10, 1), 0) == date(2026, 10, 1)
    assert plain.next_workday_after(date(2026, 9, 30)) == date(2026, 10, 8)
    assert plain.next_workday_after(date(2026, 10, 9)) == date(2026, 10, 10)
    assert plain.next_workday_after(datetime(2026, 9, 19, 8)) == date(2026, 9, 20)
    with pytest.raises(ValueError):
        plain.add_workdays(date(2026, 10, 1), -1)
    with pytest.raises(ValueError):
        plain.deadline(datetime(2026, 10, 1), -2)


# --- frame --------------------------------------------------------------------------------


def test_frame_columns_and_sequence(plain):
    f = plain.frame(date(2026, 9, 30), date(2026, 10, 12))
    assert f.schema == pl.Schema(
        {"day": pl.Date, "is_workday": pl.Boolean, "workday_seq": pl.Int32, "source": pl.String}
    )
    assert f["day"].to_list()[0] == date(2026, 9, 30)
    assert f.height == 13
    # 09-30 (1), Oct 1–7 off, 10-08 (2), 10-09 (3), 10-10 Sat (4), 10-11 Sun off, 10-12 (5)
    assert f["workday_seq"].to_list() == [1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 5]
    assert set(f["source"]) == {"chinese-calendar"}
    assert plain.frame(date(2026, 1, 2), date(2026, 1, 1)).height == 0


def test_frame_sources_and_span():
    calendar = WorkCalendar.load(SHIPPED)
    f = calendar.frame(date(2015, 1, 1), date(2029, 12, 31))  # 15 years
    assert f.height == 5479
    by_year = dict(
        f.group_by(pl.col("day").dt.year().alias("y")).agg(pl.col("source").first()).iter_rows()
    )
    assert by_year[2026] == "chinese-calendar"
    assert by_year[2027] == "provisional"
    assert by_year[2028] == by_year[2029] == "weekday-fallback"
    assert f["workday_seq"].to_list()[-1] == f["is_workday"].sum()


def test_frame_gives_the_same_deadlines_as_add_workdays():
    """The bulk rule documented in the module: the n-th working day after d is the working
    day whose workday_seq is d's + n."""
    calendar = WorkCalendar.load(SHIPPED)
    f = calendar.frame(date(2026, 1, 1), date(2027, 12, 31))
    seq = dict(zip(f["day"], f["workday_seq"], strict=True))
    by_seq = {s: d for d, s, w in f.select("day", "workday_seq", "is_workday").iter_rows() if w}
    rng = random.Random(42)
    for _ in range(500):
        d = date(2026, 1, 1) + timedelta(days=rng.randrange(600))
        n = rng.randrange(1, 31)
        assert by_seq[seq[d] + n] == calendar.add_workdays(d, n), (d, n)


# --- reference file -------------------------------------------------------------------------


def test_reference_overrides_a_known_year_entirely(tmp_path):
    path = write(
        tmp_path,
        "日期,类型,名称,状态\n2026-10-08,休,国庆节,正式\n2026-10-11,班,国庆节,正式\n",
    )
    calendar = WorkCalendar.load(path)
    assert calendar.year_source(2026) == "reference"
    assert calendar.year_source(2025) == "chinese-calendar"
    # only the listed days differ from Monday–Friday in that year
    assert calendar.is_workday(date(2026, 10, 1))  # Thursday, not listed
    assert not calendar.is_workday(date(2026, 10, 8))
    assert calendar.is_workday(date(2026, 10, 11))  # Sunday listed as 班
    assert not calendar.is_workday(date(2026, 9, 20))  # the package's 调休 is gone
    assert calendar.deadline(datetime(2026, 10, 7, 9), 1) == datetime(2026, 10, 9, 23, 59, 59)
    assert calendar.deadline(datetime(2026, 10, 9, 9), 1) == datetime(2026, 10, 11, 23, 59, 59)
    assert calendar.warnings([2026]) == []


def test_fingerprint_follows_the_days(tmp_path, plain):
    one = write(tmp_path, "日期,类型,名称,状态\n2028-01-03,休,元旦,正式\n", "one.csv")
    same = write(tmp_path, "日期,类型,名称,状态\n2028/1/3,休,新年,正式\n", "same.csv")
    other = write(tmp_path, "日期,类型,名称,状态\n2028-01-04,休,元旦,正式\n", "other.csv")
    prints = [WorkCalendar.load(p).fingerprint for p in (one, same, other)]
    assert prints[0] == prints[1] != prints[2]
    assert plain.fingerprint == WorkCalendar().fingerprint != prints[0]


def test_provisional_reference_does_not_override_the_package(tmp_path):
    path = write(tmp_path, "日期,类型,名称,状态\n2026-10-08,休,国庆节,暂定\n")
    calendar = WorkCalendar.load(path)
    assert calendar.year_source(2026) == "chinese-calendar"
    assert calendar.is_workday(date(2026, 10, 8))


def test_reference_adds_an_unknown_year(tmp_path):
    path = write(
        tmp_path,
        "\ufeff日期,类型,名称,状态\n"
        "2028-01-01,休,元旦,正式\n"
        "\n"
        "2028/1/29,班,春节,正式\n"  # Saturday, as Excel writes dates
        "2028-05-01,休,劳动节,暂定\n",
    )
    calendar = WorkCalendar.load(path)
    assert calendar.year_source(2028) == "provisional"  # one 暂定 line makes the year provisional
    assert not calendar.is_workday(date(2028, 1, 1))
    assert calendar.is_workday(date(2028, 1, 29))
    assert not calendar.is_workday(date(2028, 5, 1))
    assert calendar.is_workday(date(2028, 5, 2))
    [warning] = calendar.warnings([2028])
    assert warning.startswith("2028年节假日安排为暂定")


def test_gbk_reference_file_is_read(tmp_path):
    path = write(tmp_path, "日期,类型,名称,状态\r\n2028-01-03,休,元旦,正式\r\n", encoding="gbk")
    calendar = WorkCalendar.load(path)
    assert calendar.year_source(2028) == "reference"
    assert not calendar.is_workday(date(2028, 1, 3))


def test_fallback_years_are_reported(plain):
    assert plain.year_source(2003) == "weekday-fallback"
    assert plain.year_source(2030) == "weekday-fallback"
    assert plain.is_workday(date(2030, 10, 1))  # a Tuesday: nothing known about 2030
    assert not plain.is_workday(date(2030, 10, 5))
    assert plain.warnings([2030, 2026, 2030, 2003]) == [
        "2003年节假日安排未知，按周一至周五计算工作日",
        "2030年节假日安排未知，按周一至周五计算工作日",
    ]
    assert plain.warnings([2024, 2025, 2026]) == []


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("日期,类型,名称,状态\n2027-02-30,休,春节,暂定\n", 2, "2027-02-30"),
        ("日期,类型,名称,状态\n2027-01-01,休,元旦,暂定\n20270204,休,春节,暂定\n", 3, "20270204"),
        ("日期,类型,名称,状态\n2027-01-01,假,元旦,暂定\n", 2, "类型“假”"),
        ("日期,类型,名称,状态\n2027-01-01,休,元旦,草案\n", 2, "状态“草案”"),
        ("日期,类型,名称,状态\n2027-01-01,休,,暂定\n", 2, "名称为空"),
        ("日期,类型,名称,状态\n2027-01-01,休,元旦\n", 2, "实有3列"),
        ("日期,类型,名称,状态\n2027-01-01,休,元旦,暂定,备注\n", 2, "实有5列"),
        ("日期,类型,名称,状态\n2027-01-04,班,元旦,暂定\n", 2, "星期一"),
        ("日期,类型,名称,状态\n2027-01-01,休,元旦,暂定\n2027-01-01,休,元旦,正式\n", 3, "第2行已有"),
        ("date,type,name,status\n2027-01-01,休,元旦,暂定\n", 1, "表头"),
    ],
)
def test_malformed_reference_line_names_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(HolidayFileError) as err:
        WorkCalendar.load(path)
    message = str(err.value)
    assert str(path) in message
    assert f"第{line}行" in message
    assert words in message


def test_empty_or_missing_reference_file(tmp_path):
    with pytest.raises(HolidayFileError, match="文件为空"):
        WorkCalendar.load(write(tmp_path, "\n"))
    with pytest.raises(HolidayFileError, match="不存在"):
        WorkCalendar.load(tmp_path / "nope.csv")


def test_configured_reference_path(tmp_path, monkeypatch):
    path = write(tmp_path, "日期,类型,名称,状态\n2029-01-01,休,元旦,正式\n")
    monkeypatch.setenv("PULSE_HOLIDAYS", str(path))
    calendar = WorkCalendar.load()
    assert calendar.reference == path
    assert calendar.year_source(2029) == "reference"
    monkeypatch.setenv("PULSE_HOLIDAYS", str(tmp_path / "missing.csv"))
    with pytest.raises(HolidayFileError, match=r"missing\.csv"):
        WorkCalendar.load()


# --- the shipped 2027 file ---------------------------------------------------------------


def test_shipped_2027_is_provisional_statutory_days_only():
    entries = cal.read_reference(SHIPPED)
    assert {e.day: e.name for e in entries} == DAYS_OFF_2027
    assert {(e.kind, e.status) for e in entries} == {("休", "暂定")}
    calendar = WorkCalendar.load(SHIPPED)
    assert calendar.year_source(2027) == "provisional"
    assert not calendar.is_workday(date(2027, 2, 8))  # 正月初三, a Monday
    assert calendar.is_workday(date(2027, 2, 9))
    assert calendar.deadline(datetime(2027, 9, 30, 10), 1) == datetime(2027, 10, 4, 23, 59, 59)
    [warning] = calendar.warnings([2026, 2027])
    assert "2027年" in warning and "暂定" in warning


def test_shipped_2027_is_the_default(monkeypatch):
    monkeypatch.delenv("PULSE_HOLIDAYS", raising=False)
    monkeypatch.setenv("PULSE_CONFIG", "/nonexistent/pulse.toml")
    assert WorkCalendar.load().year_source(2027) == "provisional"


def test_2027_qingming_is_the_solar_term():
    terms = chinese_calendar.get_solar_terms(date(2027, 4, 1), date(2027, 4, 10))
    assert terms == [(date(2027, 4, 5), "清明")]


def test_2027_lunar_dates_match_a_lunar_library():
    """Run with `uv run --with lunardate pytest tests/etl/test_calendar.py` to recheck."""
    lunardate = pytest.importorskip("lunardate")
    lunar = lunardate.LunarDate
    new_year = lunar(2027, 1, 1).to_solar_date()
    assert new_year == date(2027, 2, 6)
    eve = new_year - timedelta(days=1)  # 除夕: the last day of the twelfth month
    assert lunar.from_solar_date(eve.year, eve.month, eve.day).month == 12
    spring = {eve, new_year, new_year + timedelta(days=1), new_year + timedelta(days=2)}
    assert spring == {d for d, name in DAYS_OFF_2027.items() if name == "春节"}
    assert lunar(2027, 5, 5).to_solar_date() == date(2027, 6, 9)
    assert lunar(2027, 8, 15).to_solar_date() == date(2027, 9, 15)

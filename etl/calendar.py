"""Working days: PRC statutory holidays and adjusted working weekends (调休).

Where a year's days come from, in order:

1. the reference file (`data/reference/holidays.csv`, setting `paths.holidays`) when it
   lists the year with status 正式 — it overrides everything else for that year;
2. the `chinese-calendar` package, for the years it knows (2004–2026 in v1.11);
3. the reference file when it lists the year only as 暂定 (provisional): provisional days
   never override the package, so a newer package release supersedes them by itself;
4. Monday to Friday, reported by `warnings()`.

In a year taken from the reference file a day is off when listed as 休, a working day when
listed as 班, and otherwise follows Monday–Friday.

Deadlines follow the data contract §7: the n-th working day strictly after the acceptance
date, ending 23:59:59; 0 days (即办件) ends with the acceptance date itself. For bulk work
use `frame()`: the n-th working day after day d is the working day whose `workday_seq`
equals d's `workday_seq` + n (whether or not d itself is a working day).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import polars as pl

from etl import settings

PACKAGE = "chinese-calendar"
REFERENCE = "reference"
PROVISIONAL = "provisional"
FALLBACK = "weekday-fallback"

HEADER = ("日期", "类型", "名称", "状态")
DAY_OFF, WORKING_DAY = "休", "班"
OFFICIAL, PROVISIONAL_STATUS = "正式", "暂定"
END_OF_DAY = time(23, 59, 59)

_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_WEEKDAYS = "一二三四五六日"

# The package's own tables (exported by it): day -> holiday name.
_PACKAGE_OFF: frozenset[date] = frozenset(chinese_calendar.holidays)
_PACKAGE_ON: frozenset[date] = frozenset(chinese_calendar.workdays)
PACKAGE_YEARS = range(min(d.year for d in _PACKAGE_OFF), max(d.year for d in _PACKAGE_OFF) + 1)


class HolidayFileError(ValueError):
    """The holiday reference file cannot be used; the message names file and line."""


@dataclass(frozen=True)
class HolidayEntry:
    day: date
    kind: str  # 休 | 班
    name: str
    status: str  # 正式 | 暂定
    line: int  # line in the file (1 = header)


def read_reference(path: Path) -> list[HolidayEntry]:
    """Every line of a holiday reference file, checked. Any bad line raises HolidayFileError.

    Entirely blank lines carry nothing and are skipped; everything else must be valid.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV as GBK; accept it rather than fail.
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise HolidayFileError(f"{path}: 文件编码无法识别（应为UTF-8）: {exc}") from None

    def fail(line: int, message: str) -> HolidayFileError:
        return HolidayFileError(f"{path} 第{line}行: {message}")

    reader = csv.reader(io.StringIO(text, newline=""))
    header_seen = False
    entries: list[HolidayEntry] = []
    first_line: dict[date, int] = {}
    for row in reader:
        line = reader.line_num
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if not header_seen:
            if tuple(cells) != HEADER:
                raise fail(line, f"表头应为“{','.join(HEADER)}”，实为“{','.join(cells)}”")
            header_seen = True
            continue
        if len(cells) != len(HEADER):
            raise fail(line, f"应有{len(HEADER)}列（{','.join(HEADER)}），实有{len(cells)}列")
        day_text, kind, name, status = cells
        m = _DATE.fullmatch(day_text)
        try:
            day = date(int(m[1]), int(m[2]), int(m[3])) if m else None
        except ValueError:
            day = None
        if day is None:
            raise fail(line, f"日期“{day_text}”无效，应为YYYY-MM-DD，例如2027-10-01")
        if kind not in (DAY_OFF, WORKING_DAY):
            raise fail(
                line, f"类型“{kind}”无效，应为“{DAY_OFF}”（放假）或“{WORKING_DAY}”（调休上班）"
            )
        if not name:
            raise fail(line, "名称为空，应为节日名称，例如春节")
        if status not in (OFFICIAL, PROVISIONAL_STATUS):
            raise fail(line, f"状态“{status}”无效，应为“{OFFICIAL}”或“{PROVISIONAL_STATUS}”")
        if kind == WORKING_DAY and day.weekday() < 5:
            raise fail(
                line,
                f"{day}是星期{_WEEKDAYS[day.weekday()]}，本来就是工作日；调休上班日应为周六或周日",
            )
        if day in first_line:
            raise fail(line, f"日期{day}重复（第{first_line[day]}行已有）")
        first_line[day] = line
        entries.append(HolidayEntry(day, kind, name, status, line))
    if not header_seen:
        raise HolidayFileError(f"{path}: 文件为空，应有表头“{','.join(HEADER)}”")
    return entries


class WorkCalendar:
    """Which days are working days, and where each year's answer comes from."""

    def __init__(self, entries: Iterable[HolidayEntry] = (), reference: Path | None = None):
        self.reference = reference
        by_year: dict[int, list[HolidayEntry]] = {}
        for e in entries:
            by_year.setdefault(e.day.year, []).append(e)
        self._sources: dict[int, str] = {}
        self._off: dict[int, frozenset[date]] = {}
        self._on: dict[int, frozenset[date]] = {}
        for year, year_entries in by_year.items():
            provisional = any(e.status == PROVISIONAL_STATUS for e in year_entries)
            if provisional and year in PACKAGE_YEARS:
                continue  # the package's official days win over provisional ones
            self._sources[year] = PROVISIONAL if provisional else REFERENCE
            self._off[year] = frozenset(e.day for e in year_entries if e.kind == DAY_OFF)
            self._on[year] = frozenset(e.day for e in year_entries if e.kind == WORKING_DAY)

    @classmethod
    def load(cls, reference: Path | None = None) -> WorkCalendar:
        """The calendar with a reference file (default: setting `paths.holidays`).

        A configured or given file must exist; the shipped default may be absent (an
        installed package without `data/`): then years outside the package fall back to
        Monday–Friday and `warnings()` says so.
        """
        if reference is None:
            path = settings.holidays_path()
            if not settings.get("paths.holidays") and not path.exists():
                return cls()
        else:
            path = Path(reference)
        if not path.exists():
            raise HolidayFileError(f"{path}: 节假日参考文件不存在")
        return cls(read_reference(path), reference=path)

    @property
    def fingerprint(self) -> str:
        """Changes whenever any day's answer may change (package data or reference file), so
        a store can tell that its calendar_days and deadlines must be rebuilt."""
        digest = hashlib.sha256()
        for d in sorted(_PACKAGE_OFF):
            digest.update(f"P-{d}".encode())
        for d in sorted(_PACKAGE_ON):
            digest.update(f"P+{d}".encode())
        for year in sorted(self._sources):
            digest.update(f"{year}:{self._sources[year]}".encode())
            digest.update(",".join(f"-{d}" for d in sorted(self._off[year])).encode())
            digest.update(",".join(f"+{d}" for d in sorted(self._on[year])).encode())
        return digest.hexdigest()[:16]

    def year_source(self, year: int) -> str:
        """'chinese-calendar' | 'reference' | 'provisional' | 'weekday-fallback'."""
        if year in self._sources:
            return self._sources[year]
        if year in PACKAGE_YEARS:
            return PACKAGE
        return FALLBACK

    def is_workday(self, d: date) -> bool:
        d = _as_date(d)
        source = self.year_source(d.year)
        if source == PACKAGE:
            return d in _PACKAGE_ON or (d.weekday() < 5 and d not in _PACKAGE_OFF)
        if source == FALLBACK:
            return d.weekday() < 5
        return d in self._on[d.year] or (d.weekday() < 5 and d not in self._off[d.year])

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day strictly after d; n == 0 gives d itself."""
        if n < 0:
            raise ValueError(f"working days must be >= 0, got {n}")
        d = _as_date(d)
        while n > 0:
            d += timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d

    def next_workday_after(self, d: date) -> date:
        return self.add_workdays(d, 1)

    def deadline(self, accepted: datetime | date, promised_days: int) -> datetime:
        """Contract §7: end (23:59:59) of the promised_days-th working day strictly after the
        acceptance date; 0 (即办件) means the end of the acceptance date itself."""
        return datetime.combine(self.add_workdays(_as_date(accepted), promised_days), END_OF_DAY)

    def frame(self, start: date, end: date) -> pl.DataFrame:
        """One row per day in [start, end]: day, is_workday, workday_seq (working days from
        start up to and including day), source — the store's calendar_days table."""
        start, end = _as_date(start), _as_date(end)
        count = max((end - start).days + 1, 0)
        days = [start + timedelta(days=i) for i in range(count)]
        flags = [self.is_workday(d) for d in days]
        sources = [self.year_source(d.year) for d in days]
        return pl.DataFrame(
            {
                "day": pl.Series(days, dtype=pl.Date),
                "is_workday": pl.Series(flags, dtype=pl.Boolean),
                "workday_seq": pl.Series(flags, dtype=pl.Boolean).cast(pl.Int32).cum_sum(),
                "source": pl.Series(sources, dtype=pl.String),
            }
        )

    def warnings(self, years: Iterable[int]) -> list[str]:
        """A Chinese sentence for each year whose working days are provisional or guessed."""
        out = []
        for year in sorted(set(years)):
            source = self.year_source(year)
            if source == PROVISIONAL:
                out.append(
                    f"{year}年节假日安排为暂定（国务院放假通知尚未发布，仅含法定节假日，"
                    f"未含调休上班日和补休），工作日计算可能与正式安排不同"
                )
            elif source == FALLBACK:
                out.append(f"{year}年节假日安排未知，按周一至周五计算工作日")
        return out


def _as_date(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d

"""What a snapshot contains: the request (period, town) as a URL query, and every figure of
the report gathered from the store — through metrics() and rows_behind() only, so the PDF
shows exactly what `pulse metrics`, `pulse cases` and the pages show.

The report page (dashboard/pages/report.py) lays this out; nothing here knows about HTML.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import polars as pl

from dashboard.domain import comparisons, coverage, indicators, periods, ranking
from dashboard.domain import counties as county_level
from dashboard.domain.indicators import OPTIONAL
from dashboard.domain.metrics import INDICATORS, Params, default_as_of, metrics
from dashboard.domain.trace import rows_behind
from dashboard.filters import Filters
from dashboard.store import COUNTY, Scope, Store
from etl import settings

log = logging.getLogger(__name__)

# The KPI cards of the summary page: the headline figures, as on the overview page.
KPIS = indicators.HEADLINE
# Columns of the ranking table: every indicator (as on the overview page).
GATHER_THREADS = 4  # DuckDB splits each query over the cores; a few at once keep them busy
RANKED = tuple(
    c for c in INDICATORS if c not in ("online_cases", "outside_system_depts", *OPTIONAL)
)
# 红黑榜 per indicator: the rates a town is judged on.
BOARD_INDICATORS = (
    "online_rate",
    "on_time_rate",
    "satisfaction_rate",
    "evaluation_rate",
    "rectify_rate",
    "hotline_satisfaction_rate",
    "hotline_on_time_rate",
)
HOTLINE = ("hotline_tickets", "hotline_satisfaction_rate", "hotline_on_time_rate")
HOTLINE_ALL = (*HOTLINE, "hotline_overdue_open")
EVALUATION = (
    "evaluations",
    "satisfaction_rate",
    "bad_reviews",
    "rectify_rate",
    "rectify_overdue",
    "evaluation_rate",
)


@dataclass(frozen=True)
class Request:
    """One report: a period (a Monday–Sunday week or any date range) and optionally a town."""

    start: date
    end: date
    town: str | None = None

    @classmethod
    def week(cls, text: str, town: str | None = None) -> Request:
        if not re.fullmatch(r"\d{4}-W\d{1,2}", text.strip(), flags=re.IGNORECASE):
            raise ValueError(f"week {text!r}: expected an ISO week such as 2026-W47")
        p = periods.iso_week(text.strip())
        return cls(p.start, p.end, town)

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Request:
        """From the report page's query (Filters' custom period: from, to; extra: town)."""
        f = Filters.from_query(urlencode({k: v for k, v in args.items() if isinstance(v, str)}))
        if f.period != "custom" or not (f.date_from and f.date_to):
            raise ValueError("报告需要 period=custom&from=YYYY-MM-DD&to=YYYY-MM-DD")
        return cls(min(f.date_from, f.date_to), max(f.date_from, f.date_to), f.extra.get("town"))

    @property
    def is_week(self) -> bool:
        return self.start.weekday() == 0 and (self.end - self.start).days == 6

    @property
    def iso_week(self) -> str | None:
        if not self.is_week:
            return None
        iso = self.start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    @property
    def is_month(self) -> bool:
        return (
            self.start.day == 1
            and (self.end + timedelta(days=1)).day == 1
            and (self.start.replace(day=28) <= self.end < self.start.replace(day=28) + timedelta(7))
        )

    @property
    def period(self) -> periods.Period:
        """A week compares with the week before, a calendar month with the month before,
        any other range with as many days just before it."""
        kind = "week" if self.is_week else "month" if self.is_month else "custom"
        return periods.Period(self.start, self.end, kind)

    def query(self) -> str:
        """The report page's query string, in the shell's normal form: the shell's filter
        callback then finds nothing to rewrite, so the page renders exactly once."""
        f = Filters(period="custom", date_from=self.start, date_to=self.end)
        return f.with_extra(town=self.town).to_query()


def default_week(as_of: datetime) -> Request:
    """The last complete Monday–Sunday week before the 数据截至 date (not today's date: a
    week is reported only once the loaded data covers all of it)."""
    p = periods.last_complete_week(as_of.date())
    return Request(p.start, p.end)


@dataclass
class CaseList:
    indicator: str
    total: int  # the figure: every row it counts
    rows: pl.DataFrame  # the first `list_rows` of them, in LIST_ORDER
    order: str = ""  # which come first, in words


# Which rows of a long list the report shows first.
LIST_ORDER: dict[str, tuple[list, str]] = {
    "overdue_open": ([pl.col("deadline_at"), pl.col("case_id")], "超期最久"),
    "warning_open": ([pl.col("deadline_at"), pl.col("case_id")], "最先到期"),
    "bad_reviews": (
        [pl.col("rectify_status").fill_null("") == "已整改", pl.col("rated_at"), pl.col("eval_id")],
        "未整改的优先、评价最早",
    ),
}


@dataclass
class Report:
    request: Request
    county: str
    as_of: datetime
    generated_at: datetime
    town_name: str | None
    period: periods.Period
    previous: periods.Period
    now: dict[str, Any]  # the report's subject (county or town) this period
    before: dict[str, Any]  # … and the previous comparable period
    county_now: dict[str, Any]
    towns: pl.DataFrame  # metrics by town, this period
    towns_before: pl.DataFrame
    rank_by: str
    weekly: pl.DataFrame
    monthly: pl.DataFrame
    overdue: CaseList
    warning: CaseList
    bad_reviews: CaseList
    hotline_topics: pl.DataFrame
    outside: list[Any] | None  # dashboard.domain.outside_system.Flag; None: detection unavailable
    outside_note: str = ""
    town_names: dict[str, str] = field(default_factory=dict)
    compared: str = (
        "较上期"  # how the change is named (domain/comparisons.py: 较上周, 较上月同期 …)
    )
    # 整改销号情况 (the ledger, dashboard/manage/ledger.py): per town, opened and closed in
    # the period, open at its end and of those past their deadline
    rectifications: list[dict] = field(default_factory=list)
    # issue 18: with several counties, the county report ranks the counties too (published
    # figures, as the towns'); None with one county or in a town's report
    counties: pl.DataFrame | None = None
    counties_before: pl.DataFrame | None = None
    # the figures from optional case columns (contract §3a) the county has data for
    extras: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return self.town_name or "全县"

    @property
    def title(self) -> str:
        kind = "周报" if self.request.is_week else "报告"
        return f"{self.county}{self.town_name or ''}政务服务效能{kind}"

    @property
    def complete(self) -> bool:
        """Whether the loaded data covers the whole period (数据截至 after its last day)."""
        return self.as_of.date() > self.period.end

    def meta(self) -> dict[str, Any]:
        """What the archive records about the rendered file (read back from the page)."""
        return {
            "county": self.county,
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "week": self.request.iso_week,
            "town_code": self.request.town,
            "town_name": self.town_name,
            "as_of": self.as_of.isoformat(sep=" "),
            "generated_at": self.generated_at.isoformat(sep=" ", timespec="seconds"),
            "title": self.title,
            "period_label": self.period.label,
            "complete": self.complete,
        }


def gather(store: Store, request: Request, as_of: datetime | None = None) -> Report:
    """Every figure of one report. Raises ValueError for an unknown town.

    The queries are independent of each other and DuckDB runs them without holding the GIL,
    so they are sent together from a small pool: the report is ready in the time of the
    slowest few, not of all of them in a row."""
    as_of = as_of or default_as_of(store)
    period = request.period
    # the comparable previous span (the one rule): a period still running at 数据截至 is
    # compared with the same elapsed span of the previous one
    spans = comparisons.spans(period, as_of)
    previous = spans.previous
    names = dict(store.sql("select town_code, town_name from towns", public=True).iter_rows())
    town = request.town
    if town is not None and town not in names:
        by_name = {v: k for k, v in names.items()}
        if town not in by_name:
            raise ValueError(f"未知乡镇 {town}")
        town = by_name[town]
        request = Request(request.start, request.end, town)
    scope = Scope((town,)) if town else COUNTY
    # trends end with the reported period (not with 数据截至): a report of an earlier week
    # shows the weeks up to it
    end = period.end
    week_start = periods.trend_window(end, "week")[0]
    month_start = periods.trend_window(end, "month")[0]
    limit = int(settings.get("snapshot.list_rows"))

    def figures(start: date, stop: date, **kw: Any):
        return lambda: metrics(store, start, stop, as_of, **kw)

    def rows(indicator: str):
        return lambda: rows_behind(
            store, indicator, period.start, period.end, town=town, as_of=as_of
        )

    jobs = {
        # the ranking and the county's figures are published figures (as in a 通报)
        "towns": figures(period.start, period.end, by="town", published=True),
        # 体外循环 of the previous period is shown for one town's report only
        "towns_before": figures(
            previous.start, previous.end, by="town", flags=bool(town), published=True
        ),
        "county_now": figures(period.start, period.end, by="county", published=True),
        "county_before": figures(
            previous.start, previous.end, by="county", flags=False, published=True
        ),
        "weekly": figures(week_start, end, by="county", scope=scope, bucket="week", flags=False),
        "monthly": figures(month_start, end, by="county", scope=scope, bucket="month", flags=False),
        "tickets": rows("hotline_tickets"),
        "outside": lambda: _outside(store, Params(period.start, period.end, as_of), scope),
        **{f"list:{k}": rows(k) for k in ("overdue_open", "warning_open", "bad_reviews")},
    }
    if not town and county_level.several(store):
        jobs["counties"] = lambda: county_level.metrics(store, period.start, period.end, as_of)
        jobs["counties_before"] = lambda: county_level.metrics(
            store, previous.start, previous.end, as_of
        )
    with ThreadPoolExecutor(max_workers=GATHER_THREADS) as pool:
        # each job runs in a copy of this context: the viewer (the Store's door) comes along
        futures = {name: pool.submit(copy_context().run, job) for name, job in jobs.items()}
        done = {name: future.result() for name, future in futures.items()}
    towns, towns_before = done["towns"], done["towns_before"]
    county_now = done["county_now"].row(0, named=True)
    if town:
        now = towns.filter(pl.col("town_code") == town).row(0, named=True)
        before = towns_before.filter(pl.col("town_code") == town).row(0, named=True)
    else:
        now = county_now
        before = done["county_before"].row(0, named=True)
    weekly, monthly = done["weekly"], done["monthly"]

    def listed(indicator: str) -> CaseList:
        rows = done[f"list:{indicator}"]
        order, note = LIST_ORDER[indicator]
        total = int(now[indicator])
        if rows.height != total:  # the rows behind a figure always count exactly the figure
            raise RuntimeError(f"{indicator}: {rows.height} rows behind a figure of {total}")
        return CaseList(indicator, total, rows.sort(order).head(limit), note)

    tickets = done["tickets"]
    topics = (
        tickets.group_by("topic")
        .agg(pl.len().alias("tickets"))
        .sort(["tickets", "topic"], descending=[True, False])
    )
    if int(topics["tickets"].sum() or 0) != int(now["hotline_tickets"]):
        raise RuntimeError("12345 工单分类合计与 hotline_tickets 不符")
    outside, note = done["outside"]
    rank_by = str(settings.get("snapshot.rank_by"))
    # a figure every town has (not one of optional columns, which some towns lack)
    if rank_by not in RANKED:
        raise ValueError(f"snapshot.rank_by: unknown indicator {rank_by!r}")
    return Report(
        request=request,
        county=county_level.brand(store),
        as_of=as_of,
        generated_at=datetime.now().replace(microsecond=0),
        town_name=names.get(town) if town else None,
        period=period,
        previous=previous,
        now=now,
        before=before,
        county_now=county_now,
        towns=towns,
        towns_before=towns_before,
        rank_by=rank_by,
        weekly=weekly,
        monthly=monthly,
        overdue=listed("overdue_open"),
        warning=listed("warning_open"),
        bad_reviews=listed("bad_reviews"),
        hotline_topics=topics,
        outside=outside,
        outside_note=note,
        town_names=names,
        compared=spans.label,
        rectifications=_rectifications(period, town),
        counties=done.get("counties"),
        counties_before=done.get("counties_before"),
        extras=coverage.available(store, period.start, period.end),
    )


def _rectifications(period: periods.Period, town: str | None) -> list[dict]:
    from dashboard.auth.access import current
    from dashboard.manage import ledger

    towns = [town] if town else None
    return ledger.summary_by_town(current(), period.start, period.end, towns=towns)


def _outside(store: Store, params: Params, scope: Scope) -> tuple[list[Any] | None, str]:
    """体外循环 departments with their evidence (dashboard/outside_system.py, issue 4)."""
    try:
        from dashboard.domain.outside_system import detect
    except ImportError as exc:  # the detection module is not part of this installation
        log.warning("体外循环 detection unavailable: %s", exc)
        return None, "体外循环检测模块未安装,本期未检测。"
    return detect(store, params, scope), ""


def boards(frame: pl.DataFrame) -> list[tuple[str, list[dict], list[dict]]]:
    """For each judged rate: its 红榜 and 黑榜 towns (best first / worst last), by the one
    rule of domain/ranking.py."""
    out = []
    for ind in BOARD_INDICATORS:
        red, black = ranking.boards(ranking.rank(frame, ind))
        out.append((ind, [r.row for r in red], [r.row for r in black]))
    return out

"""通报: the monthly and quarterly bulletin ("每季度发布一次红黑榜,对先进的予以表扬,对落后的进行
点名批评"; "通报一批、警示一片"), printed to PDF like the weekly report.

Everything in it comes from figures the pages show: the town ranking and the 红黑榜 of the
weekly report (dashboard/domain/ranking.py, content.boards(), with rank changes
against the previous month or quarter), metrics() for the lines of praise and criticism
(fixed templates filled with those figures only — no fact is added), the ledger's overdue
items (dashboard/manage/ledger.py), and 体外循环 departments with their evidence counts
(dashboard.outside_system.detect).

The print page (dashboard/pages/bulletin_print.py) lays it out; `pulse bulletin` renders it
with the weekly report's renderer (dashboard/snapshot/schedule.py produce_bulletins) and
archives it in <snapshot archive>/bulletins/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import polars as pl

from dashboard.auth.access import Access
from dashboard.components.format import fmt, status, target
from dashboard.domain import comparisons, periods, ranking, windows
from dashboard.domain.indicators import label as indicator_label
from dashboard.filters import Filters
from dashboard.manage import ledger
from dashboard.manage.common import ManageError, month_end, parse_month
from dashboard.snapshot import content
from dashboard.store import COUNTY, Store
from etl import settings

KINDS = {"month": "月度", "quarter": "季度"}
PRINT_PATH = "/bulletin-print"


@dataclass(frozen=True)
class BulletinRequest:
    """One bulletin: a calendar month or quarter. Rendered by dashboard/snapshot/render.py
    like a weekly report (it reads `page`, `landscape` and `query()`)."""

    kind: str  # month | quarter
    start: date
    end: date
    town: ClassVar[None] = None
    page: ClassVar[str] = PRINT_PATH
    landscape: ClassVar[bool] = False  # A4 portrait, as the county's own 通报

    @classmethod
    def month(cls, text: str) -> BulletinRequest:
        start, end = parse_month(text)
        return cls("month", start, end)

    @classmethod
    def quarter(cls, text: str) -> BulletinRequest:
        found = re.fullmatch(r"(\d{4})-?Q([1-4])", (text or "").strip(), flags=re.IGNORECASE)
        if not found:
            raise ManageError(f"季度格式应为 YYYY-Qn(如 2026-Q3):{(text or '')[:20]}")
        year, q = int(found.group(1)), int(found.group(2))
        start = date(year, 3 * q - 2, 1)
        return cls("quarter", start, month_end(date(year, 3 * q, 1)))

    @classmethod
    def last(cls, kind: str, as_of: datetime) -> BulletinRequest:
        """The last complete month or quarter before the 数据截至 date."""
        p = periods.named("last_month" if kind == "month" else "last_quarter", as_of.date())
        return cls(kind, p.start, p.end)

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> BulletinRequest:
        f = Filters.from_query(urlencode({k: v for k, v in args.items() if isinstance(v, str)}))
        kind = f.extra.get("kind", "month")
        if f.period != "custom" or not (f.date_from and f.date_to) or kind not in KINDS:
            raise ManageError("通报需要 kind=month|quarter&period=custom&from=…&to=…")
        request = cls(kind, f.date_from, f.date_to)
        expected = cls.month(f"{f.date_from:%Y-%m}") if kind == "month" else None
        if kind == "quarter":
            expected = cls.quarter(f"{f.date_from.year}-Q{(f.date_from.month - 1) // 3 + 1}")
        if expected != request:
            raise ManageError("通报的期间应为一个完整的月份或季度")
        return request

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def period(self) -> periods.Period:
        return periods.Period(self.start, self.end, self.kind)

    def query(self) -> str:
        f = Filters(period="custom", date_from=self.start, date_to=self.end)
        return f.with_extra(kind=self.kind).to_query()


@dataclass
class Bulletin:
    request: BulletinRequest
    county: str
    issuer: str
    as_of: datetime
    generated_at: datetime
    period: periods.Period
    previous: periods.Period
    county_now: dict[str, Any]
    county_before: dict[str, Any]
    towns: pl.DataFrame
    rank_by: str
    ranked: list[ranking.Ranked]
    boards: list[tuple[str, list[dict], list[dict]]]
    praise: list[str]
    criticism: list[str]
    outside: list[Any]  # dashboard.outside_system.Flag
    ledger_towns: list[dict]
    ledger_overdue: list[dict]
    town_names: dict[str, str] = field(default_factory=dict)
    # 红旗窗口 and 后进窗口 of the period (the one rule, dashboard/domain/windows.py)
    window_ranking: windows.WindowRanking | None = None

    @property
    def title(self) -> str:
        return f"关于{self.period.label}全县政务服务效能情况的通报"

    @property
    def complete(self) -> bool:
        return self.as_of.date() > self.period.end

    def meta(self) -> dict[str, Any]:
        return {
            "kind": "bulletin",
            "bulletin": self.request.key,
            "bulletin_kind": self.request.kind,
            "county": self.county,
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "week": None,
            "town_code": None,
            "town_name": None,
            "as_of": self.as_of.isoformat(sep=" "),
            "generated_at": self.generated_at.isoformat(sep=" ", timespec="seconds"),
            "title": f"{self.county}政务服务效能{KINDS[self.request.kind]}通报",
            "period_label": self.period.label,
            "complete": self.complete,
        }


def gather(store: Store, request: BulletinRequest, viewer: Access, as_of: datetime | None = None):
    """Every figure and line of one bulletin (county-wide: published figures)."""
    from dashboard.domain.metrics import Params, default_as_of, metrics
    from dashboard.domain.outside_system import detect

    as_of = as_of or default_as_of(store)
    period = request.period
    previous = comparisons.spans(period, as_of).previous  # the one rule of comparable spans
    towns = metrics(store, period.start, period.end, as_of, by="town", published=True)
    before = metrics(
        store, previous.start, previous.end, as_of, by="town", flags=False, published=True
    )
    county_now = metrics(
        store, period.start, period.end, as_of, by="county", flags=False, published=True
    ).row(0, named=True)
    county_before = metrics(
        store, previous.start, previous.end, as_of, by="county", flags=False, published=True
    ).row(0, named=True)
    rank_by = str(settings.get("snapshot.rank_by"))
    if rank_by not in content.RANKED:
        raise ValueError(f"snapshot.rank_by: unknown indicator {rank_by!r}")
    ranked = ranking.rank(towns, rank_by, before)
    boards = content.boards(towns)
    names = dict(store.sql("select town_code, town_name from towns", public=True).iter_rows())
    outside = detect(store, Params(period.start, period.end, as_of), COUNTY, evidence_rows=0)
    today = date.today()
    overdue = ledger.as_rows(viewer, ledger.overdue(viewer, today), names, today)
    window_ranking = windows.ranking(store, period, as_of)
    praise = praise_lines(ranked, rank_by, boards, towns)
    criticism = criticism_lines(ranked, rank_by, boards, towns)
    praise += window_lines(window_ranking.flags, windows.FLAG)
    criticism += window_lines(window_ranking.lagging, windows.LAGGING)
    return Bulletin(
        request=request,
        county=str(settings.get("county.name")),
        issuer=str(settings.get("bulletin.issuer") or ""),
        as_of=as_of,
        generated_at=datetime.now().replace(microsecond=0),
        period=period,
        previous=previous,
        county_now=county_now,
        county_before=county_before,
        towns=towns,
        rank_by=rank_by,
        ranked=ranked,
        boards=boards,
        praise=praise,
        criticism=criticism,
        outside=outside,
        ledger_towns=ledger.summary_by_town(viewer, period.start, period.end),
        ledger_overdue=overdue,
        town_names=names,
        window_ranking=window_ranking,
    )


# --- the lines: templates filled with the figures ----------------------------------------------


def _move(x: ranking.Ranked) -> str:
    change = ranking.change_text(x)
    if not change:
        return ""
    if change == "持平":
        return ",名次与上期持平"
    return f",较上期{'上升' if change[0] == '↑' else '下降'} {change[1:]} 位"


def _goal_text(ind: str) -> str:
    goal = target(ind)
    return f"目标 {fmt(ind, goal)}" if goal is not None else ""


def praise_lines(
    ranked: list[ranking.Ranked],
    rank_by: str,
    boards: list[tuple[str, list[dict], list[dict]]],
    towns: pl.DataFrame,
) -> list[str]:
    """表扬: the 红榜 of the ranking; per judged rate, its 红榜 towns that meet the target;
    towns without any overdue case or ticket; towns that rose two places or more."""
    label = indicator_label(rank_by)
    out = []
    for x in ranked:
        if x.board == "红榜":
            out.append(
                f"{x.row['town_name']}{label} {fmt(rank_by, x.row[rank_by])},"
                f"居全县第 {x.rank} 位{_move(x)}。"
            )
    for ind, red, _black in boards:
        if ind == rank_by:
            continue
        meeting = [t for t in red if status(ind, t[ind]) == "green"]
        if meeting:
            listed = "、".join(f"{t['town_name']}({fmt(ind, t[ind])})" for t in meeting)
            out.append(f"{indicator_label(ind)}位居前列且达到{_goal_text(ind)}的有:{listed}。")
    clean = [
        r["town_name"]
        for r in towns.sort("town_code").iter_rows(named=True)
        if (r["cases"] or 0) > 0 and r["overdue_open"] == 0 and r["hotline_overdue_open"] == 0
    ]
    active = sum(1 for r in towns.iter_rows(named=True) if (r["cases"] or 0) > 0)
    if clean and len(clean) == active:
        out.append("各乡镇本期受理的办件和 12345 工单均无超期未办结。")
    elif clean:
        out.append(f"{'、'.join(clean)}本期受理的办件和 12345 工单无超期未办结。")
    for x in ranked:
        if x.change is not None and x.change >= 2:
            out.append(
                f"{x.row['town_name']}{label}排名由上期第 {x.previous_rank} 位升至第 {x.rank} 位。"
            )
    return out


def criticism_lines(
    ranked: list[ranking.Ranked],
    rank_by: str,
    boards: list[tuple[str, list[dict], list[dict]]],
    towns: pl.DataFrame,
) -> list[str]:
    """批评: the 黑榜 of the ranking; per judged rate, its 黑榜 towns that miss the target;
    overdue cases, overdue 12345 tickets and overdue rectifications of bad reviews, per town;
    towns that fell two places or more."""
    label = indicator_label(rank_by)
    out = []
    for x in ranked:
        if x.board == "黑榜":
            below = ""
            if status(rank_by, x.row[rank_by]) in ("red", "amber"):
                below = f",低于{_goal_text(rank_by)}"
            out.append(
                f"{x.row['town_name']}{label} {fmt(rank_by, x.row[rank_by])}{below},"
                f"居全县第 {x.rank} 位{_move(x)}。"
            )
    for ind, _red, black in boards:
        if ind == rank_by:
            continue
        missing = [t for t in black if status(ind, t[ind]) in ("red", "amber")]
        if missing:
            listed = "、".join(f"{t['town_name']}({fmt(ind, t[ind])})" for t in missing)
            out.append(f"{indicator_label(ind)}排名靠后且未达{_goal_text(ind)}的有:{listed}。")
    rows = list(towns.sort("town_code").iter_rows(named=True))
    for ind, unit in (
        ("overdue_open", "件"),
        ("hotline_overdue_open", "件"),
        ("rectify_overdue", "条"),
    ):
        found = sorted(
            ((r["town_name"], r[ind]) for r in rows if (r[ind] or 0) > 0),
            key=lambda t: (-t[1], t[0]),
        )
        if found:
            listed = "、".join(f"{name} {n:,} {unit}" for name, n in found)
            out.append(f"{indicator_label(ind)}:{listed}。")
    for x in ranked:
        if x.change is not None and x.change <= -2:
            out.append(
                f"{x.row['town_name']}{label}排名由上期第 {x.previous_rank} 位降至第 {x.rank} 位。"
            )
    return out


def window_text(w: windows.RankedWindow) -> str:
    """A window with the figures that rank it: 城关街道综合窗口1号(按时办结率 100.0%,…)."""
    figures = ",".join(f"{indicator_label(k)} {fmt(k, w.row[k])}" for k in windows.RANK_BY)
    return f"{w.row['town_name']}{w.row['window_name']}({figures},办结 {w.row['completed']:,} 件)"


def window_lines(items: list[windows.RankedWindow], board: str) -> list[str]:
    """表扬 the 红旗窗口, 批评 the 后进窗口 — one line each, from the window ranking."""
    if not items:
        return []
    return [f"{board}:{'；'.join(window_text(w) for w in items)}。"]


def archive_dir() -> Path:
    """Where 通报 PDFs are archived: bulletins/ in the weekly PDFs' archive."""
    from dashboard.snapshot import archive

    return archive.out_dir() / "bulletins"

"""窗口 (受理窗口): figures by window, and the one rule of the monthly window ranking that
picks the county's 红旗窗口 and its 后进窗口 — used by the town page and the 通报.

A window is the 受理窗口 a case names (contract §3a window_name) at its town: (town,
window name). A 综合窗口 takes cases of several departments, so the ranking judges the
window as a whole; the town page also shows each department's share.

The rule:
- Cases whose file names no window are not ranked (their number is said beside the ranking).
- A window needs `windows.min_completed` completed cases in the period to be ranked; fewer
  are listed as 办结量不足, unranked (a window with 3 cases all on time proves little).
- Order, best first: 按时办结率, then 现场办结率, then 承诺件提前办结率 (all higher is better);
  at equal earlier figures, a window without the next figure (无数据) comes after one with
  it. Windows equal on all three share a rank (1, 1, 3 …); volume does not break the tie
  (a busier window is not a better one); equal windows are listed by town code and name.
- Boards only when more than 2 × `windows.board_size` windows are ranked: 红旗窗口 are the
  windows ranked within the first board_size places that have no 超期未办结 case at
  数据截至 (a window with a case overdue is never praised; its place is not passed on);
  后进窗口 are the windows with fewer than board_size ranked windows below them.
- Which windows take part is decided by the Store: a viewer ranks the windows of the towns
  they may see (a town official: their own town's windows; the county: all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from dashboard.domain.metrics import figures_query
from dashboard.domain.params import Params
from dashboard.domain.periods import Period, named
from dashboard.store import COUNTY, Scope, Store
from etl import settings

# the figures shown per window (town page, 通报), in order
FIGURES: tuple[str, ...] = (
    "cases",
    "completed",
    "on_time_rate",
    "onsite_rate",
    "early_rate",
    "overdue_open",
    "assisted_cases",
)
# what ranks windows, in order of precedence (each: higher is better)
RANK_BY: tuple[str, ...] = ("on_time_rate", "onsite_rate", "early_rate")
FLAG, LAGGING = "红旗窗口", "后进窗口"
FEW = "办结量不足"


def min_completed() -> int:
    return int(settings.get("windows.min_completed"))


def board_size() -> int:
    return int(settings.get("windows.board_size"))


def figures(
    store: Store,
    params: Params,
    scope: Scope = COUNTY,
    town: str | None = None,
    by_dept: bool = True,
    depts: tuple[str, ...] = (),
) -> pl.DataFrame:
    """One row per (town, department, window) — or per (town, window) with by_dept=False —
    with FIGURES; window_name NULL: the cases whose file names no window."""
    return figures_query(
        store,
        "windows__figures",
        FIGURES,
        scope,
        **params.sql_params(),
        town=town,
        by_dept=by_dept,
        depts=list(depts),
    )


@dataclass(frozen=True)
class RankedWindow:
    rank: int | None  # 1 = best; None: not ranked (too few completed cases)
    board: str  # 红旗窗口 | 后进窗口 | 办结量不足 | ""
    row: dict[str, Any]  # town_code, town_name, window_name and FIGURES

    @property
    def key(self) -> tuple[str, str]:
        return self.row["town_code"], self.row["window_name"]


@dataclass(frozen=True)
class WindowRanking:
    period: Period
    windows: list[RankedWindow]  # ranked best first, then the unranked by town and name
    without_window: int  # the period's cases whose file names no window: not ranked
    min_completed: int
    board_size: int

    @property
    def ranked(self) -> list[RankedWindow]:
        return [w for w in self.windows if w.rank is not None]

    @property
    def flags(self) -> list[RankedWindow]:
        return [w for w in self.windows if w.board == FLAG]

    @property
    def lagging(self) -> list[RankedWindow]:
        return [w for w in self.windows if w.board == LAGGING]

    def of_town(self, town: str) -> list[RankedWindow]:
        return [w for w in self.windows if w.row["town_code"] == town]

    def note(self) -> str:
        """The rule in words, for beside the ranking."""
        text = (
            f"按按时办结率、现场办结率、承诺件提前办结率依次排序;本期办结不足 {self.min_completed} "
            f"件的窗口不参评;有超期未办结的窗口不评为红旗窗口。"
        )
        if self.without_window:
            text += (
                f"另有 {self.without_window:,} 件办件未记录受理窗口(含网上、掌上办理等不经窗口"
                "的办件),不参与窗口排名。"
            )
        return text


def _sort_key(row: dict[str, Any]) -> tuple:
    """Best first: for each figure, having it before not having it, then higher first."""
    out: list[Any] = []
    for key in RANK_BY:
        value = row.get(key)
        out += [value is None, -(value or 0.0)]
    return tuple(out)


def rank(rows: list[dict[str, Any]], size: int | None = None, least: int | None = None):
    """The windows (rows with town_code, window_name and FIGURES), ranked by the rule.
    Rows without a window name must be left out by the caller."""
    size = board_size() if size is None else size
    least = min_completed() if least is None else least
    eligible = [r for r in rows if (r.get("completed") or 0) >= least]
    eligible.sort(key=lambda r: (_sort_key(r), r["town_code"], r["window_name"]))
    keys = [_sort_key(r) for r in eligible]
    ranks: list[int] = []
    for i, k in enumerate(keys):
        ranks.append(ranks[i - 1] if i and keys[i - 1] == k else i + 1)
    boards = len(eligible) > 2 * size
    out = []
    for i, r in enumerate(eligible):
        board = ""
        if boards:
            below = sum(1 for k in keys if k > keys[i])  # ranked windows strictly worse
            if ranks[i] <= size and (r.get("overdue_open") or 0) == 0:
                board = FLAG
            elif below < size:
                board = LAGGING
        out.append(RankedWindow(ranks[i], board, r))
    few = sorted(
        (r for r in rows if (r.get("completed") or 0) < least),
        key=lambda r: (r["town_code"], r["window_name"]),
    )
    return out + [RankedWindow(None, FEW, r) for r in few]


def month_of(period: Period, as_of: datetime) -> Period:
    """The month a window ranking is for: the period itself when it is a calendar month,
    else the last complete month before 数据截至."""
    start, end = period.start, period.end
    following = date(end.year + end.month // 12, end.month % 12 + 1, 1)
    if start.day == 1 and (following - end).days == 1 and start.month == end.month:
        return Period(start, end, "month")
    last = named("last_month", as_of.date())
    return Period(last.start, last.end, "month")


def ranking(store: Store, period: Period, as_of: datetime, scope: Scope = COUNTY) -> WindowRanking:
    """The window ranking of a period (a month for 红旗窗口) over the windows of the towns
    the viewer may see (narrowed to `scope`)."""
    frame = figures(store, Params(period.start, period.end, as_of), scope, by_dept=False)
    named_rows = [r for r in frame.iter_rows(named=True) if r["window_name"] is not None]
    without = int(frame.filter(pl.col("window_name").is_null())["cases"].sum() or 0)
    return WindowRanking(period, rank(named_rows), without, min_completed(), board_size())

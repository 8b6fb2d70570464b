"""What the wall screen (大屏) shows, read from the store in one pass per refresh.

Every figure comes from `metrics()` (the one definition) or `rows_behind()` (the rows behind
a figure); this module only picks periods, sorts and trims. The result is plain data that
the panels in `wall_panels` turn into components, so a refresh replaces what is on the
screen and never adds to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import polars as pl

from dashboard.auth.access import Access, acting_as
from dashboard.components.format import status
from dashboard.domain import comparisons, counties, coverage, lateness, periods
from dashboard.domain.indicators import OPTIONAL
from dashboard.domain.metrics import Params, default_as_of, metrics
from dashboard.domain.rectification import Rectification, rectification
from dashboard.domain.trace import rows_behind
from dashboard.filters import Filters
from dashboard.store import Scope, Store
from etl import settings

log = logging.getLogger(__name__)

# County KPI tiles, left to right. 12345 shows its satisfaction rate with the ticket count.
KPIS: tuple[str, ...] = (
    "cases",
    "online_rate",
    "satisfaction_rate",
    "on_time_rate",
    "overdue_open",
    "warning_open",
    "hotline_satisfaction_rate",
    "rectify_rate",
)
KPI_SECONDARY = {"hotline_satisfaction_rate": "hotline_tickets"}


def extra_kpis(store: Store, period: periods.Period | None = None) -> tuple[str, ...]:
    """The tiles after KPIS: the figures from optional case columns the setting
    `wall.extra_figures` names (default none), those the county has data for (in the
    period)."""
    wanted = [str(k) for k in settings.get("wall.extra_figures") or ()]
    unknown = [k for k in wanted if k not in OPTIONAL]
    if unknown:
        log.warning("wall.extra_figures: not a figure of optional columns: %s", unknown)
    if not wanted:
        return ()
    have = coverage.available(store, *((period.start, period.end) if period else ()))
    return tuple(k for k in wanted if k in have)


# Indicators the tile map and 红黑榜 can show (`?color=`), in rotation order (`?rotate=`).
MAP_CHOICES: tuple[str, ...] = (
    "online_rate",
    "satisfaction_rate",
    "on_time_rate",
    "rectify_rate",
    "hotline_satisfaction_rate",
    "evaluation_rate",
    "overdue_open",
    "warning_open",
    "cases",
)
TREND_INDICATORS = ["cases", "online_rate", "satisfaction_rate", "on_time_rate"]

MIN_REFRESH_SECONDS = 2
MAX_REFRESH_SECONDS = 24 * 3600
MIN_ROTATE_SECONDS = 5


def _int(text: Any, default: int) -> int:
    try:
        return int(float(str(text)))
    except (TypeError, ValueError, OverflowError):
        return default


@dataclass(frozen=True)
class WallConfig:
    """The wall's choices, from the URL with the settings as defaults."""

    query: str  # period, from/to, towns — read with Filters like every page
    color: str
    refresh: int  # seconds between data refreshes
    rotate: int  # seconds between map views; 0 = no rotation

    @classmethod
    def from_query(cls, query: dict[str, Any]) -> WallConfig:
        q = {k: v for k, v in query.items() if isinstance(v, str)}
        q.setdefault("period", str(settings.get("wall.period")))
        default = str(settings.get("wall.color"))
        color = q.get("color") or default
        if color not in MAP_CHOICES:
            color = default if default in MAP_CHOICES else MAP_CHOICES[0]
        refresh = _int(q.get("refresh"), int(settings.get("wall.refresh_seconds")))
        refresh = min(max(refresh, MIN_REFRESH_SECONDS), MAX_REFRESH_SECONDS)
        rotate = _int(q.get("rotate"), int(settings.get("wall.rotate_seconds")))
        rotate = 0 if rotate <= 0 else max(rotate, MIN_ROTATE_SECONDS)
        filters = {k: q[k] for k in ("period", "from", "to", "counties", "towns") if k in q}
        return cls(urlencode(filters), color, refresh, rotate)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> WallConfig:
        data = data if isinstance(data, dict) else {}
        return cls.from_query(
            {
                **dict(parse_qsl(str(data.get("query", ""))[:2000])),
                "color": data.get("color", ""),
                "refresh": str(data.get("refresh", "")),
                "rotate": str(data.get("rotate", "")),
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "color": self.color,
            "refresh": self.refresh,
            "rotate": self.rotate,
        }

    def views(self) -> list[str]:
        """Map indicators in rotation order, starting with the chosen one."""
        i = MAP_CHOICES.index(self.color)
        return list(MAP_CHOICES[i:] + MAP_CHOICES[:i]) if self.rotate else [self.color]


@dataclass
class WallData:
    as_of: datetime
    period: periods.Period
    spans: comparisons.Spans  # what the KPIs compare: the period so far and its match before
    now: dict[str, Any]  # county row of metrics() for spans.current
    before: dict[str, Any]  # … and for spans.previous
    rectify: Rectification | None  # where the period's bad reviews stand (差评整改率's colour)
    # one per town: name, grid position, MAP_CHOICES values; with several counties in view
    # (issue 18) one per county instead (level "county"), the map and 红黑榜 ranking counties
    towns: list[dict[str, Any]]
    trend: pl.DataFrame  # metrics(bucket="month") over the last 12 months
    ticker: list[dict[str, Any]]  # per town: counts of overdue and 预警, its most urgent cases
    ticker_total: int
    flags: list[dict[str, Any]] | None  # 体外循环 departments; None = detection unavailable
    generation: str = ""
    problems: tuple[str, ...] = ()  # what is wrong with the asked view (components/notices)
    level: str = "town"  # town | county: what the map's tiles and 红黑榜 are
    kpis: tuple[str, ...] = KPIS  # the tiles: KPIS, then the extra figures (extra_kpis)

    @property
    def previous(self) -> periods.Period:
        return self.spans.previous

    @property
    def age_hours(self) -> float:
        return (datetime.now() - self.as_of).total_seconds() / 3600

    @property
    def stale(self) -> bool:
        return self.age_hours > float(settings.get("wall.stale_hours"))


def load(store: Store, config: WallConfig) -> WallData:
    """The wall's data for the store's current generation. A generation never changes once
    published, so its figures are computed once per period and kept (a few, bounded): a
    refresh between two loads costs nothing, and the first one after a load recomputes."""
    generation = store.generation
    if generation is None:
        return _compute(store, config.query)  # raises StoreEmpty
    # the viewer is part of the key: what a wall shows depends on whose towns it may see
    return _cached(store, str(generation), config.query, store.viewer())


@lru_cache(maxsize=8)
def _cached(store: Store, generation: str, query: str, viewer: Access) -> WallData:
    with acting_as(viewer):
        return _compute(store, query)


def _compute(store: Store, query: str) -> WallData:
    """query: the period and towns part of the wall's URL (WallConfig.query). A reversed
    custom period raises BadRequest (its message is shown); a period outside the data or an
    unknown town is said in `problems`, never shown as zeros."""
    from dashboard.components.notices import problems

    f = Filters.from_query(query)
    scope = f.scope()
    as_of = default_as_of(store)
    period = f.resolve(as_of)
    # the one rule of fair comparisons: a running period against the same elapsed span
    spans = comparisons.spans(period, as_of)
    cur, prev = spans.current, spans.previous
    now = metrics(store, cur.start, cur.end, as_of, by="county", scope=scope, flags=False)
    before = metrics(store, prev.start, prev.end, as_of, by="county", scope=scope, flags=False)
    county = now.row(0, named=True)
    ranked = counties.ranking_scope(store, scope)
    several = _county_count(store, ranked) > 1
    rectify = None
    if county["bad_reviews"]:
        rectify = rectification(store, Params(cur.start, cur.end, as_of), scope)
    return WallData(
        as_of=as_of,
        period=period,
        spans=spans,
        now=county,
        before=before.row(0, named=True),
        rectify=rectify,
        towns=(
            _counties(store, period, as_of, ranked)
            if several
            else _towns(store, period, as_of, scope)
        ),
        trend=_trend(store, as_of, scope),
        ticker=(ticker := _ticker(store, period, as_of, scope))[0],
        ticker_total=ticker[1],
        flags=_flags(store, period, as_of, scope),
        generation=store.generation.name if store.generation else "",
        problems=tuple(problems(query)),
        level="county" if several else "town",
        kpis=(*KPIS, *extra_kpis(store, period)),
    )


def _county_count(store: Store, scope: Scope) -> int:
    """Counties the wall's published view spans."""
    return store.sql(
        "select count(distinct county_code) as n from town_counties "
        "where list_contains($towns, town_code)",
        scope=scope,
        published=True,
    ).item()


def _counties(store: Store, period: periods.Period, as_of: datetime, scope: Scope) -> list[dict]:
    """One tile per county (the map and 红黑榜 of a wall over several counties)."""
    frame = counties.metrics(store, period.start, period.end, as_of, scope)
    rows = []
    for r in frame.sort("county_code").iter_rows(named=True):
        county = {"code": r["county_code"], "name": r["county_name"], "row": None, "col": None}
        for ind in (*MAP_CHOICES, *comparisons.ACTIVITY):
            county[ind] = r[ind]
            county[f"{ind}__status"] = status(ind, r[ind])
        rows.append(county)
    return rows


def _towns(store: Store, period: periods.Period, as_of: datetime, scope: Scope) -> list[dict]:
    frame = metrics(store, period.start, period.end, as_of, by="town", scope=scope, published=True)
    grid = store.sql(
        "select town_code, grid_row, grid_col from towns where list_contains($towns, town_code)",
        scope=scope,
        published=True,
    )
    frame = frame.join(grid, on="town_code", how="left").sort("town_code")
    rows = []
    for r in frame.iter_rows(named=True):
        town = {
            "code": r["town_code"],
            "name": r["town_name"],
            "row": r["grid_row"],
            "col": r["grid_col"],
        }
        for ind in (*MAP_CHOICES, *comparisons.ACTIVITY):  # activity: who takes part in a ranking
            town[ind] = r[ind]
            town[f"{ind}__status"] = status(ind, r[ind])
        rows.append(town)
    return rows


def trend_window(as_of: datetime) -> tuple[date, date]:
    """The last 12 months up to the 数据截至 date (the current month so far included)."""
    end = as_of.date()
    return periods.trend_window(end, "month")


def _trend(store: Store, as_of: datetime, scope: Scope) -> pl.DataFrame:
    start, end = trend_window(as_of)
    frame = metrics(store, start, end, as_of, by="county", scope=scope, bucket="month", flags=False)
    return frame.select("period_start", *TREND_INDICATORS)


# Cases shown per town in the ticker: its most overdue case and its nearest 预警 deadline.
# The town's counts come first, so which town the cases belong to is read at a glance; a
# short loop (one town's group after the other) instead of every case in turn.
TICKER_PER_TOWN = {"overdue": 1, "warning": 1}


def _ticker(
    store: Store, period: periods.Period, as_of: datetime, scope: Scope
) -> tuple[list[dict[str, Any]], int]:
    """The rows behind the 超期 and 预警 KPIs grouped by town: per town its counts and its
    most urgent cases (TICKER_PER_TOWN), the towns with most overdue cases first; at most
    wall.ticker_cases cases in all. Returns (groups, total of cases behind the KPIs)."""
    limit = max(int(settings.get("wall.ticker_cases")), 2)
    names = dict(store.sql("select town_code, town_name from towns", public=True).iter_rows())
    frames = {}
    for kind, indicator in (("overdue", "overdue_open"), ("warning", "warning_open")):
        frame = rows_behind(store, indicator, period.start, period.end, as_of=as_of, scope=scope)
        frames[kind] = frame.sort("deadline_at", "case_id").with_columns(kind=pl.lit(kind))
    total = sum(f.height for f in frames.values())
    counts: dict[str, dict[str, int]] = {}
    for kind, frame in frames.items():
        for code, n in frame.group_by("town_code").len().iter_rows():
            counts.setdefault(code, {"overdue": 0, "warning": 0})[kind] = n
    order = sorted(counts, key=lambda c: (-counts[c]["overdue"], -counts[c]["warning"], c))
    # the cases listed: per town the first of each kind (frames are most urgent first)
    picked = [
        frame.filter(pl.int_range(pl.len()).over("town_code") < TICKER_PER_TOWN[kind])
        for kind, frame in frames.items()
    ]
    shown = pl.concat(picked) if any(p.height for p in picked) else frames["overdue"].head(0)
    rank = {code: i for i, code in enumerate(order)}
    shown = (
        shown.with_columns(
            town_rank=pl.col("town_code").replace_strict(rank, default=len(rank)),
            kind_rank=(pl.col("kind") == "warning").cast(pl.Int8),
        )
        .sort("town_rank", "kind_rank", "deadline_at", "case_id")
        .head(limit)
    )
    cases: dict[str, list[dict[str, str]]] = {}
    if shown.height:
        for r in lateness.with_lateness(store, shown, as_of).iter_rows(named=True):
            overdue = r["kind"] == "overdue"
            cases.setdefault(r["town_code"], []).append(
                {
                    "kind": r["kind"],
                    "case_id": r["case_id"],
                    "dept": r["dept_name"] or "",
                    "item": r["item_name"] or "",
                    "when": lateness.late_text(r["late_workdays"], r["late_hours"])
                    if overdue
                    else lateness.left_text(r["left_workdays"], r["left_hours"]),
                }
            )
    groups = [
        {
            "code": code,
            "town": names.get(code, code),
            "overdue": counts[code]["overdue"],
            "warning": counts[code]["warning"],
            "cases": cases.get(code, []),
        }
        for code in order
    ]
    return groups, total


def _signal_label(signal: Any) -> str:
    if isinstance(signal, str):
        return signal
    if isinstance(signal, dict):
        return str(signal.get("label_zh") or signal.get("name") or signal)
    return str(getattr(signal, "label_zh", None) or getattr(signal, "name", None) or signal)


def _flags(
    store: Store, period: periods.Period, as_of: datetime, scope: Scope
) -> list[dict[str, Any]] | None:
    """Departments flagged for 体外循环 in the period (dashboard.domain.outside_system), the ones
    with the most signals first; None when the detection is not available."""
    try:
        from dashboard.domain import outside_system
    except ImportError:
        return None
    params = Params(period.start, period.end, as_of)
    try:
        try:
            found = outside_system.detect(store, params, scope, evidence_rows=0)
        except TypeError:
            found = outside_system.detect(store, params, scope)
    except Exception:  # the wall stays up; the panel says the detection is unavailable
        log.exception("体外循环 detection failed")
        return None
    flags = [
        {
            "town": f.town_name or f.town_code,
            "dept": f.dept_name,
            "signals": [_signal_label(s) for s in f.signals],
        }
        for f in found
    ]
    flags.sort(key=lambda f: (-len(f["signals"]), f["town"], f["dept"]))
    return flags

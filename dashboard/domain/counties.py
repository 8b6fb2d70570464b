"""Counties (issue 18): one instance may hold several counties of a city, ranked against
each other as their towns are ("在全市范围内争先进位").

A town's county is digits 1-6 of its code (dashboard.auth.access.county_of; the store's
town_counties view). counties.csv names the counties and their city; a county only the town
codes name is called by the setting `county.name` when it is the instance's only county, else
by its code. With one county the product shows no county level at all (`several`).
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from dashboard.auth.access import county_of
from dashboard.domain import metrics as domain_metrics
from dashboard.store import COUNTY, Scope, Store
from etl import settings

CITY_DEFAULT = "全市"


def _named(frame: pl.DataFrame, total: int) -> pl.DataFrame:
    """county_name filled in where counties.csv does not name the county."""
    single = str(settings.get("county.name")) if total <= 1 else None
    return frame.with_columns(
        pl.coalesce(
            pl.col("county_name"),
            pl.lit(single) if single else pl.lit("县区") + pl.col("county_code"),
        ).alias("county_name")
    )


def every_county(store: Store) -> pl.DataFrame:
    """Every county of the instance: county_code, county_name, city_name (reference data)."""
    frame = store.sql(
        "select county_code, county_name, city_name from counties order by county_code",
        public=True,
    )
    return _named(frame, frame.height)


def several(store: Store) -> bool:
    """Whether the instance holds more than one county (a county level is shown)."""
    return store.sql("select count(*) as n from counties", public=True).item() > 1


def visible(store: Store) -> pl.DataFrame:
    """The counties with a town the viewer may see (the counties filter)."""
    total = store.sql("select count(*) as n from counties", public=True).item()
    return _named(store.query("shell__counties"), total)


def city_name(store: Store) -> str:
    """The city the counties belong to (counties.csv 所属市), else 全市."""
    names = every_county(store).get_column("city_name").drop_nulls().unique().to_list()
    return names[0] if len(names) == 1 else CITY_DEFAULT


def brand(store: Store) -> str:
    """The name pages and reports carry: the county's (setting county.name), the city's when
    the instance holds several counties."""
    return city_name(store) if several(store) else str(settings.get("county.name"))


def names(store: Store) -> dict[str, str]:
    return dict(every_county(store).select("county_code", "county_name").iter_rows())


def whole_label(store: Store, chosen: tuple[str, ...] = ()) -> str:
    """What "all the towns asked for" is called: 全县 with one county; with several, the
    chosen counties' names, or 全市 when none is chosen."""
    if not several(store):
        return "全县"
    if chosen:
        known = names(store)
        return "、".join(known.get(c, c) for c in chosen[:3]) + ("等" if len(chosen) > 3 else "")
    return CITY_DEFAULT


def own(store: Store) -> tuple[str, ...] | None:
    """The counties the viewer has rows in, or None when that is every county (a town
    ranking then ranks the towns of these counties: a county or town official's own)."""
    every = store.every_town()
    mine = store.viewer().row_towns(every)
    held = {county_of(t) for t in every}
    counties = {county_of(t) for t in mine}
    return None if counties >= held else tuple(sorted(counties))


def ranking_scope(store: Store, scope: Scope) -> Scope:
    """The towns a town ranking ranks: the ones asked for, and with several counties and no
    county asked for, those of the viewer's own counties (published figures are the city's,
    but an official's ranking is among the towns of their county)."""
    if scope.counties is not None or scope.towns is not None:
        return scope
    mine = own(store)
    return scope if mine is None else Scope(None, mine)


def metrics(
    store: Store,
    date_from: date,
    date_to: date,
    as_of: datetime | None = None,
    scope: Scope = COUNTY,
    depts: tuple[str, ...] = (),
    flags: bool = False,
    published: bool = True,
) -> pl.DataFrame:
    """One row per county with every indicator (county_code, county_name, figures), formed
    from the same counts as the towns' (domain/metrics.py, by="counties"). published: every
    county's published figures (the city ranking, as in a 通报), which a county or town
    official may see too, like the towns' ranking."""
    frame = domain_metrics.metrics(
        store,
        date_from,
        date_to,
        as_of,
        by="counties",
        scope=scope,
        depts=depts,
        flags=flags,
        published=published,
    )
    known = names(store)
    return frame.with_columns(
        pl.col("county_code").replace_strict(known, default=None).alias("county_name")
    ).with_columns(pl.coalesce("county_name", pl.lit("县区") + pl.col("county_code")))

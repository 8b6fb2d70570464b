"""Which figures from the optional case columns (contract §3a, §7) the county has data for.

A figure whose column no case of the county carries in the period is not shown at all — no
column of 无数据 on every page; where some towns have it, the others read 无数据
(components/format.py). The answer is over the county's published figures: whether the
county carries a column is no secret of any town. Without a period: over everything loaded.
"""

from __future__ import annotations

from datetime import date

from dashboard.domain.indicators import BY_KEY, OPTIONAL
from dashboard.store import Store


def available(
    store: Store, date_from: date | None = None, date_to: date | None = None
) -> tuple[str, ...]:
    """The optional figures (registry order) some case of the county accepted in the period
    has data for: its known-count (else its denominator or count) is above 0."""
    sums = ", ".join(f"coalesce(sum({BY_KEY[k].presence}), 0) > 0 as {k}" for k in OPTIONAL)
    # published: every town's rollups, whoever asks (a town official sees the ranking too)
    row = store.sql(
        f"select {sums} from agg_cases_daily where list_contains($towns, town_code)"
        " and ($date_from::date is null or day >= $date_from::date)"
        " and ($date_to::date is null or day <= $date_to::date)",
        {"date_from": date_from, "date_to": date_to},
        published=True,
    ).row(0, named=True)
    return tuple(k for k in OPTIONAL if row[k])


def with_available(
    store: Store,
    keys: tuple[str, ...],
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[str, ...]:
    """`keys`, then the optional figures the county has data for in the period."""
    have = available(store, date_from, date_to)
    return (*keys, *(k for k in OPTIONAL if k in have and k not in keys))

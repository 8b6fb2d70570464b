"""Which figures from the optional case columns (contract §3a, §7) the county has data for.

A figure whose column no loaded file carries is not shown at all — no column of 无数据 on
every page; where some towns have it, the others read 无数据 (components/format.py). The
answer is over everything loaded (not the period), so columns do not come and go as a
viewer changes the period, and over the county's published figures: whether the county
carries a column is no secret of any town.
"""

from __future__ import annotations

from dashboard.domain.indicators import BY_KEY, OPTIONAL
from dashboard.store import Store


def available(store: Store) -> tuple[str, ...]:
    """The optional figures (registry order) some loaded case of the county has data for:
    its known-count (else its denominator or count) is above 0."""
    sums = ", ".join(f"coalesce(sum({BY_KEY[k].presence}), 0) > 0 as {k}" for k in OPTIONAL)
    # published: every town's rollups, whoever asks (a town official sees the ranking too)
    row = store.sql(
        f"select {sums} from agg_cases_daily where list_contains($towns, town_code)",
        {},
        published=True,
    ).row(0, named=True)
    return tuple(k for k in OPTIONAL if row[k])


def with_available(store: Store, keys: tuple[str, ...], extra: tuple[str, ...] = ()) -> tuple:
    """`keys`, then those of `extra` (default: every optional figure) the county has data
    for."""
    have = available(store)
    return (*keys, *(k for k in (extra or OPTIONAL) if k in have and k not in keys))

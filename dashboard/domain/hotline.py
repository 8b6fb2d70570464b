"""12345热线: the page's own figures around their SQL (dashboard/queries/hotline__*.sql).

The definitions are SQL: 解决率 per town in hotline__resolution.sql, 重复来电 by
repeat_calls() in etl/sql/rollups/01_daily.sql (hotline__repeat_count.sql counts them). What
is not SQL lives here, read by the page and by the engine comparison alike
(dashboard/engines/check.py): the repeat-call window the page passes, and the county's 解决率
formed from the per-town rows.
"""

from __future__ import annotations

import polars as pl

REPEAT_WINDOW_DAYS = 30  # 重复来电: another call by the same caller within this many days


def query_params(**extra) -> dict:
    """The parameters the page's hotline queries take beyond the period's: the repeat-call
    window and no caller chosen (extra overrides)."""
    return {"window_days": REPEAT_WINDOW_DAYS, "caller": "", **extra}


def county_resolution(frame: pl.DataFrame) -> float | None:
    """The county's 解决率 from hotline__resolution.sql's per-town rows: resolved / resolution
    known, summed over the towns (None when no ticket has 是否解决 filled in)."""
    known = frame["resolution_known"].sum() if frame.height else 0
    return frame["resolved_tickets"].sum() / known if known else None

"""Shaping the cells under a header row into the frame validation reads."""

from __future__ import annotations

import polars as pl

from etl.read.header import _Match
from etl.sources import Source


def _cell(i: int) -> str:
    return f"c{i}"


def _shape(raw: pl.DataFrame, width: int, match: _Match, source: Source) -> pl.DataFrame:
    """`raw` holds `_row` and text cells c0..c{width-1}: strip, null empties, drop empty rows,
    then name and order the columns as the source declares them.

    A row counts as empty when every cell under the header is empty, declared or not: a row
    with text only under an undeclared header is kept (validation rejects it, so no row with
    content is lost from the accounting).
    """
    cells = [_cell(i) for i in range(width)]
    stripped = raw.select(
        pl.col("_row").cast(pl.Int64),
        *[pl.col(c).str.strip_chars().replace("", None) for c in cells],
    )
    del raw
    if cells:
        keep = stripped.select(pl.any_horizontal(pl.col(c).is_not_null() for c in cells))
        mask = keep.to_series()
        if not mask.all():
            stripped = stripped.filter(mask)
    out = [pl.col("_row")]
    for col in source.columns:
        idx = match.positions.get(col.name)
        if idx is None or idx >= width:
            out.append(pl.lit(None, dtype=pl.String).alias(col.name))
        else:
            out.append(pl.col(_cell(idx)).alias(col.name))
    return stripped.select(out)


def _concat(frames: list[pl.DataFrame], source: Source) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(
            schema={"_row": pl.Int64, **{c.name: pl.String for c in source.columns}}
        )
    # the pieces stay separate chunks: rechunking would copy the whole result once more
    return pl.concat(frames, how="vertical", rechunk=False)

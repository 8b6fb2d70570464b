"""Reading the demo county's files back as the tests see them (plain polars, not the loader)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl

from etl import demo
from etl.demo.county import VENDOR_EXTRA, VENDOR_HEADERS
from etl.sources import ALL_SOURCES, normalize_header

END = date(2026, 11, 22)
SCALE = 0.02
ONLINE = ("网上办理", "掌上办理")
BY_NAME = {s.name: s for s in ALL_SOURCES}


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gbk"), "gbk"


def _read_text(path: Path, contract_headers: bool = True) -> pl.DataFrame:
    """A CSV export's rows; the second vendor's file in the contract's headers and values
    (as its column map reads it) unless `contract_headers` is false."""
    text, _ = _decode(path.read_bytes())
    lines = text.splitlines(keepends=True)
    sep = "\t" if "\t" in lines[3] else ","
    df = pl.read_csv(io.StringIO("".join(lines[3:])), separator=sep, infer_schema=False)
    df = df.rename({c: normalize_header(c) for c in df.columns})
    if contract_headers and VENDOR_HEADERS["办件编号"] in df.columns:
        back = {normalize_header(v): normalize_header(k) for k, v in VENDOR_HEADERS.items()}
        df = df.drop(VENDOR_EXTRA[0]).rename(back)
        yes_no = ("是否现场办结", "是否跨省通办")
        df = df.with_columns(pl.col(yes_no).replace({"Y": "是", "N": "否"}))
    return df


def _read_xlsx(path: Path) -> tuple[list[list], pl.DataFrame]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = [normalize_header(h) for h in rows[3]]
    data = {
        h: [None if r[i] == "" else str(r[i]).removesuffix(".0") for r in rows[4:]]
        for i, h in enumerate(header)
    }
    return rows, pl.DataFrame(data, schema=dict.fromkeys(header, pl.String))


def _ts(col: str) -> pl.Expr:
    c = pl.col(col)
    return pl.coalesce(
        c.str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=False),
        c.str.strptime(pl.Datetime, "%Y/%m/%d %H:%M:%S", strict=False),
        c.str.strptime(pl.Datetime, "%Y年%m月%d日 %H:%M", strict=False),
    )


def _files(summary: demo.DemoSummary, prefix: str) -> list[Path]:
    return [p for p in summary.files if p.name.startswith(prefix)]


def _with_town_code(df: pl.DataFrame, towns: pl.DataFrame) -> pl.DataFrame:
    by_name = dict(zip(towns["乡镇名称"], towns["乡镇代码"], strict=True))
    return df.with_columns(town=pl.col("乡镇(街道)").replace(by_name))


def _dept(df: pl.DataFrame, planted: demo.Planted, column: str = "受理部门") -> pl.DataFrame:
    return df.filter((pl.col("town") == planted.town_code) & (pl.col(column) == planted.dept_name))


def _planted(signal: str) -> demo.Planted:
    return next(p for p in demo.PLANTED if p.signal == signal)


def _planted_pairs() -> set[tuple[str, str]]:
    return {(p.town_code, p.dept_name) for p in demo.PLANTED}


def _ordinary(df: pl.DataFrame, column: str = "受理部门") -> pl.DataFrame:
    planted = pl.struct("town", column).is_in([{"town": t, column: d} for t, d in _planted_pairs()])
    return df.filter(~planted)

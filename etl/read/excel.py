"""Excel workbooks, read with python-calamine from the first sheet that has a header row."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl
import python_calamine

from etl.read.base import _BATCH_ROWS, HEAD_ROWS, FileRefused, ReadResult, _empty_message
from etl.read.frame import _cell, _concat, _shape
from etl.read.header import (
    _find_header,
    _Match,
    _NearMiss,
    _refuse_no_header,
    _result_fields,
    _title_lines,
    _widest,
)
from etl.sources import Source
from etl.sources.maps import ColumnMap


def _read_excel(
    path: Path,
    sources: Sequence[Source],
    sniff: bool = False,
    maps: Sequence[ColumnMap] = (),
) -> ReadResult:
    name = path.name
    with contextlib.ExitStack() as stack:
        try:
            fh = stack.enter_context(path.open("rb"))
            book = python_calamine.CalamineWorkbook.from_filelike(fh)
        except (python_calamine.CalamineError, OSError, ValueError) as exc:
            raise FileRefused(
                path,
                "unreadable",
                f"文件 {name} 无法作为 Excel 工作簿打开（文件损坏或有密码保护）：{exc}"
                f" / cannot open {name} as an Excel workbook (damaged or password "
                f"protected): {exc}",
            ) from exc
        stack.callback(book.close)

        first_miss: _NearMiss | None = None
        first_seen: list[str] | None = None
        any_cells = False
        for index, meta in enumerate(book.sheets_metadata):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue  # chart, dialog or macro sheets hold no table
            try:
                sheet = book.get_sheet_by_index(index)
            except python_calamine.CalamineError as exc:
                raise FileRefused(
                    path,
                    "unreadable",
                    f"文件 {name} 的工作表「{meta.name}」已损坏，无法读取：{exc}"
                    f" / cannot read sheet '{meta.name}' of {name} (damaged): {exc}",
                ) from exc
            rows = iter(sheet.iter_rows())
            head, non_empty = _sheet_head(rows)
            if non_empty:
                any_cells = True
            match, miss = _find_header(head, sources, maps)
            if match is None:
                if first_seen is None and non_empty:
                    first_seen = _widest(head)
                if miss is not None and first_miss is None:
                    first_miss = miss
                continue
            width = _excel_width(match.cells)
            frames = (
                []
                if sniff
                else _excel_frames(_rows_after_header(head, match.index, rows), width, match)
            )
            return ReadResult(
                path=path,
                source=match.source,
                encoding="xlsx",
                delimiter=None,
                header_row=match.line,
                title_lines=_title_lines(head[: match.index]),
                frame=_concat(frames, match.source),
                **_result_fields(match),
            )
    if not any_cells:
        raise FileRefused(path, "empty", _empty_message(name))
    raise _refuse_no_header(path, sources, first_miss, first_seen or [])


def _sheet_head(rows: Iterator[list]) -> tuple[list[tuple[int, int, list[str]]], int]:
    """The rows up to the HEAD_ROWS-th non-empty one, as text, and how many are non-empty.

    iter_rows yields rows from the sheet's first row (row 1), so the position of a row in it
    is its spreadsheet row number; columns start at the first used one."""
    head: list[tuple[int, int, list[str]]] = []
    non_empty = 0
    for number, values in enumerate(rows, start=1):
        cells = [_excel_text(v) for v in values]
        head.append((number, number, cells))
        if any(c.strip() for c in cells):
            non_empty += 1
            if non_empty >= HEAD_ROWS:
                break
    return head, non_empty


def head_rows(path: Path) -> list[tuple[int, int, list[str]]]:
    """The first rows of the first worksheet that has any (for `pulse inspect`)."""
    try:
        with path.open("rb") as fh:
            book = python_calamine.CalamineWorkbook.from_filelike(fh)
            try:
                for index, meta in enumerate(book.sheets_metadata):
                    if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                        continue
                    head, non_empty = _sheet_head(iter(book.get_sheet_by_index(index).iter_rows()))
                    if non_empty:
                        return head
            finally:
                book.close()
    except (python_calamine.CalamineError, OSError, ValueError) as exc:
        raise FileRefused(
            path,
            "unreadable",
            f"文件 {path.name} 无法作为 Excel 工作簿打开：{exc} / cannot open {path.name} as an "
            f"Excel workbook: {exc}",
        ) from exc
    return []


def _excel_width(cells: list[str]) -> int:
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width


def _rows_after_header(
    head: list[tuple[int, int, list[str]]], header_index: int, rest: Iterator[list]
) -> Iterator[tuple[int, list]]:
    """(row number, raw values) of every row after the header."""
    for number, _, cells in head[header_index + 1 :]:
        yield number, cells  # already text; _excel_text leaves text unchanged
    number = head[-1][0] if head else 0
    for values in rest:
        number += 1
        yield number, values


def _excel_frames(
    rows: Iterator[tuple[int, list]], width: int, match: _Match
) -> list[pl.DataFrame]:
    names = [_cell(i) for i in range(width)]
    schema = {"_row": pl.Int64, **dict.fromkeys(names, pl.String)}
    frames: list[pl.DataFrame] = []
    numbers: list[int] = []
    batch: list[list] = []

    def flush() -> None:
        if not numbers:
            return
        data: dict[str, list] = {"_row": numbers[:]}
        for j, col_name in enumerate(names):
            column = [r[j] if j < len(r) else "" for r in batch]
            if not all(type(v) is str for v in column):
                column = [v if type(v) is str else _excel_text(v) for v in column]
            data[col_name] = column
        frames.append(_shape(pl.DataFrame(data, schema=schema), width, match, match.source))
        numbers.clear()
        batch.clear()

    for number, values in rows:
        numbers.append(number)
        batch.append(values)
        if len(batch) >= _BATCH_ROWS:
            flush()
    flush()
    return frames


_HALF_SECOND = dt.timedelta(microseconds=500_000)


def _float_text(value: float) -> str:
    if value.is_integer() and math.isfinite(value):
        return str(int(value))  # codes like 330102001001 stay exact, 5.0 → '5'
    return repr(value)


def _datetime_text(value: dt.datetime) -> str:
    if value.microsecond:
        # serial day fractions can land a hair off the second: round to the nearest one
        value = (value + _HALF_SECOND).replace(microsecond=0)
    return value.isoformat(sep=" ")


def _time_text(value: dt.time) -> str:
    return value.replace(microsecond=0).isoformat()


_CELL_TEXT = {
    str: str,
    float: _float_text,
    int: str,
    bool: lambda v: "TRUE" if v else "FALSE",
    dt.datetime: _datetime_text,
    dt.date: dt.date.isoformat,
    dt.time: _time_text,
    type(None): lambda _: "",
}


def _excel_text(value: object) -> str:
    """Cell value as text: date-times 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD', whole
    numbers without '.0', other numbers as Python's shortest repr, booleans TRUE/FALSE."""
    convert = _CELL_TEXT.get(type(value), str)
    return convert(value)

"""etl.read.excel: workbooks written with xlsxwriter, read back with calamine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from etl.read import extraction_stamp, read_file
from etl.read.excel import _excel_text
from etl.sources import cases
from tests.etl.read.helpers import (
    CASE_NAMES,
    CASES_HEADER,
    case_row,
    refused,
    write_cases_xlsx,
)


def test_xlsx_with_title_rows_and_typed_cells(tmp_path: Path) -> None:
    result = read_file(write_cases_xlsx(tmp_path / "cases.xlsx"))
    assert result.source is cases.SOURCE
    assert (result.encoding, result.delimiter) == ("xlsx", None)
    assert result.header_row == 4
    assert result.title_lines == ["示范县2026年10月办件明细表", "导出时间： 2026-11-22 08:00:00"]
    assert extraction_stamp(result.title_lines) == dt.datetime(2026, 11, 22, 8, 0, 0)
    assert result.extra_columns == ["备注"]
    frame = result.frame
    assert frame.columns == ["_row", *CASE_NAMES]
    assert frame["_row"].to_list() == [5, 6, 8, 9]
    typed = frame.row(1, named=True)
    assert typed["item_code"] == "330102001001"
    assert typed["accepted_at"] == "2026-11-03 09:15:22"
    assert typed["promised_days"] == "5"
    assert typed["completed_at"] == "2026-11-10"
    assert typed["phone"] == "2.5"
    assert typed["applicant"] == "李四"
    assert frame["recorded_at"][2] == "2026-11-03 09:15:22"
    # a row with text only under an undeclared header is kept, all declared cells null
    assert frame.row(3)[1:] == (None,) * len(CASE_NAMES)


def test_xlsx_header_on_a_later_sheet(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "本表由系统导出")
    data = book.add_worksheet("数据")
    data.write_row(2, 1, CASES_HEADER)  # starts in column B, row 3
    data.write_row(3, 1, case_row(7))
    book.close()
    result = read_file(path)
    assert result.header_row == 3
    assert result.frame["_row"].to_list() == [4]
    assert result.frame["case_id"].to_list() == ["BJ000007"]


def test_xlsx_named_xls_is_read_by_content(tmp_path: Path) -> None:
    xlsx = write_cases_xlsx(tmp_path / "cases.xlsx")
    renamed = tmp_path / "cases.xls"
    renamed.write_bytes(xlsx.read_bytes())
    assert read_file(renamed).frame.height == 4


def test_xlsx_without_header_and_empty_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_row(0, 0, ["姓名", "年龄"])
    book.close()
    exc = refused(path)
    assert exc.reason_code == "unknown_source"
    assert "other.xlsx" in str(exc) and "姓名" in str(exc)

    empty = tmp_path / "empty.xlsx"
    book = xlsxwriter.Workbook(str(empty))
    book.add_worksheet()
    book.close()
    exc = refused(empty)
    assert exc.reason_code == "empty"
    assert "empty.xlsx" in str(exc)


def test_xlsx_missing_header(tmp_path: Path) -> None:
    path = tmp_path / "m.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_row(1, 0, [h for h in CASES_HEADER if h != "办件状态"])
    book.close()
    exc = refused(path)
    assert exc.reason_code == "missing_header"
    assert "m.xlsx" in str(exc) and "办件状态" in str(exc) and "第 2 行" in str(exc)


def test_excel_cell_text() -> None:
    text = _excel_text
    assert text(330102001001.0) == "330102001001"
    assert text(5.0) == "5"
    assert text(2.50) == "2.5"
    assert text(0.1) == "0.1"
    assert text(-3.0) == "-3"
    assert text(7) == "7"
    assert text(True) == "TRUE"
    assert text(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05"
    assert text(dt.datetime(2026, 1, 2, 3, 4, 5, 600_000)) == "2026-01-02 03:04:06"
    assert text(dt.date(2026, 1, 2)) == "2026-01-02"
    assert text(dt.time(9, 15)) == "09:15:00"
    assert text(None) == ""

"""Builders the read tests share: real files written to tmp_path, no mocks."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import xlsxwriter

from etl.read import FileRefused, read_file
from etl.sources import cases

CASES_HEADER = [
    "办件编号",
    "事项编码",
    "事项名称",
    "乡镇（街道）",
    "受理部门",
    "申报方式",
    "受理时间",
    "承诺时限",
    "办结时间",
    "办件状态",
    "录入时间",
    "申请人",
    "证件号码",
    "联系电话",
]
CASE_NAMES = [c.name for c in cases.SOURCE.columns]


def case_row(i: int, **changes: str) -> list[str]:
    row = {
        "办件编号": f"BJ{i:06d}",
        "事项编码": "11330102MB0001",
        "事项名称": "不动产登记",
        "乡镇（街道）": "城关镇",
        "受理部门": "县自然资源和规划局",
        "申报方式": "网上办理",
        "受理时间": "2026-11-03 09:15:22",
        "承诺时限": "5",
        "办结时间": "",
        "办件状态": "在办",
        "录入时间": "2026-11-03 09:16:00",
        "申请人": "张三",
        "证件号码": "330102199001011234",
        "联系电话": "13800000000",
    }
    row.update(changes)
    return list(row.values())


def csv_line(cells: list[str], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def cases_csv(
    path: Path,
    n: int = 3,
    *,
    title: tuple[str, ...] = (),
    encoding: str = "utf-8",
    delimiter: str = ",",
    header: list[str] = CASES_HEADER,
) -> Path:
    lines = [*(t + "\n" for t in title)]
    lines.append(csv_line(header, delimiter))
    lines += [csv_line(case_row(i), delimiter) for i in range(n)]
    return write_text(path, "".join(lines), encoding)


def refused(path: Path) -> FileRefused:
    with pytest.raises(FileRefused) as info:
        read_file(path)
    return info.value


def codecs_bom() -> bytes:
    return b"\xef\xbb\xbf"


def write_cases_xlsx(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("办件")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range("A1:N1", "示范县2026年10月办件明细表")
    sheet.write_string(1, 0, "导出时间：")
    sheet.write_datetime(1, 1, dt.datetime(2026, 11, 22, 8, 0, 0), stamp)
    # row 3 empty
    sheet.write_row(3, 0, [*CASES_HEADER, "备注"])
    sheet.write_row(4, 0, case_row(1))  # row 5: all text
    values = case_row(2)
    sheet.write_row(5, 0, values)  # row 6, then typed cells over it
    sheet.write_number(5, 1, 330102001001)
    sheet.write_datetime(5, 6, dt.datetime(2026, 11, 3, 9, 15, 22), stamp)
    sheet.write_number(5, 7, 5.0)
    sheet.write_datetime(5, 8, dt.datetime(2026, 11, 10), day)
    sheet.write_number(5, 13, 2.5)
    sheet.write_string(5, 11, "  李四  ")
    # row 7 empty, row 8 a datetime a hair before the second, row 9 only an extra column
    sheet.write_row(7, 0, case_row(3))
    sheet.write_datetime(7, 10, dt.datetime(2026, 11, 3, 9, 15, 21, 999_700), stamp)
    sheet.write_string(8, 14, "只有备注")
    book.close()
    return path

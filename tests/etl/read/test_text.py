"""etl.read.text: CSV in every accepted encoding, quoting, chunking, decoding refusals.
Row numbers are checked against what an editor would show."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import polars as pl
import pytest

from etl.read import ReadResult, extraction_stamp, read_file
from etl.read import text as text_reader
from etl.sources import cases
from tests.etl.read.helpers import (
    CASE_NAMES,
    CASES_HEADER,
    case_row,
    cases_csv,
    codecs_bom,
    csv_line,
    refused,
    write_text,
)


def test_utf8_csv_with_title_rows(tmp_path: Path) -> None:
    path = cases_csv(
        tmp_path / "a.csv",
        title=("示范县2026年10月办件明细表,,,", "导出时间：2026-11-22 08:00:00", ""),
    )
    result = read_file(path)
    assert isinstance(result, ReadResult)
    assert result.path == path
    assert result.source is cases.SOURCE
    assert result.encoding == "utf-8"
    assert result.delimiter == ","
    assert result.header_row == 4
    assert result.title_lines == ["示范县2026年10月办件明细表", "导出时间：2026-11-22 08:00:00"]
    assert extraction_stamp(result.title_lines) == dt.datetime(2026, 11, 22, 8, 0, 0)
    assert result.extra_columns == []
    frame = result.frame
    assert frame.columns == ["_row", *CASE_NAMES]
    assert frame.schema["_row"] == pl.Int64
    assert all(frame.schema[c] == pl.String for c in CASE_NAMES)
    assert frame["_row"].to_list() == [5, 6, 7]
    assert frame["case_id"].to_list() == ["BJ000000", "BJ000001", "BJ000002"]
    assert frame["town_code"].to_list() == ["城关镇"] * 3
    assert frame["completed_at"].to_list() == [None] * 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_every_encoding(tmp_path: Path, encoding: str) -> None:
    path = cases_csv(tmp_path / "x.csv", title=("办件明细（测试）",), encoding=encoding)
    result = read_file(path)
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}.get(encoding, "gb18030")
    assert result.encoding == expected
    assert result.source is cases.SOURCE
    assert result.title_lines == ["办件明细（测试）"]
    assert result.frame["item_name"].to_list() == ["不动产登记"] * 3
    assert result.frame["_row"].to_list() == [3, 4, 5]


def test_gb18030_character_outside_gbk(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        "㐀".encode("gbk")
    text = csv_line(CASES_HEADER) + csv_line(case_row(1, 申请人="㐀先生"))
    result = read_file(write_text(tmp_path / "b.csv", text, "gb18030"))
    assert result.encoding == "gb18030"
    assert result.frame["applicant"].to_list() == ["㐀先生"]


def test_bom_file_with_header_on_first_line(tmp_path: Path) -> None:
    result = read_file(cases_csv(tmp_path / "bom.csv", encoding="utf-8-sig"))
    assert result.encoding == "utf-8-sig"
    assert result.header_row == 1
    assert result.title_lines == []
    assert result.frame["_row"].to_list() == [2, 3, 4]


def test_gbk_file_whose_first_lines_are_ascii(tmp_path: Path) -> None:
    """English headers and ASCII rows first: valid UTF-8 up to the Chinese further down."""
    header = [c.name for c in cases.SOURCE.columns]
    ascii_row = case_row(
        1, 事项名称="x", 受理部门="d", 申报方式="m", **{"乡镇（街道）": "330102001"}
    )
    ascii_row[11] = "z"
    text = csv_line(header) + csv_line(ascii_row) * 400 + csv_line(case_row(2))
    result = read_file(write_text(tmp_path / "late.csv", text, "gbk"))
    assert result.encoding == "gb18030"
    assert result.frame.height == 401
    assert result.frame["item_name"][-1] == "不动产登记"
    assert result.frame["_row"][-1] == 402


def test_tab_separated(tmp_path: Path) -> None:
    path = cases_csv(tmp_path / "t.txt", delimiter="\t", title=("标题",), encoding="gbk")
    result = read_file(path)
    assert result.delimiter == "\t"
    assert result.encoding == "gb18030"
    assert result.frame["case_id"].to_list() == ["BJ000000", "BJ000001", "BJ000002"]
    assert result.frame["_row"].to_list() == [3, 4, 5]


def test_crlf_line_endings(tmp_path: Path) -> None:
    text = "标题\r\n\r\n" + "".join(
        csv_line(r).replace("\n", "\r\n") for r in [CASES_HEADER, case_row(1), case_row(2)]
    )
    result = read_file(write_text(tmp_path / "crlf.csv", text))
    assert result.header_row == 3
    assert result.frame["_row"].to_list() == [4, 5]
    assert result.frame["phone"].to_list() == ["13800000000"] * 2


def test_quoted_cells_and_row_numbers_after_embedded_newlines(tmp_path: Path) -> None:
    rows = [
        case_row(1, 事项名称="登记, 变更"),
        case_row(2, 事项名称='他说"你好"'),
        case_row(3, 申请人="第一行\n第二行\n第三行"),
        case_row(4),
    ]
    text = "标题\n" + csv_line(CASES_HEADER) + "".join(csv_line(r) for r in rows)
    result = read_file(write_text(tmp_path / "q.csv", text))
    frame = result.frame
    assert frame["item_name"].to_list()[:2] == ["登记, 变更", '他说"你好"']
    assert frame["applicant"][2] == "第一行\n第二行\n第三行"
    # line 3: BJ1, 4: BJ2, 5-7: BJ3 (three lines), 8: BJ4
    assert frame["_row"].to_list() == [3, 4, 5, 8]


def test_blank_and_empty_rows_are_dropped_but_counted(tmp_path: Path) -> None:
    width = len(CASES_HEADER)
    text = (
        "示范县办件表\n"  # 1
        "\n"  # 2
        + csv_line(CASES_HEADER)  # 3
        + csv_line(case_row(1))  # 4
        + "\n"  # 5
        + "," * (width - 1)
        + "\n"  # 6: only separators
        + "   \n"  # 7: only spaces
        + csv_line(case_row(2))  # 8
        + "\n\n"  # 9, 10
        + csv_line(case_row(3))  # 11
        + "\n"  # 12
    )
    result = read_file(write_text(tmp_path / "blank.csv", text))
    assert result.frame["case_id"].to_list() == ["BJ000001", "BJ000002", "BJ000003"]
    assert result.frame["_row"].to_list() == [4, 8, 11]


def test_short_rows_get_nulls_and_long_rows_are_cut(tmp_path: Path) -> None:
    text = (
        csv_line(CASES_HEADER)
        + "BJ1,I1,名称\n"
        + csv_line([*case_row(2), "多余1", "多余2"])
        + csv_line(case_row(3))
    )
    result = read_file(write_text(tmp_path / "ragged.csv", text))
    first = result.frame.row(0, named=True)
    assert (first["case_id"], first["item_code"], first["item_name"]) == ("BJ1", "I1", "名称")
    assert first["town_code"] is None and first["phone"] is None
    assert result.frame["phone"].to_list() == [None, "13800000000", "13800000000"]
    assert result.frame["_row"].to_list() == [2, 3, 4]


def test_values_are_stripped_but_not_interpreted(tmp_path: Path) -> None:
    row = case_row(1, 办结时间="-", 申请人=" 无 ", 证件号码="/", 联系电话="NULL")
    row[0] = "  BJ9  "
    row[4] = "\u3000县人社局\u3000"
    text = csv_line(CASES_HEADER) + csv_line(row)
    frame = read_file(write_text(tmp_path / "v.csv", text)).frame
    got = frame.row(0, named=True)
    assert got["case_id"] == "BJ9"
    assert got["dept_name"] == "县人社局"
    assert (got["completed_at"], got["applicant"], got["id_number"], got["phone"]) == (
        "-",
        "无",
        "/",
        "NULL",
    )


def test_header_only_gives_an_empty_frame(tmp_path: Path) -> None:
    result = read_file(cases_csv(tmp_path / "h.csv", n=0))
    assert result.frame.height == 0
    assert result.frame.columns == ["_row", *CASE_NAMES]
    assert result.frame.schema["_row"] == pl.Int64


def test_undecodable_names_line_and_offset(tmp_path: Path) -> None:
    good = (csv_line(CASES_HEADER) + csv_line(case_row(1))).encode("utf-8")
    bad = good + b"BJ2,\xff\xfe\xff,x\n"
    path = tmp_path / "u.csv"
    path.write_bytes(bad)
    exc = refused(path)
    assert exc.reason_code == "undecodable"
    message = str(exc)
    assert "u.csv" in message
    assert "第 3 行" in message and "line 3" in message
    assert f"字节偏移 {len(good) + 4}" in message
    assert "0xFF" in message


def test_utf8_broken_far_below_the_header(tmp_path: Path) -> None:
    good = (csv_line(CASES_HEADER) + csv_line(case_row(1)) * 500).encode("utf-8")
    path = tmp_path / "late.csv"
    path.write_bytes(good + b"BJ9,\xff\n")
    exc = refused(path)
    assert exc.reason_code == "undecodable"
    assert "late.csv" in str(exc) and "line 502" in str(exc)
    assert f"offset {len(good) + 4}" in str(exc)


def test_undecodable_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\x81\x20abc\n\xff\xff\n")
    exc = refused(path)
    assert exc.reason_code == "undecodable"
    assert "bin.csv" in str(exc)


def test_bom_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bb.csv"
    path.write_bytes(codecs_bom() + csv_line(CASES_HEADER).encode("gbk"))
    exc = refused(path)
    assert exc.reason_code == "undecodable"
    assert "bb.csv" in str(exc) and "offset 3" in str(exc)


def test_cell_with_text_after_its_closing_quote(tmp_path: Path) -> None:
    """polars refuses `"某某"问题`; such a file is read the way Excel reads it."""
    line = csv_line(case_row(2)).replace("不动产登记", '"某某"问题', 1)
    text = "标题\n" + csv_line(CASES_HEADER) + csv_line(case_row(1)) + line + "\n"
    text += csv_line(case_row(3, 申请人="甲\n乙"))
    result = read_file(write_text(tmp_path / "odd.csv", text, "gbk"))
    assert result.frame["item_name"].to_list() == ["不动产登记", "某某问题", "不动产登记"]
    assert result.frame["_row"].to_list() == [3, 4, 6]
    assert result.frame["applicant"][2] == "甲\n乙"


def test_unclosed_quote_is_refused_with_its_line(tmp_path: Path) -> None:
    rows = "".join(csv_line(case_row(i)) for i in range(300))
    broken = csv_line(case_row(1)).replace("不动产登记", '"未闭合', 1)
    text = csv_line(CASES_HEADER) + csv_line(case_row(0)) + broken + rows
    exc = refused(write_text(tmp_path / "open.csv", text))
    assert exc.reason_code == "unreadable"
    assert "open.csv" in str(exc) and "第 3 行" in str(exc)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_row_numbers_and_values_survive_any_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, chunk: int
) -> None:
    """Small chunks cut characters, quoted line breaks and records anywhere: compare with
    Python's csv module, which counts physical lines exactly."""
    monkeypatch.setattr(text_reader, "_CHUNK", chunk)
    rnd = random.Random(chunk)
    lines = ["示范县办件表\n", "\n", csv_line(CASES_HEADER)]
    for i in range(120):
        r = rnd.random()
        if r < 0.1:
            lines.append("\n")
        elif r < 0.2:
            lines.append(csv_line(case_row(i, 申请人="多\n行\n" * rnd.randint(1, 2) + '"引"')))
        else:
            lines.append(
                csv_line(case_row(i, 事项名称=f"事项{'㐀' if encoding != 'utf-8' else ''}"))
            )
    text = "".join(lines)
    result = read_file(write_text(tmp_path / "c.csv", text, encoding))
    assert result.encoding == encoding

    expected_rows, expected_ids, prev = [], [], 0
    reader = csv.reader(io.StringIO(text, newline=""))
    for record in reader:
        start, prev = prev + 1, reader.line_num
        if start > 3 and any(record):
            expected_rows.append(start)
            expected_ids.append(record[0])
    assert result.frame["_row"].to_list() == expected_rows
    assert result.frame["case_id"].to_list() == expected_ids


@pytest.mark.parametrize("chunk", [7, 100, 16 << 20])
def test_stray_quote_inside_an_unquoted_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A lone '"' mid-cell is text; it upsets quote parity, which must not cut records."""
    monkeypatch.setattr(text_reader, "_CHUNK", chunk)
    stray = csv_line(case_row(1)).replace("不动产登记", '27"显示器', 1)
    lines = [csv_line(CASES_HEADER), stray]
    lines += [csv_line(case_row(i, 申请人="甲\n乙")) for i in range(2, 30)]
    result = read_file(write_text(tmp_path / "stray.csv", "".join(lines)))
    assert result.frame["item_name"][0] == '27"显示器'
    assert result.frame["applicant"][1:].to_list() == ["甲\n乙"] * 28
    assert result.frame["_row"].to_list() == [2, *range(3, 3 + 2 * 28, 2)]


def test_bad_byte_offset_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_reader, "_CHUNK", 5)
    good = (csv_line(CASES_HEADER) + csv_line(case_row(1))).encode("utf-8")
    path = tmp_path / "cut.csv"
    path.write_bytes(good + "中".encode()[:2] + b",\xff\n")  # a truncated UTF-8 character
    exc = refused(path)
    assert exc.reason_code == "undecodable"
    assert f"offset {len(good)}" in str(exc)

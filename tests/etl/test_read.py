"""etl.read: real files written to tmp_path (CSV in every accepted encoding, xlsx via
xlsxwriter), no mocks. Row numbers are checked against what an editor would show."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from etl import read
from etl.read import FileRefused, ReadResult, extraction_stamp, read_file, sniff_source
from etl.sources import ALL_SOURCES, Column, Source, cases, evaluations, hotline, reference

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


# --------------------------------------------------------------------------- CSV basics


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


# --------------------------------------------------------------------------- headers


def test_header_spelling_english_names_aliases_order_and_extras(tmp_path: Path) -> None:
    header = [
        " 联系电话 ",
        "Case_ID",
        "事项 编码",
        "事项名称",
        "乡镇",  # alias of 乡镇(街道)
        "受理部门",
        "CHANNEL",
        "受理时间",
        "承诺时限",
        "办件状态",
        "录入时间",
        "备注",  # not declared
        "",
    ]
    row = [
        "13900000000",
        "BJ1",
        "I1",
        "名称",
        "东河乡",
        "县民政局",
        "窗口办理",
        "2026-11-03 09:15",
        "0",
        "办结",
        "2026-11-03 09:16",
        "备注文字",
        "",
    ]
    result = read_file(write_text(tmp_path / "h.csv", csv_line(header) + csv_line(row)))
    assert result.source is cases.SOURCE
    assert result.extra_columns == ["备注"]
    frame = result.frame
    assert frame.columns == ["_row", *CASE_NAMES]  # declaration order, whatever the file's
    got = frame.row(0, named=True)
    assert got["phone"] == "13900000000"
    assert got["case_id"] == "BJ1"
    assert got["item_code"] == "I1"
    assert got["town_code"] == "东河乡"
    assert got["channel"] == "窗口办理"
    # optional columns absent from the file: all null
    assert got["completed_at"] is None and got["applicant"] is None
    assert got["id_number"] is None


def test_full_width_parentheses_and_inner_spaces(tmp_path: Path) -> None:
    header = list(CASES_HEADER)
    header[3] = " 乡镇 （ 街道 ） "
    header[0] = "办件\u3000编号"
    result = read_file(cases_csv(tmp_path / "fw.csv", header=header))
    assert result.source is cases.SOURCE
    assert result.frame["town_code"].to_list() == ["城关镇"] * 3
    assert result.extra_columns == []


def test_own_header_wins_over_alias(tmp_path: Path) -> None:
    header = [*CASES_HEADER, "乡镇"]
    text = csv_line(header) + csv_line([*case_row(1, **{"乡镇（街道）": "330102001"}), "城关镇"])
    result = read_file(write_text(tmp_path / "two.csv", text))
    assert result.frame["town_code"].to_list() == ["330102001"]
    assert result.extra_columns == ["乡镇"]


def test_source_comes_from_the_header_not_the_file_name(tmp_path: Path) -> None:
    header = [c.header for c in hotline.SOURCE.columns]
    row = ["GD1", "2026-11-03 09:00", "城关镇", "县住建局", "投诉", "城乡建设"]
    row += ["2026-11-05 09:00", "", "办理中", "", "", "13800000000", "内容"]
    path = write_text(tmp_path / "cases_2026.csv", csv_line(header) + csv_line(row))
    result = read_file(path)
    assert result.source is hotline.SOURCE
    assert result.frame["ticket_id"].to_list() == ["GD1"]
    assert result.frame["content"].to_list() == ["内容"]


@pytest.mark.parametrize(
    ("source", "row"),
    [
        (evaluations.SOURCE, ["PJ1", "", "城关镇", "县人社局", "评价器", "2026-11-03", "满意"]),
        (reference.TOWNS, ["330102001000", "城关镇", "镇", "1", "2"]),
        (reference.DEPARTMENTS, ["县人社局", "", "是"]),
    ],
)
def test_other_sources(tmp_path: Path, source: Source, row: list[str]) -> None:
    header = [c.header for c in source.columns][: len(row)]
    result = read_file(write_text(tmp_path / "f.csv", csv_line(header) + csv_line(row)))
    assert result.source is source
    assert result.frame.columns == ["_row", *(c.name for c in source.columns)]
    assert result.frame.row(0)[1 : 1 + len(row)] == tuple(v or None for v in row)


def test_the_source_with_most_required_headers_wins(tmp_path: Path) -> None:
    small = Source("small", "小", "small", "a", (Column("甲", "a", required=True),))
    big = Source(
        "big",
        "大",
        "big",
        "a",
        (Column("甲", "a", required=True), Column("乙", "b", required=True)),
    )
    path = write_text(tmp_path / "s.csv", "甲,乙\n1,2\n")
    assert read_file(path, sources=(small, big)).source is big
    assert read_file(path, sources=(big, small)).source is big


def test_header_found_below_a_decoy_row(tmp_path: Path) -> None:
    """Title rows may mention some header words; the first row with all required ones wins."""
    title = "办件编号,事项名称,说明"
    result = read_file(cases_csv(tmp_path / "d.csv", title=(title, "")))
    assert result.header_row == 3
    assert result.title_lines == ["办件编号 事项名称 说明"]


# --------------------------------------------------------------------------- refusals


def test_unknown_source_names_file_and_headers(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "标题\n姓名,年龄,住址\n张三,30,某地\n")
    exc = refused(path)
    assert exc.reason_code == "unknown_source"
    assert "a.csv" in str(exc)
    assert "姓名" in str(exc) and "住址" in str(exc)
    assert "无法识别" in str(exc) and "cannot recognise" in str(exc)


def test_missing_required_header_is_named(tmp_path: Path) -> None:
    header = [h for h in CASES_HEADER if h != "录入时间"]
    exc = refused(cases_csv(tmp_path / "m.csv", header=header, title=("标题",)))
    assert exc.reason_code == "missing_header"
    assert "m.csv" in str(exc)
    assert "录入时间" in str(exc) and "recorded_at" in str(exc)
    assert "第 2 行" in str(exc) and "row 2" in str(exc)


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    exc = refused(path)
    assert exc.reason_code == "empty"
    assert "e.csv" in str(exc)


def test_missing_file_and_folder_are_unreadable(tmp_path: Path) -> None:
    exc = refused(tmp_path / "nope.csv")
    assert exc.reason_code == "unreadable"
    assert "nope.csv" in str(exc)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    exc = refused(folder)
    assert exc.reason_code == "unreadable"
    assert "folder.csv" in str(exc)


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


def codecs_bom() -> bytes:
    return b"\xef\xbb\xbf"


@pytest.mark.parametrize("name", ["report.pdf", "data.json", "noext"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path / name, csv_line(CASES_HEADER))
    exc = refused(path)
    assert exc.reason_code == "unsupported_format"
    assert name in str(exc)


def test_html_saved_as_xls_is_unsupported(tmp_path: Path) -> None:
    path = write_text(tmp_path / "export.xls", "<html><table><tr><td>办件编号</td></tr></table>")
    exc = refused(path)
    assert exc.reason_code == "unsupported_format"
    assert "export.xls" in str(exc)


def test_tab_text_saved_as_xls_is_read_as_text(tmp_path: Path) -> None:
    path = cases_csv(tmp_path / "export.xls", delimiter="\t", encoding="gbk")
    result = read_file(path)
    assert (result.encoding, result.delimiter) == ("gb18030", "\t")
    assert result.frame.height == 3


def test_text_named_xlsx_is_unsupported(tmp_path: Path) -> None:
    exc = refused(cases_csv(tmp_path / "fake.xlsx"))
    assert exc.reason_code == "unsupported_format"
    assert "fake.xlsx" in str(exc)


def test_damaged_xlsx_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    exc = refused(path)
    assert exc.reason_code == "unreadable"
    assert "broken.xlsx" in str(exc)


def test_refusal_reason_codes_are_checked() -> None:
    with pytest.raises(ValueError, match="reason code"):
        FileRefused(Path("a.csv"), "other", "x")
    exc = FileRefused(Path("dir/a.csv"), "empty", "文件 a.csv 是空的 / a.csv is empty")
    assert exc.path == Path("dir/a.csv")
    assert str(exc) == "文件 a.csv 是空的 / a.csv is empty"


# --------------------------------------------------------------------------- odd quoting


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


# --------------------------------------------------------------------------- chunking


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_row_numbers_and_values_survive_any_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, chunk: int
) -> None:
    """Small chunks cut characters, quoted line breaks and records anywhere: compare with
    Python's csv module, which counts physical lines exactly."""
    monkeypatch.setattr(read, "_CHUNK", chunk)
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
    monkeypatch.setattr(read, "_CHUNK", chunk)
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
    monkeypatch.setattr(read, "_CHUNK", 5)
    good = (csv_line(CASES_HEADER) + csv_line(case_row(1))).encode("utf-8")
    path = tmp_path / "cut.csv"
    path.write_bytes(good + "中".encode()[:2] + b",\xff\n")  # a truncated UTF-8 character
    exc = refused(path)
    assert exc.reason_code == "undecodable"
    assert f"offset {len(good)}" in str(exc)


# --------------------------------------------------------------------------- Excel


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
    text = read._excel_text
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


# --------------------------------------------------------------------------- sniff_source


def test_sniff_source_reads_only_the_header(tmp_path: Path) -> None:
    gbk = cases_csv(tmp_path / "a.csv", title=("标题",), encoding="gbk")
    assert sniff_source(gbk) is cases.SOURCE
    assert sniff_source(write_cases_xlsx(tmp_path / "b.xlsx")) is cases.SOURCE
    late = tmp_path / "late.csv"
    late.write_bytes((csv_line(CASES_HEADER) + csv_line(case_row(1)) * 500).encode() + b"\xff")
    assert sniff_source(late) is cases.SOURCE  # the bad byte is for read_file to find
    assert refused(late).reason_code == "undecodable"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("x.csv", "姓名,年龄\n".encode(), "unknown_source"),
        ("x.csv", b"", "empty"),
        ("x.pdf", b"%PDF", "unsupported_format"),
        ("x.csv", b"\x81\x20\xff\n", "undecodable"),
    ],
)
def test_sniff_source_refusals(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileRefused) as info:
        sniff_source(path)
    assert info.value.reason_code == reason
    assert name in str(info.value)


# --------------------------------------------------------------------------- extraction stamp


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["导出时间：2026-11-22 08:00:00"], dt.datetime(2026, 11, 22, 8, 0, 0)),
        (["数据截至 2026年11月22日 08:00"], dt.datetime(2026, 11, 22, 8, 0)),
        (["示范县办件表", "导出时间: 2026/11/3 9:15:22"], dt.datetime(2026, 11, 3, 9, 15, 22)),
        (["截止日期：2026-11-22"], dt.datetime(2026, 11, 22)),
        (["生成时间 2026年11月22日08时30分15秒"], dt.datetime(2026, 11, 22, 8, 30, 15)),
        (["数据截止（北京时间）：2026.11.22 18:05"], dt.datetime(2026, 11, 22, 18, 5)),
        (["Exported at 2026-11-22T08:00:00"], dt.datetime(2026, 11, 22, 8, 0)),
        (["导出时间：2026-11-22 08:00 共 12 条"], dt.datetime(2026, 11, 22, 8, 0)),
        (["XX县2026年10月办件明细表"], None),
        (["统计时间：2026-10-01 至 2026-10-31"], None),
        (["导出时间：2026-13-45", "截至2026-11-21 17:00"], dt.datetime(2026, 11, 21, 17, 0)),
        ([], None),
    ],
)
def test_extraction_stamp(lines: list[str], expected: dt.datetime | None) -> None:
    assert extraction_stamp(lines) == expected


def test_all_sources_have_distinct_required_headers() -> None:
    """Recognition relies on it: no source's required headers are a subset of another's."""
    keys = {
        s.name: {read.normalize_header(c.header) for c in s.required_headers} for s in ALL_SOURCES
    }
    for a, ka in keys.items():
        for b, kb in keys.items():
            assert a == b or not ka <= kb, (a, b)

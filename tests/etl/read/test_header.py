"""etl.read.header: finding the header row, which cell is which column, the source it
names, and the refusals when no row is a header."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.read import read_file
from etl.sources import (
    ALL_SOURCES,
    Column,
    Source,
    cases,
    evaluations,
    hotline,
    normalize_header,
    reference,
)
from tests.etl.read.helpers import (
    CASE_NAMES,
    CASES_HEADER,
    case_row,
    cases_csv,
    csv_line,
    refused,
    write_text,
)


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


def test_all_sources_have_distinct_required_headers() -> None:
    """Recognition relies on it: no source's required headers are a subset of another's."""
    keys = {s.name: {normalize_header(c.header) for c in s.required_headers} for s in ALL_SOURCES}
    for a, ka in keys.items():
        for b, kb in keys.items():
            assert a == b or not ka <= kb, (a, b)

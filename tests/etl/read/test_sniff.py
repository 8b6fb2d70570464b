"""etl.read.sniff: the kind of file by content, refusals of whole files, sniff_source."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.read import FileRefused, read_file, sniff_source
from etl.sources import cases
from tests.etl.read.helpers import (
    CASES_HEADER,
    case_row,
    cases_csv,
    csv_line,
    refused,
    write_cases_xlsx,
    write_text,
)


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

"""`pulse inspect FILE` (issue 19): how a file's headers map, what is missing or unknown, and
a suggested map — which, pasted into the configuration, makes the file load."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import xlsxwriter

from etl.inspection import SURE, inspect_file
from etl.load import load
from tests.conftest import CASE_HEADER, ROOT, case_row, eval_row, write_csv
from tests.etl.test_column_maps import VENDOR, VENDOR_HEADER, vendor_row


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "inspect", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_a_contract_file_needs_no_map(pulse_env, tmp_path):
    f = write_csv(tmp_path / "c.csv", CASE_HEADER, [case_row("C1")], title=["标题", ""])
    found = inspect_file(f)
    assert (found.recognised, found.source, found.header_row) == (True, "cases", 3)
    assert found.column_map is None and found.unmapped == [] and found.suggested_map is None
    assert [(h.header, h.column, h.via) for h in found.headers][:2] == [
        ("办件编号", "case_id", "header"),
        ("事项编码", "item_code", "header"),
    ]
    assert "paused_days" in found.absent_optional and found.missing_required == []
    proc = _cli(str(f))
    assert proc.returncode == 0
    assert "办件 cases" in proc.stdout and "不需要新的列映射" in proc.stdout
    assert "no column map needed" in proc.stdout


def test_an_unmapped_file_is_explained_and_its_suggested_map_makes_it_load(
    pulse_env, reference_files, tmp_path
):
    f = write_csv(
        tmp_path / "vendor.csv",
        VENDOR_HEADER,
        [vendor_row("V1"), vendor_row("V2")],
        title=["某县办件明细", "导出时间：2026-11-05 08:00:00"],
    )
    found = inspect_file(f)
    assert not found.recognised
    assert (found.source, found.header_row) == ("cases", 3)
    assert "vendor.csv" in found.message and "pulse inspect" in found.message
    suggested = {h.header: (h.suggested, h.confidence) for h in found.headers}
    assert suggested["业务流水号"] == ("case_id", SURE)
    assert suggested["受理单位"] == ("dept_name", SURE)
    assert found.missing_required == []
    assert found.unmapped == ["数据来源", "经办人备注"]  # nothing to suggest for these

    text = found.suggested_map
    parsed = tomllib.loads(text)["columns"]["maps"][0]
    assert parsed["source"] == "cases" and parsed["name"] == "vendor"
    assert parsed["headers"] == {VENDOR[h]: c for h, c in zip(CASE_HEADER, _names(), strict=True)}
    assert '# "数据来源" = ""' in text and "未识别" in text

    # pasted into the export folder's columns.toml, the file loads with no code change
    (tmp_path / "columns.toml").write_text(text, encoding="utf-8")
    run = load([*reference_files, f])
    report = run.reports[-1]
    assert (run.exit_code, report.inserted, report.column_map) == (0, 2, "vendor")
    assert report.unmapped == ["数据来源", "经办人备注"]
    again = inspect_file(f)
    assert again.recognised and again.column_map == "vendor"
    assert [h.via for h in again.headers][:3] == ["map", "map", "map"]


def test_cli_explains_an_unmapped_file_in_chinese_and_english(pulse_env, tmp_path):
    f = write_csv(tmp_path / "vendor.csv", VENDOR_HEADER, [vendor_row("V1")])
    proc = _cli(str(f))
    assert proc.returncode == 2  # not recognised: as a refused load
    out = proc.stdout
    assert "未识别" in out and "not recognised" in out and "looks like" in out
    assert "建议的列映射" in out and "suggested column map" in out
    assert '"业务流水号" = "case_id"  # 办件编号' in out  # never wrapped: pasted as it is
    as_json = json.loads(_cli(str(f), "--format", "json").stdout)
    assert as_json["recognised"] is False and as_json["source"] == "cases"
    assert as_json["unmapped"] == ["数据来源", "经办人备注"]


def test_missing_columns_and_guesses(pulse_env, tmp_path):
    """An evaluation export with a header like no known one, and one column missing."""
    header = [
        "评价流水号",  # a known vendor header
        "办件编号",
        "所属乡镇(街道)",  # like 乡镇(街道): a guess
        "评价部门",
        "评价渠道",
        "评价时间",
        "评价等级",
    ]
    f = write_csv(tmp_path / "e.csv", header, [eval_row("E1")[:7]])
    found = inspect_file(f)
    assert (found.recognised, found.source) == (False, "evaluations")
    by_header = {h.header: h for h in found.headers}
    assert (by_header["评价流水号"].suggested, by_header["评价流水号"].confidence) == (
        "eval_id",
        SURE,
    )
    assert by_header["所属乡镇(街道)"].suggested == "town_code"
    assert by_header["所属乡镇(街道)"].confidence == "guess"
    assert "请核对" in found.suggested_map
    assert found.missing_required == []
    short = write_csv(tmp_path / "short.csv", header[:-1], [eval_row("E1")[:6]])
    missing = inspect_file(short)
    assert missing.missing_required == ["rating"]
    assert "still missing required: 评价等级 (rating)" in missing.suggested_map


def test_excel_and_unreadable_files(pulse_env, tmp_path):
    path = tmp_path / "vendor.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["某县办件明细"])
    sheet.write_row(2, 0, VENDOR_HEADER)
    sheet.write_row(3, 0, vendor_row("X1"))
    book.close()
    found = inspect_file(path)
    assert (found.recognised, found.source, found.header_row) == (False, "cases", 3)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    nothing = inspect_file(empty)
    assert not nothing.recognised and nothing.source is None and "empty.csv" in nothing.message
    assert _cli(str(empty)).returncode == 2
    other = write_csv(tmp_path / "people.csv", ["姓名", "年龄"], [["张三", "30"]])
    assert inspect_file(other).source is None  # nothing here looks like a source


def _names() -> list[str]:
    from etl.sources import cases

    return [c.name for c in cases.SOURCE.columns[: len(CASE_HEADER)]]


def test_numbers_in_headers_are_masked(pulse_env, tmp_path):
    f = write_csv(tmp_path / "c.csv", [*CASE_HEADER, "备注13812345678"], [[*case_row("C1"), "x"]])
    found = inspect_file(f)
    assert found.unmapped == ["备注138****5678"]
    assert "13812345678" not in json.dumps(found.as_json(), ensure_ascii=False)

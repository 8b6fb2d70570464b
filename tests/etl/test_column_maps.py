"""Column maps (issue 19): a county's headers mapped onto the contract in pulse.toml or in a
map file beside the exports; several maps; headers nothing maps reported as unmapped in the
load output and the load log, never dropped without a word; bad maps refused by name."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from etl import publish, settings
from etl.load import load
from etl.read import read_file
from etl.sources.maps import ColumnMapError, parse_maps
from tests.conftest import (
    CASE_HEADER,
    ROOT,
    TICKET_HEADER,
    case_row,
    ticket_row,
    write_csv,
)

# a second vendor's names for the contract's case headers
VENDOR = {
    "办件编号": "业务流水号",
    "事项编码": "事项代码",
    "事项名称": "申办事项",
    "乡镇(街道)": "所属乡镇",
    "受理部门": "受理单位",
    "申报方式": "申请方式",
    "受理时间": "受理日期",
    "承诺时限": "承诺期限",
    "办结时间": "办结日期",
    "办件状态": "办理状态",
    "录入时间": "登记时间",
    "申请人": "申请人姓名",
    "证件号码": "证件号",
    "联系电话": "手机号码",
}
VENDOR_HEADER = [VENDOR[h] for h in CASE_HEADER] + ["数据来源", "经办人备注"]
MAP = """
[[columns.maps]]
source = "cases"
name = "某厂商办件明细"
[columns.maps.headers]
"业务流水号" = "case_id"
"事项代码" = "item_code"
"申办事项" = "事项名称"   # the contract's Chinese header works too
"所属乡镇" = "town_code"
"受理单位" = "dept_name"
"申请方式" = "channel"
" 受理日期 " = "accepted_at"   # spaces and full-width brackets do not matter
"承诺期限" = "promised_days"
"办结日期" = "completed_at"
"办理状态" = "status"
"登记时间" = "recorded_at"
"申请人姓名" = "applicant"
"证件号" = "id_number"
"手机号码" = "phone"
"数据来源" = ""               # known, not loaded
"""


def vendor_row(case_id: str, **over: str) -> list[str]:
    return [*case_row(case_id, **over), "厂商A政务服务平台", "无"]


def _store_rows(sql: str):
    con = duckdb.connect(str(publish.current_file(settings.store_path())), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_vendor_file_loads_through_a_map_in_pulse_toml(pulse_env, reference_files, tmp_path):
    (tmp_path / "pulse.toml").write_text(MAP, encoding="utf-8")
    f = write_csv(tmp_path / "vendor.csv", VENDOR_HEADER, [vendor_row("V1"), vendor_row("V2")])
    run = load([*reference_files, f])
    assert run.exit_code == 0
    report = run.reports[-1]
    assert (report.source, report.inserted, report.column_map) == ("cases", 2, "某厂商办件明细")
    assert report.unmapped == ["经办人备注"]  # 数据来源 is ignored on purpose, not unmapped
    assert _store_rows("select case_id, dept_name, applicant_masked from cases order by 1") == [
        ("V1", "社保", "张*"),
        ("V2", "社保", "张*"),
    ]
    assert _store_rows("select column_map, unmapped from loads where source = 'cases'") == [
        ("某厂商办件明细", '["经办人备注"]')
    ]
    # the contract's own headers still load without the map
    plain = write_csv(tmp_path / "plain.csv", [*CASE_HEADER, "备注"], [[*case_row("P1"), "x"]])
    again = load([plain]).reports[0]
    assert (again.inserted, again.column_map, again.unmapped) == (1, None, ["备注"])


def test_map_file_in_the_loaded_folder_applies_below_it_only(pulse_env, reference_files, tmp_path):
    exports = tmp_path / "exports"
    (exports / "vendor" / "2026-11").mkdir(parents=True)
    (exports / "vendor" / "columns.toml").write_text(MAP, encoding="utf-8")
    inside = write_csv(exports / "vendor" / "2026-11" / "a.csv", VENDOR_HEADER, [vendor_row("IN1")])
    outside = write_csv(exports / "b.csv", VENDOR_HEADER, [vendor_row("OUT1")])
    run = load([*reference_files, exports])
    by_file = {r.file: r for r in run.reports}
    assert by_file[str(inside)].inserted == 1
    assert by_file[str(inside)].column_map == "某厂商办件明细"
    assert by_file[str(outside)].status == "refused"  # the map is not in its folder
    assert "pulse inspect b.csv" in by_file[str(outside)].message
    # a file named on its own uses the map file of its own folder
    (exports / "vendor" / "2026-11" / "columns.toml").write_text(MAP, encoding="utf-8")
    alone = write_csv(exports / "vendor" / "2026-11" / "c.csv", VENDOR_HEADER, [vendor_row("C1")])
    assert load([alone]).reports[0].inserted == 1
    assert read_file(alone).column_map == "某厂商办件明细"


def test_folder_maps_can_be_switched_off(pulse_env, reference_files, tmp_path):
    (tmp_path / "pulse.toml").write_text('[columns]\nfolder_map = ""\n', encoding="utf-8")
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "columns.toml").write_text(MAP, encoding="utf-8")
    write_csv(exports / "a.csv", VENDOR_HEADER, [vendor_row("A1")])
    run = load([*reference_files, exports])
    assert [r.status for r in run.reports if r.source != "towns" and r.source != "departments"] == [
        "refused"
    ]


def test_several_maps_the_one_that_places_most_headers_wins(pulse_env, reference_files, tmp_path):
    other = MAP.replace("某厂商办件明细", "另一厂商").replace('"数据来源" = ""', "")
    hotline = """
[[columns.maps]]
source = "hotline"
name = "热线厂商"
[columns.maps.headers]
"工单号" = "ticket_id"
"处置单位" = "承办单位"
"""
    (tmp_path / "pulse.toml").write_text(other + MAP + hotline, encoding="utf-8")
    f = write_csv(tmp_path / "vendor.csv", VENDOR_HEADER, [vendor_row("V1")])
    tickets = write_csv(
        tmp_path / "t.csv",
        [
            "工单号" if h == "工单编号" else "处置单位" if h == "承办单位" else h
            for h in TICKET_HEADER
        ],
        [ticket_row("T1")],
    )
    run = load([*reference_files, f, tickets])
    assert run.exit_code == 0
    assert [(r.source, r.column_map) for r in run.reports[2:]] == [
        ("cases", "某厂商办件明细"),  # places 数据来源 too
        ("hotline", "热线厂商"),
    ]


def test_a_map_wins_over_the_contract_header_it_names(pulse_env, reference_files, tmp_path):
    """A vendor column that carries a contract header but means something else."""
    (tmp_path / "pulse.toml").write_text(
        """
[[columns.maps]]
source = "cases"
name = "内部编号另列"
[columns.maps.headers]
"业务流水号" = "case_id"
"办件编号" = ""
""",
        encoding="utf-8",
    )
    header = ["业务流水号", *CASE_HEADER]
    f = write_csv(tmp_path / "c.csv", header, [["REAL-1", *case_row("INTERNAL-9")]])
    report = load([*reference_files, f]).reports[-1]
    assert (report.inserted, report.column_map, report.unmapped) == (1, "内部编号另列", [])
    assert _store_rows("select case_id from cases") == [("REAL-1",)]


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('[[columns.maps]]\nsource = "cases"\n', "columns.maps.headers"),
        ('[[columns.maps]]\nsource = "case"\n[columns.maps.headers]\n"a" = "case_id"\n', "case"),
        (
            '[[columns.maps]]\nsource = "cases"\n[columns.maps.headers]\n"a" = "ticket_id"\n',
            "ticket_id",
        ),
        (
            '[[columns.maps]]\nsource = "cases"\nheader = 1\n[columns.maps.headers]\n"a" = "x"\n',
            "header",
        ),
    ],
)
def test_a_bad_map_stops_the_load_by_name_and_loads_nothing(
    pulse_env, reference_files, tmp_path, toml, words
):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "columns.toml").write_text(toml, encoding="utf-8")
    write_csv(exports / "c.csv", CASE_HEADER, [case_row("C1")])
    with pytest.raises(ColumnMapError) as info:
        load([*reference_files, exports])
    assert "columns.toml" in str(info.value) and words in str(info.value)
    assert publish.current_file(settings.store_path()) is None  # nothing published
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "load", str(exports)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 1 and "columns.toml" in proc.stderr and "未导入" in proc.stderr


def test_parse_maps_accepts_chinese_targets_and_normalises_headers():
    (m,) = parse_maps(
        [
            {
                "source": "cases",
                "name": "x",
                "headers": {"乡镇（街道）名称": "乡镇(街道)", "备注": ""},
            }
        ],
        "pulse.toml",
    )
    assert m.headers == {"乡镇(街道)名称": "town_code", "备注": ""}
    assert m.target(" 乡镇（街道）名称 ") == "town_code" and m.target("其他") is None
    with pytest.raises(ColumnMapError, match="一件事"):
        parse_maps([{"source": "hotline", "headers": {"a": "一件事主题"}}], "pulse.toml")


def test_cli_load_reports_unmapped_headers_in_table_and_json(pulse_env, reference_files, tmp_path):
    (tmp_path / "pulse.toml").write_text(MAP, encoding="utf-8")
    f = write_csv(tmp_path / "vendor.csv", VENDOR_HEADER, [vendor_row("V1")])
    base = [sys.executable, "-m", "dashboard.cli", "load", *map(str, reference_files), str(f)]
    table = subprocess.run(base, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert table.returncode == 0, table.stderr
    assert "未映射的列" in table.stdout and "unmapped" in table.stdout
    assert "经办人备注" in table.stdout and "某厂商办件明细" in table.stdout
    as_json = subprocess.run(
        [*base, "--report", "json"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    reports = {r["source"]: r for r in json.loads(as_json.stdout)}
    assert reports["cases"]["unmapped"] == ["经办人备注"]
    assert reports["cases"]["column_map"] == "某厂商办件明细"
    assert reports["cases"]["duplicate"] == 1  # the second run: same file again

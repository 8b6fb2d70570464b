"""Load semantics: accounting, rejects with file/row/reason, duplicates vs updates, reloads,
refused files, formats end to end — against a real DuckDB store in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest

from etl import publish, settings
from etl.load import load
from tests.conftest import CASE_HEADER, ROOT, case_row, write_csv


def _store_rows(sql: str):
    con = duckdb.connect(str(publish.current_file(settings.store_path())), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _assert_balanced(run):
    for r in run.reports:
        assert r.rows_read == r.inserted + r.updated + r.duplicate + r.rejected, r


def test_clean_load_inserts_every_row(pulse_env, reference_files, tmp_path):
    cases = write_csv(
        tmp_path / "cases.csv", CASE_HEADER, [case_row(f"C{i:03d}") for i in range(20)]
    )
    run = load([*reference_files, cases])
    _assert_balanced(run)
    by_file = {r.file.rsplit("/", 1)[-1]: r for r in run.reports}
    assert by_file["cases.csv"].inserted == 20
    assert by_file["towns.csv"].inserted == 3 and by_file["departments.csv"].inserted == 5
    assert run.exit_code == 0
    assert _store_rows("select count(*) from cases") == [(20,)]
    # deadline: accepted Mon 2026-11-02, 5 working days strictly after → Mon 2026-11-09
    assert _store_rows("select distinct deadline_at::varchar from cases") == [
        ("2026-11-09 23:59:59",)
    ]


def test_reference_files_load_first_whatever_the_order(pulse_env, reference_files, tmp_path):
    cases = write_csv(tmp_path / "cases.csv", CASE_HEADER, [case_row("C1")])
    run = load([cases, *reference_files])
    assert {r.source: r.inserted for r in run.reports}["cases"] == 1


BAD_ROWS = {
    # row in file (header is row 1) → (row values, reason)
    2: (case_row("B01", 办件编号=""), "missing_required"),
    3: (case_row("B02", 受理时间="2026-13-45 10:00"), "bad_timestamp"),
    4: (case_row("B03", 承诺时限="五"), "bad_number"),
    5: (case_row("B04", 申报方式="飞鸽传书"), "invalid_value"),
    6: (case_row("B05", **{"乡镇(街道)": "火星镇"}), "unknown_town"),
    7: (case_row("B06", 承诺时限="-1"), "negative_promised_days"),
    8: (case_row("B07", 办结时间="2026-11-01 10:00"), "completed_before_accepted"),
    9: (case_row("B08", 办件状态="已完成"), "invalid_value"),
    10: (case_row("OK1"), None),
}


def test_each_reject_reason_is_kept_with_file_row_and_raw_values(
    pulse_env, reference_files, tmp_path
):
    rows = [BAD_ROWS[n][0] for n in sorted(BAD_ROWS)]
    bad = write_csv(tmp_path / "bad_cases.csv", CASE_HEADER, rows)
    run = load([*reference_files, bad])
    _assert_balanced(run)
    report = next(r for r in run.reports if r.source == "cases")
    assert report.inserted == 1 and report.rejected == 8
    assert report.reasons == {
        "missing_required": 1,
        "bad_timestamp": 1,
        "bad_number": 1,
        "invalid_value": 2,
        "unknown_town": 1,
        "negative_promised_days": 1,
        "completed_before_accepted": 1,
    }
    stored = _store_rows(
        "select file_name, source_row, reason, detail, raw from rejects order by source_row"
    )
    assert [(f, r, why) for f, r, why, _, _ in stored] == [
        ("bad_cases.csv", n, BAD_ROWS[n][1]) for n in sorted(BAD_ROWS) if BAD_ROWS[n][1]
    ]
    details = {r: d for _, r, _, d, _ in stored}
    assert "2026-13-45" in details[3] and "受理时间" in details[3]
    assert "火星镇" in details[6]
    raw = json.loads(stored[0][4])
    assert raw["事项名称"] == "城乡居民养老保险参保登记"
    # personal data in the raw values is masked / hashed like everywhere else
    assert raw["申请人"] == "张*" and "330102198001011234" not in stored[0][4]
    assert "13812345678" not in stored[0][4]


def test_duplicates_updates_and_reload_change_nothing(pulse_env, reference_files, tmp_path):
    first = write_csv(tmp_path / "m10.csv", CASE_HEADER, [case_row("C1"), case_row("C2")])
    load([*reference_files, first])
    later = write_csv(
        tmp_path / "m11.csv",
        CASE_HEADER,
        [
            case_row("C1"),  # identical → duplicate
            case_row("C2", 办件状态="在办", 办结时间=""),  # changed → updated
            case_row("C3"),  # new → inserted
        ],
    )
    run = load([later])
    report = run.reports[0]
    assert (report.inserted, report.updated, report.duplicate, report.rejected) == (1, 1, 1, 0)
    assert _store_rows("select status, completed_at from cases where case_id = 'C2'") == [
        ("在办", None)
    ]
    before = _snapshot()
    again = load([later])  # the very same file again
    assert (again.reports[0].inserted, again.reports[0].updated) == (0, 0)
    assert _snapshot() == before
    # an older file loaded after a newer one is an update too: the last load wins, by design
    older = load([first])
    assert (older.reports[0].updated, older.reports[0].duplicate) == (1, 1)


def test_reloading_same_file_changes_nothing(pulse_env, reference_files, tmp_path):
    rows = [BAD_ROWS[n][0] for n in sorted(BAD_ROWS)] + [case_row("X1"), case_row("X1")]
    f = write_csv(tmp_path / "mixed.csv", CASE_HEADER, rows)
    first = load([*reference_files, f])
    before = _snapshot()
    second = load([*reference_files, f])
    assert _snapshot() == before
    r1 = next(r for r in first.reports if r.source == "cases")
    r2 = next(r for r in second.reports if r.source == "cases")
    assert (r2.inserted, r2.updated) == (0, 0)
    assert r2.duplicate == r1.inserted + r1.duplicate and r2.rejected == r1.rejected
    _assert_balanced(second)


def _snapshot():
    tables = ("towns", "departments", "cases", "hotline_tickets", "evaluations", "rejects")
    return {t: sorted(map(str, _store_rows(f"select * from {t}"))) for t in tables}


def test_same_id_twice_in_one_file(pulse_env, reference_files, tmp_path):
    f = write_csv(
        tmp_path / "twice.csv",
        CASE_HEADER,
        [
            case_row("D1"),
            case_row("D1"),  # identical repeat: duplicate
            case_row("D2", 办件状态="在办", 办结时间=""),
            case_row("D2"),  # changed: last row wins
        ],
    )
    report = next(r for r in load([*reference_files, f]).reports if r.source == "cases")
    assert (report.inserted, report.duplicate, report.rejected) == (2, 1, 1)
    assert report.reasons == {"superseded_in_file": 1}
    assert _store_rows("select status from cases where case_id = 'D2'") == [("办结",)]
    assert _store_rows("select source_row, reason from rejects") == [(4, "superseded_in_file")]


def test_unreadable_file_is_refused_by_name_and_others_still_load(
    pulse_env, reference_files, tmp_path
):
    strange = write_csv(tmp_path / "strange.csv", ["姓名", "年龄"], [["a", "1"]])
    good = write_csv(tmp_path / "good.csv", CASE_HEADER, [case_row("G1")])
    run = load([*reference_files, strange, good])
    assert run.exit_code == 2
    refused = [r for r in run.reports if r.status == "refused"]
    assert len(refused) == 1 and "strange.csv" in refused[0].message
    assert _store_rows("select count(*) from cases") == [(1,)]
    assert _store_rows("select status from loads where file_name = 'strange.csv'") == [("refused",)]


def test_cli_report_json_and_exit_status(pulse_env, reference_files, tmp_path):
    good = write_csv(tmp_path / "good.csv", CASE_HEADER, [case_row("G1"), case_row("G2")])
    missing = tmp_path / "nope.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "load",
            *map(str, reference_files),
            str(good),
            str(missing),
            "--report",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    reports = json.loads(proc.stdout)
    keys = {
        "file",
        "source",
        "rows_read",
        "inserted",
        "updated",
        "duplicate",
        "rejected",
        "reasons",
    }
    assert all(keys <= set(r) for r in reports)
    assert [r["inserted"] for r in reports if r["source"] == "cases"] == [2]
    assert "nope.csv" in proc.stderr


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_and_title_rows_end_to_end(pulse_env, reference_files, tmp_path, encoding):
    f = write_csv(
        tmp_path / f"cases_{encoding}.csv",
        CASE_HEADER,
        [case_row("E1", 申请人="欧阳娜娜"), case_row("E2")],
        encoding=encoding,
        title=["示范县2026年11月办件明细表", "导出时间：2026-11-05 08:00:00", ""],
    )
    run = load([*reference_files, f])
    report = next(r for r in run.reports if r.source == "cases")
    assert report.inserted == 2
    assert str(report.extracted_at) == "2026-11-05 08:00:00"
    assert _store_rows("select applicant_masked from cases order by case_id") == [
        ("欧阳**",),
        ("张*",),
    ]


def test_excel_with_title_rows(pulse_env, reference_files, tmp_path):
    import xlsxwriter

    path = tmp_path / "cases.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.merge_range(0, 0, 0, 5, "示范县2026年11月办件明细表")
    sheet.write_row(2, 0, CASE_HEADER)
    sheet.write_row(3, 0, case_row("X1"))
    book.close()
    run = load([*reference_files, path])
    report = next(r for r in run.reports if r.source == "cases")
    assert (report.rows_read, report.inserted) == (1, 1)


def test_configured_alias_maps_a_value_in(pulse_env, reference_files, tmp_path):
    (tmp_path / "pulse.toml").write_text(
        '[validation.aliases]\nchannel = { "网上申报" = "网上办理" }\n', encoding="utf-8"
    )
    f = write_csv(
        tmp_path / "alias.csv",
        CASE_HEADER,
        [case_row("A1", 申报方式="网上申报"), case_row("A2", 申报方式="信鸽")],
    )
    report = next(r for r in load([*reference_files, f]).reports if r.source == "cases")
    assert (report.inserted, report.reasons) == (1, {"invalid_value": 1})
    assert _store_rows("select channel from cases") == [("网上办理",)]


# --------------------------------------------------------------------------- numbers in text
# Issue 13: phone and ID numbers are masked in every text column at load, and in the raw
# values and details of rejected rows; identifiers are kept whole.

PHONE, ID_NO = "13812345678", "11010119900307451X"
PHONE_MASKED, ID_MASKED = "138****5678", "110*************1X"


def _no_number_left(text: str) -> bool:
    return PHONE not in text and ID_NO not in text and "19900307" not in text


def test_numbers_masked_in_every_text_column_of_cases_tickets_and_evaluations(
    pulse_env, reference_files, tmp_path
):
    from tests.conftest import EVAL_HEADER, TICKET_HEADER, eval_row, ticket_row

    cases = write_csv(
        tmp_path / "c.csv",
        CASE_HEADER,
        [
            case_row("M1", 事项名称=f"养老保险参保登记（咨询{PHONE}）"),
            case_row("M2", 受理部门=f"社保{ID_NO}"),
            # a rejected row: numbers in a text column, an identifier and the bad value itself
            case_row(f"R{PHONE}", 事项名称=f"登记{ID_NO}", 受理时间=f"2026-11-02 {PHONE}"),
        ],
    )
    tickets = write_csv(
        tmp_path / "t.csv",
        TICKET_HEADER,
        [
            ticket_row("T1", 一级分类=f"社会保障 {PHONE}", 承办单位=f"社保{ID_NO}"),
            ticket_row("T2", 一级分类=f"社会保障{ID_NO}", 诉求类型="表扬"),  # rejected
        ],
    )
    evals = write_csv(
        tmp_path / "e.csv",
        EVAL_HEADER,
        [
            eval_row("V1", 评价部门=f"社保 {PHONE}"),
            eval_row("V2", 评价部门=f"社保{PHONE}", 评价等级="很好"),  # rejected
        ],
    )
    run = load([*reference_files, cases, tickets, evals])
    _assert_balanced(run)
    assert sum(r.rejected for r in run.reports) == 3
    assert _store_rows("select case_id, item_name, dept_name from cases order by 1") == [
        ("M1", f"养老保险参保登记（咨询{PHONE_MASKED}）", "社保"),
        ("M2", "城乡居民养老保险参保登记", f"社保{ID_MASKED}"),
    ]
    assert _store_rows("select topic, dept_name from hotline_tickets") == [
        (f"社会保障 {PHONE_MASKED}", f"社保{ID_MASKED}")
    ]
    assert _store_rows("select dept_name from evaluations") == [(f"社保 {PHONE_MASKED}",)]
    rejects = _store_rows("select source, detail, raw::varchar from rejects order by source")
    assert [r[0] for r in rejects] == ["cases", "evaluations", "hotline"]
    for _, detail, raw in rejects:
        assert _no_number_left(detail) and _no_number_left(raw), (detail, raw)
    case_raw = json.loads(rejects[0][2])
    assert case_raw["办件编号"] == f"R{PHONE_MASKED}"
    assert case_raw["事项名称"] == f"登记{ID_MASKED}"
    assert f"「2026-11-02 {PHONE_MASKED}」" in rejects[0][1]
    assert json.loads(rejects[2][2])["一级分类"] == f"社会保障{ID_MASKED}"
    # identifiers stay whole: an evaluation still finds its case by number
    assert _store_rows("select count(*) from cases where case_id = 'M1'") == [(1,)]


def test_reference_names_masked_alike_so_departments_still_match(
    pulse_env, reference_files, tmp_path
):
    towns, _ = reference_files
    depts = write_csv(
        tmp_path / "departments.csv",
        ["部门名称", "乡镇代码", "应进驻"],
        [[f"社保{PHONE}", "339901001000", "是"]],
    )
    cases = write_csv(tmp_path / "c.csv", CASE_HEADER, [case_row("D1", 受理部门=f"社保{PHONE}")])
    assert load([towns, depts, cases]).exit_code == 0
    assert _store_rows("select dept_name from departments") == [(f"社保{PHONE_MASKED}",)]
    assert _store_rows(
        "select count(*) from cases c join departments d using (town_code, dept_name)"
    ) == [(1,)]


def test_refusal_message_quoting_cells_is_masked(pulse_env, reference_files, tmp_path):
    # the widest of the first rows is quoted as "headers seen": here a data row
    strange = write_csv(tmp_path / "strange.csv", ["姓名"], [["张三", PHONE, "某地"]])
    run = load([strange])
    assert run.exit_code == 2
    (message,) = _store_rows("select message from loads where status = 'refused'")[0]
    assert "strange.csv" in message and PHONE_MASKED in message and PHONE not in message
    assert run.reports[0].message == message


def test_older_store_has_its_text_masked_once_and_reloads_stay_duplicates(
    pulse_env, reference_files, tmp_path, monkeypatch
):
    """A store written before every text column was masked: the next load masks what it
    holds (rejects too) and rehashes the records, so its files reload as duplicates."""
    from etl.load import TEXT_MASKING, _row_hash, _store_columns
    from etl.sources import cases as cases_source

    f = write_csv(
        tmp_path / "c.csv",
        CASE_HEADER,
        [case_row("O1", 事项名称=f"登记{PHONE}"), case_row("O2"), case_row("O3", 承诺时限="五")],
    )
    # the older store is a single file (a Parquet store is converted by the next load)
    fmt = os.environ.get("PULSE_STORE_FORMAT")
    monkeypatch.setenv("PULSE_STORE_FORMAT", "duckdb")
    assert load([*reference_files, f]).exit_code == 0
    monkeypatch.setenv("PULSE_STORE_FORMAT", fmt or "duckdb")
    # make it look like an older store: text in clear, hashed in clear, no masking mark
    con = duckdb.connect(str(publish.current_file(settings.store_path())))
    in_clear = _row_hash(_store_columns(cases_source.SOURCE), lambda c: c.name)
    con.execute(f"update cases set item_name = '登记{PHONE}' where case_id = 'O1'")
    con.execute(f"update cases set row_hash = {in_clear}")
    con.execute(f"update rejects set detail = detail || ' {ID_NO}'")
    con.execute("delete from store_meta where key = 'text_masking'")
    con.close()
    assert _store_rows("select item_name from cases where case_id = 'O1'") == [(f"登记{PHONE}",)]

    nothing = write_csv(tmp_path / "empty.csv", CASE_HEADER, [])
    load([nothing])
    assert _store_rows("select item_name from cases where case_id = 'O1'") == [
        (f"登记{PHONE_MASKED}",)
    ]
    assert all(_no_number_left(d) for (d,) in _store_rows("select detail from rejects"))
    assert _store_rows("select value from store_meta where key = 'text_masking'") == [
        (TEXT_MASKING,)
    ]
    again = next(r for r in load([f]).reports if r.source == "cases")
    assert (again.inserted, again.updated, again.duplicate) == (0, 0, 2)

"""Indicators (contract §7) on tiny hand-computed stores, and the CLI's output shape."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime

import pytest

from dashboard.domain.metrics import INDICATORS, metrics
from dashboard.domain.trace import TRACES, rows_behind
from dashboard.store import Store
from etl.load import load
from tests.conftest import (
    CASE_HEADER,
    EVAL_HEADER,
    ROOT,
    TICKET_HEADER,
    TOWNS,
    case_row,
    eval_row,
    ticket_row,
    write_csv,
)

CITY = "339901001000"  # 城关街道


def _town(frame, code=CITY) -> dict:
    return frame.filter(frame["town_code"] == code).row(0, named=True)


def _load(tmp_path, reference_files, cases=(), evals=(), tickets=()):
    files = list(reference_files)
    if cases:
        files.append(write_csv(tmp_path / "c.csv", CASE_HEADER, list(cases)))
    if evals:
        files.append(write_csv(tmp_path / "e.csv", EVAL_HEADER, list(evals)))
    if tickets:
        files.append(write_csv(tmp_path / "t.csv", TICKET_HEADER, list(tickets)))
    run = load(files)
    assert run.exit_code == 0 and all(r.rejected == 0 for r in run.reports), run.reports
    return Store()


def test_deadline_across_national_day_2026(pulse_env, reference_files, tmp_path):
    # accepted Wed 2026-09-30, 1 working day: Oct 1–7 are off → deadline Thu 2026-10-08
    store = _load(
        tmp_path,
        reference_files,
        cases=[
            case_row(
                "ND1", 受理时间="2026-09-30 10:00", 承诺时限="1", 办结时间="2026-10-08 23:59:59"
            ),
            case_row(
                "ND2", 受理时间="2026-09-30 10:00", 承诺时限="1", 办结时间="2026-10-09 00:00:00"
            ),
            # accepted Sat 2026-09-19; Sun 2026-09-20 is an adjusted working day (调休)
            case_row("ND3", 受理时间="2026-09-19 10:00", 承诺时限="1", 办结时间="2026-09-20 18:00"),
            # 5 days from Fri 2026-09-25: Sep 28, 29, 30, Oct 8, Oct 9 (Oct 10 Sat is worked, later)
            case_row("ND4", 受理时间="2026-09-25 10:00", 承诺时限="5", 办结时间="2026-10-10 09:00"),
        ],
    )
    deadlines = dict(
        store.sql("select case_id, deadline_at::varchar from cases", whole_county=True).iter_rows()
    )
    assert deadlines == {
        "ND1": "2026-10-08 23:59:59",
        "ND2": "2026-10-08 23:59:59",
        "ND3": "2026-09-20 23:59:59",
        "ND4": "2026-10-09 23:59:59",
    }
    row = _town(metrics(store, date(2026, 9, 1), date(2026, 10, 31)))
    assert row["completed"] == 4
    assert row["overdue_completed"] == 2  # ND2 by one second, ND4 by a day
    assert row["on_time_rate"] == pytest.approx(0.5)


def test_immediate_case_on_a_weekend_and_completion_at_the_last_second(
    pulse_env, reference_files, tmp_path
):
    store = _load(
        tmp_path,
        reference_files,
        cases=[
            # 即办件 accepted Saturday: deadline is the end of that Saturday
            case_row(
                "J1", 受理时间="2026-11-07 10:00", 承诺时限="0", 办结时间="2026-11-07 23:59:59"
            ),
            case_row("J2", 受理时间="2026-11-07 10:00", 承诺时限="0", 办结时间="2026-11-09 09:00"),
        ],
    )
    row = _town(metrics(store, date(2026, 11, 1), date(2026, 11, 30)))
    assert (row["completed"], row["overdue_completed"], row["on_time_rate"]) == (2, 1, 0.5)


def test_overdue_and_warning_horizon_over_a_weekend(pulse_env, reference_files, tmp_path):
    open_case = {"办结时间": "", "办件状态": "在办"}
    store = _load(
        tmp_path,
        reference_files,
        cases=[
            # deadlines: W1 Fri 11-06 (today), W2 Mon 11-09 (first working day after Friday),
            # W3 Tue 11-10 (too far), W4 Thu 11-05 (passed), W5 Mon 11-09 but 不予受理
            case_row("W1", 受理时间="2026-11-06 09:00", 承诺时限="0", **open_case),
            case_row("W2", 受理时间="2026-11-06 09:00", 承诺时限="1", **open_case),
            case_row("W3", 受理时间="2026-11-06 09:00", 承诺时限="2", **open_case),
            case_row("W4", 受理时间="2026-11-05 09:00", 承诺时限="0", **open_case),
            case_row(
                "W5", 受理时间="2026-11-06 09:00", 承诺时限="1", 办结时间="", 办件状态="不予受理"
            ),
        ],
    )
    as_of = datetime(2026, 11, 6, 10, 0)  # a Friday morning
    row = _town(metrics(store, date(2026, 11, 1), date(2026, 11, 30), as_of=as_of))
    assert (row["overdue_open"], row["warning_open"]) == (1, 2)
    warned = rows_behind(
        store, "warning_open", date(2026, 11, 1), date(2026, 11, 30), town=CITY, as_of=as_of
    )
    assert sorted(warned["case_id"]) == ["W1", "W2"]
    # the same cases on Saturday: W1 passed midnight → overdue; Monday's first working day
    # after Saturday is Monday itself → W2 still warned, W3 (Tue) not
    later = _town(
        metrics(store, date(2026, 11, 1), date(2026, 11, 30), as_of=datetime(2026, 11, 7, 10, 0))
    )
    assert (later["overdue_open"], later["warning_open"]) == (2, 1)


def test_zero_denominators_give_empty_rates_and_every_town_appears(
    pulse_env, reference_files, tmp_path
):
    store = _load(tmp_path, reference_files, cases=[case_row("Z1", 办结时间="", 办件状态="在办")])
    frame = metrics(store, date(2026, 11, 1), date(2026, 11, 30))
    assert sorted(frame["town_code"]) == sorted(t[0] for t in TOWNS)
    quiet = _town(frame, "339901201000")
    assert quiet["cases"] == 0
    for rate in [c for c in INDICATORS if c.endswith("_rate")]:
        assert quiet[rate] is None, rate
    busy = _town(frame)
    assert busy["online_rate"] == 0.0 and busy["on_time_rate"] is None  # none completed yet


def test_updated_case_counted_once(pulse_env, reference_files, tmp_path):
    _load(tmp_path, reference_files, cases=[case_row("U1", 办结时间="", 办件状态="在办")])
    later = write_csv(tmp_path / "later.csv", CASE_HEADER, [case_row("U1")])
    assert load([later]).reports[0].updated == 1
    row = _town(metrics(Store(), date(2026, 11, 1), date(2026, 11, 30)))
    assert (row["cases"], row["completed"]) == (1, 1)


def test_evaluation_indicators(pulse_env, reference_files, tmp_path):
    store = _load(
        tmp_path,
        reference_files,
        cases=[case_row("E1"), case_row("E2"), case_row("E3")],
        evals=[
            eval_row("V1", 办件编号="E1", 评价等级="非常满意"),
            eval_row("V2", 办件编号="E1", 评价等级="3"),
            eval_row(
                "V3",
                办件编号="E2",
                评价等级="不满意",
                整改状态="已整改",
                整改完成时间="2026-11-05 10:00",
            ),
            # rated Tue 11-03; 10 working days → deadline Tue 11-17 23:59:59; still open
            eval_row("V4", 评价等级="1", 整改状态="整改中"),
            eval_row("V5", 办件编号="NOPE", 评价等级="满意"),  # names a case we do not have
        ],
    )
    frame = metrics(
        store, date(2026, 11, 1), date(2026, 11, 30), as_of=datetime(2026, 11, 18, 8, 0)
    )
    row = _town(frame)
    assert row["evaluations"] == 5
    assert row["satisfaction_rate"] == pytest.approx(3 / 5)
    assert row["bad_reviews"] == 2 and row["rectify_rate"] == pytest.approx(0.5)
    assert row["evaluation_rate"] == pytest.approx(2 / 3)  # E1, E2 of three completed
    assert row["rectify_overdue"] == 1  # V4 past its deadline on 11-18


def test_evaluated_follows_later_loads(pulse_env, reference_files, tmp_path):
    """评价率's numerator is kept on the case at every load: an evaluation loaded after its
    case counts, and an evaluation corrected to name another case moves the count."""
    cases = write_csv(tmp_path / "c.csv", CASE_HEADER, [case_row("L1"), case_row("L2")])
    assert load([*reference_files, cases]).exit_code == 0
    period = (date(2026, 11, 1), date(2026, 11, 30))
    as_of = datetime(2026, 11, 18, 8, 0)

    def counted() -> list[str]:
        rows = rows_behind(Store(), "evaluation_rate", *period, as_of=as_of)
        return sorted(rows.filter(rows["counted"])["case_id"])

    assert counted() == []
    first = write_csv(tmp_path / "e1.csv", EVAL_HEADER, [eval_row("W1", 办件编号="L1")])
    assert load([first]).exit_code == 0
    assert counted() == ["L1"]
    assert _town(metrics(Store(), *period, as_of=as_of))["evaluation_rate"] == pytest.approx(0.5)

    fixed = write_csv(tmp_path / "e2.csv", EVAL_HEADER, [eval_row("W1", 办件编号="L2")])
    assert load([fixed]).exit_code == 0
    assert counted() == ["L2"]
    assert _town(metrics(Store(), *period, as_of=as_of))["evaluation_rate"] == pytest.approx(0.5)


def test_hotline_indicators(pulse_env, reference_files, tmp_path):
    store = _load(
        tmp_path,
        reference_files,
        tickets=[
            ticket_row("T1", 满意度="满意"),
            ticket_row("T2", 满意度="基本满意", 办结时间="2026-11-06 09:00"),  # after due
            ticket_row("T3", 满意度="不满意"),
            ticket_row("T4", 满意度=""),  # 未评价: not in the satisfaction denominator
            ticket_row("T5", 办结时间="", 工单状态="办理中", 满意度=""),  # open, past due on 11-06
            ticket_row("T6", 办结时间="", 工单状态="已退单", 满意度=""),  # returned: not overdue
        ],
    )
    row = _town(
        metrics(store, date(2026, 11, 1), date(2026, 11, 30), as_of=datetime(2026, 11, 6, 12, 0))
    )
    assert row["hotline_tickets"] == 6
    assert row["hotline_satisfaction_rate"] == pytest.approx(2 / 3)
    assert row["hotline_on_time_rate"] == pytest.approx(3 / 4)
    assert row["hotline_overdue_open"] == 1


def test_traceability_rows_count_exactly_the_figure(pulse_env, reference_files, tmp_path):
    store = _load(
        tmp_path,
        reference_files,
        cases=[
            case_row(f"R{i}", 申报方式="网上办理" if i % 3 == 0 else "窗口办理") for i in range(12)
        ],
    )
    row = _town(metrics(store, date(2026, 11, 1), date(2026, 11, 30)))
    for name in ("cases", "online_cases", "completed"):
        rows = rows_behind(store, name, date(2026, 11, 1), date(2026, 11, 30), town=CITY)
        assert rows.height == row[name], name
    rate = rows_behind(store, "online_rate", date(2026, 11, 1), date(2026, 11, 30), town=CITY)
    assert rate["counted"].sum() / rate.height == pytest.approx(row["online_rate"])
    assert set(TRACES) >= set(INDICATORS) - {"outside_system_depts"}

    # pages of a sorted list (明细's grid) cover every row once, in the asked order
    nov = (date(2026, 11, 1), date(2026, 11, 30))
    pages = [
        rows_behind(store, "online_rate", *nov, town=CITY, limit=5, offset=o, sort=("counted", 1))
        for o in (0, 5, 10)
    ]
    ids = [i for p in pages for i in p["case_id"]]
    assert sorted(ids) == sorted(rate["case_id"]) and len(set(ids)) == 12
    assert [c for p in pages for c in p["counted"]] == [True] * 4 + [False] * 8
    # a field the trace does not have falls back to time order, never into the SQL
    odd = rows_behind(store, "cases", *nov, town=CITY, sort=("1; drop table cases", True))
    assert (
        odd["case_id"].to_list()
        == rows_behind(store, "cases", *nov, town=CITY)["case_id"].to_list()
    )


def test_cli_metrics_csv_shape(pulse_env, reference_files, tmp_path):
    _load(tmp_path, reference_files, cases=[case_row("C1"), case_row("C2", 申报方式="网上办理")])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "metrics",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["town_code", "town_name", *INDICATORS]
    assert INDICATORS.index("evaluation_rate") == INDICATORS.index("rectify_rate") + 1
    body = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(body) == {t[0] for t in TOWNS}
    assert body[CITY]["online_rate"] == "0.5000" and body[CITY]["cases"] == "2"
    assert body["339901201000"]["online_rate"] == ""  # empty rate: empty cell
    by_dept = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "metrics",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--by",
            "dept",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    header = next(csv.reader(io.StringIO(by_dept.stdout)))
    assert header[:3] == ["town_code", "town_name", "dept_name"]

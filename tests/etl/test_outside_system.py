"""体外循环 (issue 4): each signal built from a handful of rows, just below and just above
its thresholds; the rollups giving exactly the raw definitions; and the demo county, where
exactly the planted departments are flagged."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.domain import outside_system
from dashboard.domain.metrics import INDICATORS, Params, metrics
from dashboard.store import Store
from etl import demo, settings
from etl.load import load
from tests.conftest import CASE_HEADER, EVAL_HEADER, ROOT, case_row, eval_row, write_csv

CITY, GREEN, CLOUD = "339901001000", "339901101000", "339901201000"  # 城关街道, 青石镇, 白云乡
AS_OF = datetime(2026, 12, 1, 8, 0)
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _case(case_id: str, accepted: datetime, recorded: datetime | None = None, **over) -> list:
    """A completed case (completed at the end of November unless said otherwise)."""
    fields = {
        "受理时间": _ts(accepted),
        "录入时间": _ts(recorded or accepted + timedelta(minutes=2)),
        "办结时间": "2026-11-30 16:00:00",
    }
    return case_row(case_id, **(fields | over))


def _store(tmp_path, reference_files, cases=(), evals=()) -> Store:
    files = list(reference_files)
    if cases:
        files.append(write_csv(tmp_path / "c.csv", CASE_HEADER, list(cases)))
    if evals:
        files.append(write_csv(tmp_path / "e.csv", EVAL_HEADER, list(evals)))
    run = load(files)
    assert run.exit_code == 0 and all(r.rejected == 0 for r in run.reports), run.reports
    return Store()


def _signals(store: Store, start: date, end: date) -> pl.DataFrame:
    """All judged signals of the period; the rollups must give exactly the raw definition."""
    params = Params(start, end, AS_OF)
    fast = outside_system.signals(store, params)
    assert_frame_equal(fast, outside_system.signals(store, params, raw=True))
    return fast


def _row(frame: pl.DataFrame, town: str, dept: str, signal: str) -> dict | None:
    rows = frame.filter(
        (pl.col("town_code") == town) & (pl.col("dept_name") == dept) & (pl.col("signal") == signal)
    )
    return rows.row(0, named=True) if rows.height else None


def _flagged(frame: pl.DataFrame) -> set[tuple[str, str, str]]:
    return {
        (r["town_code"], r["dept_name"], r["signal"])
        for r in frame.filter(pl.col("flagged")).iter_rows(named=True)
    }


def _evidence_ids(store: Store, town: str, dept: str, signal: str, period=NOV) -> set[str]:
    frame = outside_system.evidence(store, Params(*period, AS_OF), town, dept, signal, limit=10_000)
    return set(frame[frame.columns[0]])


MON = datetime(2026, 11, 2, 9, 0)  # Monday 2 November 2026


def test_late_entry_counts_working_days_after_the_acceptance_date(
    pulse_env, reference_files, tmp_path
):
    fri, sat = datetime(2026, 11, 6, 10, 0), datetime(2026, 11, 7, 10, 0)
    cases = [
        _case("L1", fri, datetime(2026, 11, 9, 9, 0)),  # Monday: 1st working day after
        _case("L2", fri, datetime(2026, 11, 10, 9, 0)),  # Tuesday: 2nd → late
        _case("L3", sat, datetime(2026, 11, 9, 17, 0)),  # Saturday → Monday: 1st
        _case("L4", sat, datetime(2026, 11, 10, 8, 0)),  # Saturday → Tuesday: 2nd → late
        # National Day 2026: Oct 1–7 off, so Oct 8 is the 1st working day after Sep 30
        _case("L5", datetime(2026, 9, 30, 16, 0), datetime(2026, 10, 8, 9, 0)),
        _case("L6", datetime(2026, 9, 30, 16, 0), datetime(2026, 10, 9, 9, 0)),
        _case("L7", MON, MON + timedelta(hours=8)),  # same day, hours later
    ]
    store = _store(tmp_path, reference_files, cases)
    frame = _signals(store, date(2026, 9, 1), date(2026, 11, 30))
    row = _row(frame, CITY, "社保", "late_entry")
    assert (row["hits"], row["volume"]) == (3, 7)
    assert row["value"] == pytest.approx(3 / 7)
    assert not row["flagged"]  # 7 cases: below the minimum volume
    assert row["avg_late_lag"] == pytest.approx(2.0)
    late = outside_system.evidence(
        store, Params(date(2026, 9, 1), date(2026, 11, 30), AS_OF), CITY, "社保", "late_entry"
    )
    assert sorted(late["case_id"]) == ["L2", "L4", "L6"]
    assert set(late["entry_lag"]) == {2}


def test_late_entry_share_and_volume_borderlines(pulse_env, reference_files, tmp_path):
    def dept(prefix: str, town: str, name: str, n: int, n_late: int) -> list:
        rows = []
        for i in range(n):
            accepted = MON + timedelta(minutes=7 * i)
            recorded = accepted + timedelta(days=3) if i < n_late else None  # Thursday
            rows.append(
                _case(f"{prefix}{i}", accepted, recorded, **{"乡镇(街道)": town, "受理部门": name})
            )
        return rows

    store = _store(
        tmp_path,
        reference_files,
        dept("A", "城关街道", "社保", 20, 6)  # 30%: at the threshold → flagged
        + dept("B", "城关街道", "民政", 20, 5)  # 25%: below
        + dept("C", "青石镇", "社保", 19, 19)  # 100% of 19 cases: too few
        + dept("D", "白云乡", "司法", 3, 3),  # 3 cases
    )
    frame = _signals(store, *NOV)
    assert _row(frame, CITY, "社保", "late_entry")["value"] == pytest.approx(0.3)
    assert _row(frame, CITY, "民政", "late_entry")["value"] == pytest.approx(0.25)
    assert _row(frame, GREEN, "社保", "late_entry")["value"] == 1.0
    assert _flagged(frame) == {(CITY, "社保", "late_entry")}
    assert _evidence_ids(store, CITY, "社保", "late_entry") == {f"A{i}" for i in range(6)}


def test_batch_entry_needs_a_burst_above_the_departments_pace_and_a_lag(
    pulse_env, reference_files, tmp_path
):
    fri_1610 = datetime(2026, 11, 6, 16, 10)
    wed_1610 = datetime(2026, 11, 4, 16, 10)

    def rows(prefix, town, dept, n_burst, n_live=0, burst_at=fri_1610, stray=0):
        out = []
        where = {"乡镇(街道)": town, "受理部门": dept}
        for i in range(n_burst):  # accepted on Monday, typed in one after another later
            accepted = MON + timedelta(minutes=10 * i)
            out.append(
                _case(f"{prefix}B{i}", accepted, burst_at + timedelta(seconds=6 * i), **where)
            )
        for i in range(stray):  # late as well, but on their own
            accepted = MON + timedelta(minutes=10 * i + 5)
            out.append(_case(f"{prefix}S{i}", accepted, accepted + timedelta(days=3), **where))
        for i in range(n_live):  # entered live, seconds apart (a busy window)
            accepted = MON + timedelta(hours=1, seconds=5 * i)
            out.append(_case(f"{prefix}L{i}", accepted, accepted + timedelta(seconds=30), **where))
        return out

    store = _store(
        tmp_path,
        reference_files,
        rows("A", "城关街道", "社保", 20)  # a burst of 20, 4 working days late: batch
        + rows("B", "城关街道", "民政", 19, stray=1)  # 19 in the burst: no burst
        + rows("C", "青石镇", "社保", 0, n_live=60)  # 60 in 5 minutes, live: never batch
        # one working day of data: 100 cases are a pace of 100/48 per 10 minutes, so a burst
        # must reach 10 × 2.08 = 20.8 records
        + rows("D", "白云乡", "司法", 21, n_live=79, burst_at=wed_1610)
        + rows("E", "白云乡", "民政", 20, n_live=80, burst_at=wed_1610),
    )
    frame = _signals(store, *NOV)
    a = _row(frame, CITY, "社保", "batch_entry")
    assert (a["hits"], a["volume"], a["max_burst"], a["flagged"]) == (20, 20, 20, True)
    assert a["batch_period_end"] == 20  # Friday: the last working day of the week
    assert _row(frame, CITY, "民政", "batch_entry")["hits"] == 0
    assert _row(frame, GREEN, "社保", "batch_entry")["hits"] == 0
    d = _row(frame, CLOUD, "司法", "batch_entry")
    assert d["burst_threshold"] == pytest.approx(10 * 100 / 48)
    assert (d["hits"], d["batch_period_end"]) == (21, 0)  # Wednesday
    assert not d["flagged"]  # 21% of its cases: below 30%
    assert _row(frame, CLOUD, "民政", "batch_entry")["hits"] == 0
    assert {s for s in _flagged(frame) if s[2] == "batch_entry"} == {(CITY, "社保", "batch_entry")}
    assert _evidence_ids(store, CITY, "社保", "batch_entry") == {f"AB{i}" for i in range(20)}
    assert _evidence_ids(store, CLOUD, "司法", "batch_entry") == {f"DB{i}" for i in range(21)}


def test_batch_entry_share_borderline(pulse_env, reference_files, tmp_path):
    burst_at = datetime(2026, 11, 6, 16, 10)

    def rows(prefix, dept, n_live):
        out = []
        where = {"受理部门": dept}
        for i in range(20):
            accepted = MON + timedelta(minutes=10 * i)
            out.append(
                _case(f"{prefix}B{i}", accepted, burst_at + timedelta(seconds=6 * i), **where)
            )
        for i in range(n_live):
            accepted = MON + timedelta(minutes=9 * i + 3)
            out.append(_case(f"{prefix}L{i}", accepted, **where))
        return out

    # 20 of 66 cases = 30.3% → flagged; 20 of 67 = 29.9% → not
    store = _store(tmp_path, reference_files, rows("A", "社保", 46) + rows("B", "民政", 47))
    frame = _signals(store, *NOV)
    assert _row(frame, CITY, "社保", "batch_entry")["value"] == pytest.approx(20 / 66)
    assert _row(frame, CITY, "民政", "batch_entry")["value"] == pytest.approx(20 / 67)
    # (the burst cases are late as well: 30.3% late flags 社保 for late entry too)
    assert _flagged(frame) == {(CITY, "社保", "batch_entry"), (CITY, "社保", "late_entry")}


def test_instant_closure_borderlines(pulse_env, reference_files, tmp_path):
    def rows(prefix, dept, instant_seconds):
        out = []
        where = {"受理部门": dept}
        for i in range(20 - len(instant_seconds)):  # closed on a later day
            out.append(_case(f"{prefix}N{i}", MON + timedelta(minutes=i), **where))
        for i, secs in enumerate(instant_seconds):
            accepted = MON + timedelta(hours=2, minutes=i)
            done = _ts(accepted + timedelta(seconds=secs))
            out.append(_case(f"{prefix}I{i}", accepted, **where, 办结时间=done))
        return out

    quick = _ts(MON + timedelta(minutes=1))
    extra = [
        # 即办件: closing at once is its nature, not counted
        _case("X1", MON, 承诺时限="0", 办结时间=quick),
        # refused at once: not a completion
        _case("X2", MON, 办结时间=quick, 办件状态="不予受理"),
        _case("X3", MON, 办结时间="", 办件状态="在办"),
    ]
    store = _store(
        tmp_path,
        reference_files,
        rows("A", "社保", [60, 120, 300, 599])
        + extra  # 4 of 20 within 10 minutes: 20%
        + rows("B", "民政", [60, 120, 599, 600]),  # 600 s is not within 10 minutes: 15%
    )
    frame = _signals(store, *NOV)
    a = _row(frame, CITY, "社保", "instant_closure")
    assert (a["hits"], a["volume"], a["value"]) == (4, 20, pytest.approx(0.2))
    b = _row(frame, CITY, "民政", "instant_closure")
    assert (b["hits"], b["volume"]) == (3, 20)
    assert _flagged(frame) == {(CITY, "社保", "instant_closure")}
    assert _evidence_ids(store, CITY, "社保", "instant_closure") == {f"AI{i}" for i in range(4)}


def test_missing_case_refs_borderlines_and_grace(pulse_env, reference_files, tmp_path):
    # the loaded cases start on 3 August: evaluations before 2 October (60 days) may name
    # cases accepted before the data starts, and are not judged
    cases = [_case("E0", datetime(2026, 8, 3, 9, 0), **{"受理部门": "司法"})]
    cases += [_case(f"R{i}", MON + timedelta(minutes=i)) for i in range(20)]
    cases += [_case(f"Q{i}", MON + timedelta(minutes=i), **{"受理部门": "民政"}) for i in range(20)]
    rated = "2026-11-10 10:00:00"

    def evals(prefix, dept, n_real, n_ghost):
        real = "R" if dept == "社保" else "Q"
        out = [
            eval_row(f"{prefix}V{i}", 办件编号=f"{real}{i}", 评价部门=dept, 评价时间=rated)
            for i in range(n_real)
        ]
        out += [
            eval_row(f"{prefix}G{i}", 办件编号=f"GHOST{prefix}{i}", 评价部门=dept, 评价时间=rated)
            for i in range(n_ghost)
        ]
        out += [eval_row(f"{prefix}N{i}", 评价部门=dept, 评价时间=rated) for i in range(5)]
        return out

    store = _store(
        tmp_path,
        reference_files,
        cases,
        evals("A", "社保", 16, 4)  # 4 of 20 naming a case: 20% → flagged
        + evals("B", "民政", 17, 3)  # 15%
        + [eval_row("EARLY", 办件编号="GHOSTX", 评价部门="社保", 评价时间="2026-09-15 10:00")],
    )
    frame = _signals(store, date(2026, 8, 1), date(2026, 11, 30))
    a = _row(frame, CITY, "社保", "missing_case_refs")
    assert (a["hits"], a["volume"], a["value"]) == (4, 20, pytest.approx(0.2))
    b = _row(frame, CITY, "民政", "missing_case_refs")
    assert (b["hits"], b["volume"]) == (3, 20)
    assert _flagged(frame) == {(CITY, "社保", "missing_case_refs")}
    assert _evidence_ids(store, CITY, "社保", "missing_case_refs") == {f"AG{i}" for i in range(4)}
    september = _signals(store, date(2026, 9, 1), date(2026, 9, 30))
    assert _row(september, CITY, "社保", "missing_case_refs") is None


def test_evaluations_without_cases_borderlines(pulse_env, reference_files, tmp_path):
    def dept(prefix, town, name, n_cases, n_evals):
        where = {"乡镇(街道)": town, "受理部门": name}
        cases = [
            _case(f"{prefix}C{i}", MON + timedelta(minutes=i), **where) for i in range(n_cases)
        ]
        evals = [
            eval_row(f"{prefix}V{i}", **{"乡镇(街道)": town, "评价部门": name})
            for i in range(n_evals)
        ]
        return cases, evals

    parts = [
        dept("A", "青石镇", "社保", 4, 20),  # 5 evaluations per case → flagged
        dept("B", "城关街道", "民政", 5, 20),  # 4 per case
        dept("C", "白云乡", "测试", 0, 19),  # no case, but only 19 evaluations
    ]
    store = _store(
        tmp_path,
        reference_files,
        [c for p in parts for c in p[0]],
        [e for p in parts for e in p[1]],
    )
    frame = _signals(store, *NOV)
    assert _row(frame, GREEN, "社保", "evals_without_cases")["value"] == pytest.approx(5.0)
    assert _row(frame, CITY, "民政", "evals_without_cases")["value"] == pytest.approx(4.0)
    assert _row(frame, CLOUD, "测试", "evals_without_cases")["value"] == pytest.approx(19.0)
    assert _flagged(frame) == {(GREEN, "社保", "evals_without_cases")}
    assert len(_evidence_ids(store, GREEN, "社保", "evals_without_cases")) == 20


def test_stationed_silent_needs_a_long_enough_period(pulse_env, reference_files, tmp_path):
    # November 2026: working days 2–6, 9–13, 16–20, 23–27 (20) and 30
    days = [datetime(2026, 11, d, 9, 0) for d in (2, 16, 30)]
    cases = [_case(f"S{i}", d) for i, d in enumerate(days)]  # 城关街道 社保
    cases += [
        _case(f"Y{i}", d, **{"乡镇(街道)": "白云乡", "受理部门": "民政"})  # not stationed
        for i, d in enumerate(days)
    ]
    # 城关街道 民政 (stationed): no case but rated at the window 20 times
    evals = [eval_row(f"V{i}", 评价部门="民政") for i in range(20)]
    store = _store(tmp_path, reference_files, cases, evals)

    twenty = _signals(store, date(2026, 11, 2), date(2026, 11, 27))
    silent = _row(twenty, CLOUD, "司法", "stationed_silent")
    assert (silent["value"], silent["volume"], silent["flagged"]) == (0.0, 20, True)
    # 青石镇 has no case at all in the period: its data is missing, not its department
    assert not _row(twenty, GREEN, "社保", "stationed_silent")["flagged"]
    assert _flagged(twenty) == {
        (CLOUD, "司法", "stationed_silent"),
        (CITY, "民政", "evals_without_cases"),  # present at the window: not 应进未进
    }
    nineteen = _signals(store, date(2026, 11, 3), date(2026, 11, 27))
    assert _row(nineteen, CLOUD, "司法", "stationed_silent")["volume"] == 19
    assert _flagged(nineteen) == {(CITY, "民政", "evals_without_cases")}
    # a period reaching past the loaded data counts only the working days it covers
    assert _row(_signals(store, *NOV), CLOUD, "司法", "stationed_silent")["volume"] == 21
    beyond = _signals(store, date(2026, 11, 16), date(2026, 12, 31))
    assert _row(beyond, CLOUD, "司法", "stationed_silent")["volume"] == 11
    # one case: not silent
    one = write_csv(
        tmp_path / "one.csv",
        CASE_HEADER,
        [_case("J1", days[0], **{"乡镇(街道)": "白云乡", "受理部门": "司法"})],
    )
    assert load([one]).exit_code == 0
    after = _signals(Store(), date(2026, 11, 2), date(2026, 11, 27))
    assert _row(after, CLOUD, "司法", "stationed_silent")["value"] == 1.0
    assert _flagged(after) == {(CITY, "民政", "evals_without_cases")}


def test_no_flag_from_three_cases(pulse_env, reference_files, tmp_path):
    burst = datetime(2026, 11, 6, 16, 10)
    cases = [
        _case(
            f"T{i}",
            MON + timedelta(minutes=i),
            burst + timedelta(seconds=i),
            办结时间=_ts(MON + timedelta(minutes=i + 1)),
        )
        for i in range(3)
    ]
    # data from August on, so that November's evaluations are past the grace period
    cases.append(
        _case("E0", datetime(2026, 8, 3, 9, 0), **{"乡镇(街道)": "白云乡", "受理部门": "测试"})
    )
    evals = [eval_row(f"V{i}", 办件编号=f"GHOST{i}", 评价部门="社保") for i in range(3)]
    evals += [eval_row(f"W{i}", **{"乡镇(街道)": "青石镇"}) for i in range(3)]
    store = _store(tmp_path, reference_files, cases, evals)
    frame = _signals(store, *NOV)
    for signal in ("late_entry", "instant_closure", "missing_case_refs"):
        assert _row(frame, CITY, "社保", signal)["value"] == 1.0, signal
    assert _row(frame, GREEN, "社保", "evals_without_cases")["value"] == 3.0
    assert _flagged(frame) == set()
    assert outside_system.detect(store, Params(*NOV, AS_OF)) == []


def test_detect_explains_in_chinese_with_evidence(pulse_env, reference_files, tmp_path):
    cases = [
        _case(f"A{i}", MON + timedelta(minutes=9 * i), MON + timedelta(days=3, minutes=i))
        for i in range(20)
    ]
    store = _store(tmp_path, reference_files, cases)
    flags = outside_system.detect(store, Params(*NOV, AS_OF), evidence_rows=3)
    assert len(flags) == 1
    flag = flags[0]
    assert (flag.town_code, flag.town_name, flag.dept_name) == (CITY, "城关街道", "社保")
    assert flag.signal_names == ["late_entry"]
    signal = flag.signals[0]
    assert (signal.label_zh, signal.value, signal.threshold, signal.volume) == (
        "延迟录入",
        1.0,
        0.3,
        20,
    )
    assert signal.explanation_zh == (
        "100% 的办件(20/20 件)在受理超过 1 个工作日后才录入平台,平均晚 3.0 个工作日"
    )
    assert flag.evidence["late_entry"].height == 3
    assert flag.evidence["late_entry"]["entry_lag"].to_list() == [3, 3, 3]


def test_thresholds_come_from_the_settings(pulse_env, reference_files, tmp_path):
    cases = [_case(f"A{i}", MON + timedelta(minutes=i), MON + timedelta(days=3)) for i in range(5)]
    store = _store(tmp_path, reference_files, cases)
    assert outside_system.detect(store, Params(*NOV, AS_OF)) == []
    (tmp_path / "pulse.toml").write_text(
        "[outside_system]\nmin_volume = 5\nbatch_entry_min_burst = 5\n", encoding="utf-8"
    )
    settings._file_values.cache_clear()
    flags = outside_system.detect(store, Params(*NOV, AS_OF))
    assert [f.signal_names for f in flags] == [["late_entry", "batch_entry"]]
    # the macro's own defaults are the shipped settings' defaults
    defaults = {
        arg: settings._BY_NAME[name].default for arg, name in outside_system._ARGUMENTS.items()
    }
    called = store.sql(
        "select * from outside_system_signals($date_from, $date_to, "
        + ", ".join(f"{a} := ${a}" for a in defaults)
        + ")",
        {"date_from": NOV[0], "date_to": NOV[1], **defaults},
        whole_county=True,
    )
    bare = store.sql(
        "select * from outside_system_signals($date_from, $date_to)",
        {"date_from": NOV[0], "date_to": NOV[1]},
        whole_county=True,
    )
    keys = ("town_code", "dept_name", "signal")
    assert_frame_equal(called.sort(keys), bare.sort(keys))


def test_metrics_columns_and_cli(pulse_env, reference_files, tmp_path):
    late = [
        _case(
            f"{dept}{i}",
            MON + timedelta(minutes=9 * i),
            MON + timedelta(days=3, seconds=10 * i),
            **{"受理部门": dept},
        )
        for dept in ("社保", "民政")
        for i in range(20)
    ]
    store = _store(tmp_path, reference_files, late)
    towns = metrics(store, *NOV, as_of=AS_OF)
    depts = dict(zip(towns["town_code"], towns["outside_system_depts"], strict=True))
    assert depts == {CITY: "民政;社保", GREEN: None, CLOUD: None}
    county = metrics(store, *NOV, as_of=AS_OF, by="county")
    assert county["outside_system_depts"].to_list() == ["城关街道·民政;城关街道·社保"]
    by_dept = metrics(store, *NOV, as_of=AS_OF, by="dept")
    assert by_dept.columns[-2:] == ["outside_system", "signals"]
    flagged = by_dept.filter(pl.col("outside_system"))
    assert flagged.select("dept_name", "signals", "outside_system_depts").rows() == [
        ("民政", "late_entry;batch_entry", "民政"),
        ("社保", "late_entry;batch_entry", "社保"),
    ]
    raw = metrics(store, *NOV, as_of=AS_OF, by="dept", raw=True)
    assert_frame_equal(by_dept, raw)

    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "metrics", "--from", "2026-11-01", "--to",
         "2026-11-30", "--format", "csv", "--by", "dept", "--as-of", "2026-12-01 08:00"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(rows[0]) == [
        "town_code", "town_name", "dept_name", *INDICATORS, "outside_system", "signals"
    ]  # fmt: skip
    shown = {(r["town_code"], r["dept_name"]): (r["outside_system"], r["signals"]) for r in rows}
    assert shown[(CITY, "社保")] == ("true", "late_entry;batch_entry")
    assert shown[(GREEN, "社保")] == ("false", "")


# --------------------------------------------------------------------------- demo county

END = date(2026, 11, 20)  # a Friday
YEAR = (END - timedelta(days=364), END)
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))  # 18 working days (National Day)
SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))  # 22 working days


@pytest.fixture(scope="module")
def demo_county(tmp_path_factory):
    """The demo county at scale 1 (about 850,000 cases), loaded once for this module."""
    base = tmp_path_factory.mktemp("outside")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_DATA_DIR", str(base / "data"))
        mp.setenv("PULSE_CONFIG", str(base / "pulse.toml"))
        mp.delenv("PULSE_STORE", raising=False)
        mp.delenv("PULSE_SECRET_FILE", raising=False)
        summary = demo.generate(base / "exports", seed=7, scale=1.0, end=END)
        run = load([summary.out_dir])
        assert run.exit_code == 0
        yield Store()


def _planted(exclude: set[str] = frozenset()) -> set[tuple[str, str, str]]:
    return {(p.town_code, p.dept_name, p.signal) for p in demo.PLANTED if p.signal not in exclude}


def _detected(store: Store, period) -> set[tuple[str, str, str]]:
    flags = outside_system.detect(store, Params(*period, AS_OF), evidence_rows=0)
    return {(f.town_code, f.dept_name, s.name) for f in flags for s in f.signals}


@pytest.mark.slow
def test_demo_year_flags_exactly_the_planted_departments(demo_county):
    assert _detected(demo_county, YEAR) == _planted()


@pytest.mark.slow
def test_demo_months_flag_exactly_the_planted_departments(demo_county):
    # Every signal shows within a month. 应进未进 is judged only over 20 working days or
    # more: September has 22, October 18 (National Day).
    assert _detected(demo_county, SEPTEMBER) == _planted()
    assert _detected(demo_county, OCTOBER) == _planted(exclude={"stationed_silent"})


@pytest.mark.slow
@pytest.mark.parametrize("period", [YEAR, OCTOBER, (date(2026, 2, 10), date(2026, 3, 3))])
def test_demo_rollups_equal_raw_definitions(demo_county, period):
    _signals(demo_county, *period)


@pytest.mark.slow
def test_demo_evidence_lists_exactly_the_counted_rows(demo_county):
    frame = outside_system.signals(demo_county, Params(*OCTOBER, AS_OF)).filter(
        pl.col("flagged") & (pl.col("signal") != "stationed_silent")
    )
    assert frame.height == len(_planted(exclude={"stationed_silent"}))
    for row in frame.iter_rows(named=True):
        ids = _evidence_ids(demo_county, row["town_code"], row["dept_name"], row["signal"], OCTOBER)
        assert len(ids) == row["hits"], row


@pytest.mark.slow
def test_demo_busy_departments_are_no_bursts_even_entering_live(demo_county):
    """The batch-entry burst rule alone (without the lag condition) finds no burst in any
    ordinary department, the busiest included."""
    frame = outside_system.signals(demo_county, Params(*YEAR, AS_OF)).filter(
        pl.col("signal") == "batch_entry"
    )
    peaks = demo_county.sql(
        """
        select town_code, dept_name, max(n) as peak from (
            select town_code, dept_name, count(*) over (
                partition by town_code, dept_name order by recorded_at
                range between interval 5 minutes preceding and interval 5 minutes following) as n
            from cases)
        group by all
    """,
        whole_county=True,
    )
    batch = pl.DataFrame(
        [(p.town_code, p.dept_name) for p in demo.PLANTED if p.signal == "batch_entry"],
        schema=["town_code", "dept_name"],
        orient="row",
    )
    joined = frame.join(peaks, on=["town_code", "dept_name"])
    ordinary = joined.join(batch, on=["town_code", "dept_name"], how="anti")
    assert ordinary.height == joined.height - 1
    assert ordinary["cases"].max() > 30_000  # the busiest windows are in
    assert (ordinary["peak"] < ordinary["burst_threshold"]).all()
    planted = joined.join(batch, on=["town_code", "dept_name"])
    assert (planted["peak"] > 3 * planted["burst_threshold"]).all()


@pytest.mark.slow
def test_demo_metrics_name_the_planted_departments(demo_county):
    towns = metrics(demo_county, *YEAR, as_of=AS_OF)
    named = {
        (code, dept)
        for code, names in zip(towns["town_code"], towns["outside_system_depts"], strict=True)
        if names
        for dept in names.split(";")
    }
    assert named == {(t, d) for t, d, _ in _planted()}


@pytest.mark.slow
@pytest.mark.parametrize("bucket", ["month", "week"])
def test_demo_buckets_judge_each_bucket_as_its_own_period(demo_county, bucket):
    start, end = date(2026, 7, 15), END  # cut buckets at both ends
    both = outside_system.signals(demo_county, Params(start, end, AS_OF), bucket=bucket)
    starts = sorted(set(both["period_start"]))
    assert len(starts) > 3
    for first, nxt in zip(starts, [*starts[1:], None], strict=True):
        last = nxt - timedelta(days=1) if nxt else end
        alone = outside_system.signals(demo_county, Params(max(first, start), last, AS_OF))
        got = both.filter(pl.col("period_start") == first).drop("period_start")
        assert_frame_equal(got, alone.drop("period_start"), check_row_order=False)

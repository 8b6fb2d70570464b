"""How late a record is, in working days by the statutory calendar: one rule for the town
page, the 12345 and 好差评 pages and the wall (dashboard/domain/lateness.py)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from dashboard.domain import lateness
from dashboard.store import Store
from etl.load import load
from tests.conftest import CASE_HEADER, case_row, write_csv


@pytest.fixture
def store(pulse_env, reference_files, tmp_path) -> Store:
    cases = write_csv(tmp_path / "cases.csv", CASE_HEADER, [case_row("A1")])
    assert load([*reference_files, cases]).exit_code == 0
    return Store()


def test_working_days_and_hours(store):
    # Fri 2026-11-20 is a working day, the weekend is not; as_of is Tue 2026-11-24 08:00
    rows = pl.DataFrame(
        {
            "case_id": ["late", "due-today", "due-tomorrow"],
            "deadline_at": [
                datetime(2026, 11, 20, 23, 59, 59),
                datetime(2026, 11, 24, 23, 59, 59),
                datetime(2026, 11, 25, 23, 59, 59),
            ],
        }
    )
    out = lateness.with_lateness(store, rows, datetime(2026, 11, 24, 8, 0))
    by_id = {r["case_id"]: r for r in out.iter_rows(named=True)}
    assert (by_id["late"]["late_hours"], by_id["late"]["late_workdays"]) == (80.0, 2)
    assert (by_id["due-today"]["left_hours"], by_id["due-today"]["left_workdays"]) == (16.0, 0)
    assert by_id["due-tomorrow"]["left_workdays"] == 1
    assert lateness.late_text(2, 80.0) == "超期2个工作日"
    assert lateness.late_text(0, 0.2) == "超期1小时"
    assert lateness.left_text(0, 16.0) == "今日到期(剩余16小时)"
    assert lateness.left_text(1, 40.0) == "剩余1个工作日"


def test_across_national_day_and_a_working_sunday(store):
    """Deadline Tue 2026-09-29; 数据截至 Fri 2026-10-09: the 国庆 holiday (10-01…10-07)
    is not working time; Sat 10-10 is a 调休 working day (not yet reached here)."""
    rows = pl.DataFrame({"case_id": ["x"], "deadline_at": [datetime(2026, 9, 29, 23, 59, 59)]})
    row = lateness.with_lateness(store, rows, datetime(2026, 10, 9, 9, 0)).row(0, named=True)
    assert row["late_workdays"] == 3  # 9-30, 10-08, 10-09


def test_done_late_counts_up_to_when_it_was_done(store):
    rows = pl.DataFrame(
        {
            "eval_id": ["e"],
            "rectify_deadline_at": [datetime(2026, 11, 20, 23, 59, 59)],
            "rectified_at": [datetime(2026, 11, 23, 10, 0)],
        }
    )
    row = lateness.with_lateness(
        store, rows, datetime(2026, 11, 30, 8, 0), "rectify_deadline_at", until="rectified_at"
    ).row(0, named=True)
    assert row["late_workdays"] == 1 and row["late_hours"] == pytest.approx(58.0)

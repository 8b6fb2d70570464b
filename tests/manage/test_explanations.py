"""书面说明: the lines are exactly the departments whose metrics() figures miss the thresholds
(and, when cases carry 受理窗口, the windows, counted by hand here); town officials explain
their own towns' lines only."""

from __future__ import annotations

import pytest

from dashboard.auth.access import AccessDenied, acting_as
from tests.conftest import CASE_HEADER, EVAL_HEADER, case_row, eval_row, write_csv
from tests.manage.conftest import OTHER, TOWN, viewer

pytestmark = pytest.mark.slow

MONTH = "2026-10"


def test_lines_are_the_departments_below_the_thresholds(clean):
    from datetime import date

    from dashboard.domain.metrics import default_as_of, metrics
    from dashboard.manage import explanations
    from dashboard.store import Store

    store = clean.store()
    found = explanations.lines(store, MONTH)
    figures = metrics(
        store, date(2026, 10, 1), date(2026, 10, 31), default_as_of(store), by="dept", flags=False
    )
    expected = {
        (r["town_code"], r["dept_name"]): r
        for r in figures.iter_rows(named=True)
        if (r["evaluation_rate"] is not None and r["evaluation_rate"] < 0.9)
        or (r["satisfaction_rate"] is not None and r["satisfaction_rate"] < 1.0)
    }
    assert expected and len(expected) < figures.height  # some departments pass
    departments = [x for x in found if x.window_name == ""]
    assert {(x.town_code, x.dept_name) for x in departments} == set(expected)
    # the demo's cases carry 受理窗口 in some towns: their windows below a threshold too
    windows = [x for x in found if x.window_name]
    assert windows and all(x.reasons for x in windows)
    for line in departments:
        row = expected[(line.town_code, line.dept_name)]
        assert (line.evaluation_rate, line.satisfaction_rate) == (
            row["evaluation_rate"],
            row["satisfaction_rate"],
        )
        assert (line.completed, line.evaluations) == (row["completed"], row["evaluations"])
        assert line.reasons
    # a town official reads (through the Store's door) only their towns' lines
    with acting_as(viewer("town")):
        mine = explanations.lines(Store(), MONTH)
    assert mine and {x.town_code for x in mine} == {TOWN}
    assert mine == [x for x in found if x.town_code == TOWN]

    line = mine[0]
    explanations.record(viewer("town"), line, "评价器故障两天,已报修")
    with pytest.raises(AccessDenied):
        explanations.record(viewer("town2"), line, "越权填写")
    other = next(x for x in found if x.town_code == OTHER)
    with pytest.raises(AccessDenied):
        explanations.record(viewer("town"), other, "越权填写")
    explanations.record(viewer("county"), other, "县级代为登记")
    notes = explanations.recorded(viewer("town"), MONTH)
    assert set(notes) == {line.key}
    assert notes[line.key]["text"] == "评价器故障两天,已报修"
    assert set(explanations.recorded(viewer("county"), MONTH)) == {line.key, other.key}
    explanations.record(viewer("town"), line, "评价器故障两天,已修复")  # replaced, not added
    assert explanations.recorded(viewer("town"), MONTH)[line.key]["text"].endswith("已修复")
    rows = explanations.export_rows(found, explanations.recorded(viewer("county"), MONTH))
    assert len(rows) == len(found)
    assert sum(1 for r in rows if r["书面说明"]) == 2


def test_windows_are_judged_when_the_cases_carry_them(pulse_env, reference_files, tmp_path):
    """A store whose cases have 受理窗口 (as loads of the optional column will): window A has
    3 completed cases, 2 evaluated (66.7%), ratings 5 and 2 (50%); window B 2 of 2 rated 5
    (nothing to explain); the department 4 of 5 (80%) and 3 of 4 satisfied (75%)."""
    from dashboard.auth.access import SYSTEM
    from dashboard.manage import explanations
    from dashboard.store import Store
    from etl.load import load

    # 受理窗口 is an optional column of the cases export (contract §3a): loaded as a file has it
    cases = [
        [
            *case_row(
                f"W{i}",
                受理时间=f"2026-10-{12 + i} 09:00:00",
                办结时间=f"2026-10-{12 + i} 15:00:00",
            ),
            "A" if i < 3 else "B",
        ]
        for i in range(5)
    ]
    ratings = {"W0": "5", "W1": "2", "W3": "5", "W4": "5"}
    evals = [
        eval_row(f"E{c}", 办件编号=c, 评价时间="2026-10-20 10:00:00", 评价等级=r)
        for c, r in ratings.items()
    ]
    files = [
        write_csv(tmp_path / "cases.csv", [*CASE_HEADER, "受理窗口"], cases),
        write_csv(tmp_path / "evals.csv", EVAL_HEADER, evals),
    ]
    assert load([*reference_files, *files]).exit_code == 0
    with acting_as(SYSTEM):
        found = explanations.lines(Store(access=SYSTEM), MONTH)
    assert [(x.dept_name, x.window_name) for x in found] == [("社保", ""), ("社保", "A")]
    dept, window = found
    assert (dept.completed, dept.evaluated, dept.evaluations) == (5, 4, 4)
    assert (dept.evaluation_rate, dept.satisfaction_rate) == (0.8, 0.75)
    assert (window.completed, window.evaluated, window.evaluations) == (3, 2, 2)
    assert window.evaluation_rate == pytest.approx(2 / 3) and window.satisfaction_rate == 0.5
    assert window.reasons == ("评价率 66.7% 低于 90%", "满意度 50.0% 低于 100%")

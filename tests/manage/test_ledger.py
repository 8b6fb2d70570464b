"""整改台账: deadlines in working days by the statutory calendar, steps with who/when/note,
and the roles — a town official updates only their own towns' items and cannot close any;
county staff open and close; overdue items; the summary per town; the link contract."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.auth.access import AccessDenied
from tests.manage.conftest import OTHER, TOWN, viewer

pytestmark = pytest.mark.slow


def test_deadlines_count_working_days_by_the_calendar():
    from dashboard.manage import ledger
    from etl.calendar import WorkCalendar

    cal = WorkCalendar.load()
    # Friday + 1 working day: the Monday after
    assert ledger.deadline_for(date(2026, 11, 20), 1) == date(2026, 11, 23)
    # National Day 2026 (1–7 October off, with 调休): from 30 September, 3 working days
    for opened, days in ((date(2026, 9, 30), 3), (date(2026, 1, 30), 10), (date(2026, 4, 30), 5)):
        assert ledger.deadline_for(opened, days) == cal.add_workdays(opened, days)
    assert ledger.deadline_for(date(2026, 9, 30), 1) > date(2026, 10, 7)
    assert ledger.workdays_between(date(2026, 11, 20), date(2026, 11, 24)) == 2


def test_steps_and_roles(clean):
    from dashboard.manage import ledger
    from dashboard.manage.common import ManageError

    towns = clean.store().every_town()
    county, town, town2 = viewer("county"), viewer("town"), viewer("town2")
    with pytest.raises(AccessDenied):
        ledger.open_item(town, source="figure", problem="x", town_code=TOWN)
    with pytest.raises(ManageError, match="未知乡镇"):
        ledger.open_item(county, source="figure", problem="x", town_code="999", known_towns=towns)
    with pytest.raises(ManageError, match="问题描述"):
        ledger.open_item(county, source="figure", problem="  ", town_code=TOWN)
    mine = ledger.open_item(
        county,
        source="figure",
        problem="超期未办结 2 件",
        town_code=TOWN,
        dept_name="社保",
        indicator="overdue_open",
        period_from="2026-11-01",
        period_to="2026-11-30",
        workdays=5,
        known_towns=towns,
        today=date(2026, 11, 20),
    )
    other = ledger.open_item(county, source="outside", problem="体外循环", town_code=OTHER)
    county_level = ledger.open_item(county, source="other", problem="县级部门", town_code=None)
    item = ledger.get(county, mine)
    assert (item.status, item.deadline, item.workdays) == ("待整改", date(2026, 11, 27), 5)
    assert item.rows_href.startswith("/rows?period=custom&from=2026-11-01&to=2026-11-30")
    assert "indicator=overdue_open" in item.rows_href and f"town={TOWN}" in item.rows_href

    # a town official: only their towns' items; 整改中 with evidence; never 销号
    assert [x.id for x in ledger.items(town)] == [mine]
    assert [x.id for x in ledger.items(town2)] == [other]
    with pytest.raises(AccessDenied):
        ledger.get(town, other)
    with pytest.raises(AccessDenied):
        ledger.add_step(town, other, "整改中", "改好了")
    with pytest.raises(AccessDenied):
        ledger.get(town, county_level)  # county-level departments are county staff's
    with pytest.raises(ManageError, match="整改情况说明"):
        ledger.add_step(town, mine, "整改中", "")
    ledger.add_step(town, mine, "整改中", "已补录 2 件并办结")
    with pytest.raises(AccessDenied):
        ledger.add_step(town, mine, "已销号", "自行销号")
    with pytest.raises(AccessDenied):
        ledger.add_step(town, mine, "待整改", "退回")
    assert ledger.get(county, mine).status == "整改中"

    # county staff: send back, close; a closed item stays closed
    ledger.add_step(county, mine, "待整改", "证据不足,请补充办结截图")
    ledger.add_step(town, mine, "整改中", "已补充截图")
    closed = ledger.add_step(county, mine, "已销号", "核查属实,同意销号")
    assert (closed.status, closed.closed_by) == ("已销号", "county")
    with pytest.raises(ManageError, match="已销号"):
        ledger.add_step(county, mine, "整改中", "再改")
    steps = ledger.steps(county, [mine])[mine]
    assert [(s.status, s.by_user) for s in steps] == [
        ("待整改", "county"),
        ("整改中", "town"),
        ("待整改", "county"),
        ("整改中", "town"),
        ("已销号", "county"),
    ]
    assert steps[1].note == "已补录 2 件并办结" and steps[1].by_role == "town"
    assert ledger.steps(town2, [mine]) == {}  # another town's steps stay hidden too
    with pytest.raises(AccessDenied):
        ledger.open_item(viewer("town"), source="audit", problem="x", town_code=TOWN)


def test_overdue_and_the_summary_per_town(clean):
    from dashboard.auth import appdb
    from dashboard.manage import ledger

    county = viewer("county")
    a = ledger.open_item(county, source="figure", problem="a", town_code=TOWN, workdays=1)
    b = ledger.open_item(county, source="figure", problem="b", town_code=TOWN, workdays=1)
    c = ledger.open_item(county, source="review", problem="c", town_code=OTHER, workdays=1)
    with appdb.transaction() as con:  # opened in the week of 9–15 November, due on the 11th
        con.execute(
            "update ledger_items set opened_at = '2026-11-10 09:00:00', deadline = '2026-11-11'"
        )
        con.execute(
            "update ledger_items set status = '已销号', closed_at = '2026-11-13 10:00:00' "
            "where id = ?",
            (b,),
        )
    late = ledger.items(county, overdue_only=True, today=date(2026, 11, 12))
    assert [x.id for x in late] == [a, c]
    assert ledger.get(county, a).overdue(date(2026, 11, 11)) is False  # the deadline day is in time
    assert ledger.get(county, a).overdue_workdays(date(2026, 11, 16)) == 3
    assert ledger.get(county, b).closed_late()
    week = ledger.summary_by_town(county, date(2026, 11, 9), date(2026, 11, 15))
    assert week == [
        {"town_code": TOWN, "opened": 2, "closed": 1, "open_at_end": 1, "overdue_at_end": 1},
        {"town_code": OTHER, "opened": 1, "closed": 0, "open_at_end": 1, "overdue_at_end": 1},
    ]
    before = ledger.summary_by_town(county, date(2026, 11, 2), date(2026, 11, 8))
    assert before == []
    assert ledger.summary_by_town(viewer("town"), date(2026, 11, 9), date(2026, 11, 15)) == week[:1]
    rows = ledger.as_rows(county, late, {TOWN: "城关街道"}, today=date(2026, 11, 16))
    assert rows[0]["乡镇"] == "城关街道" and rows[0]["是否逾期"] == "逾期"
    assert rows[0]["逾期工作日"] == 3


def test_the_link_contract_of_open_a_ledger_item_buttons():
    from dashboard.manage import ledger

    href = ledger.new_item_href(
        "figure",
        town=TOWN,
        dept="社保",
        indicator="overdue_open",
        period=(date(2026, 11, 1), date(2026, 11, 30)),
        ref="C1",
        problem="超期",
    )
    parts = urlsplit(href)
    assert parts.path == "/ledger"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "new": "1",
        "source": "figure",
        "period": "custom",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "town": TOWN,
        "dept": "社保",
        "indicator": "overdue_open",
        "ref": "C1",
        "problem": "超期",
    }

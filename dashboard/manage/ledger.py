"""整改台账: the rectification ledger — problems, owners and deadlines, closed one by one.

An item is opened by county staff from a figure, a list, a 体外循环 flag, a bad review or an
audit finding. It names the problem, links to the rows behind it, the responsible town and
department, and a deadline counted in working days by the statutory calendar
(etl/calendar.py: the n-th working day after the day it was opened, as every deadline in the
product). Its status goes 待整改 → 整改中 → 已销号, each step with who, when and a note:

- 整改中 (evidence of what was done): the town's own officials, or county staff;
- 已销号 (closed after checking): county staff only; 退回 (back to 待整改): county staff.

Town officials see and update only their own towns' items; county-level departments' items
(no town) are county staff's. Every read filters by the viewer's towns in SQL with bound
parameters; the town of an item is the stored one, never one taken from a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from urllib.parse import urlencode

from dashboard.auth import appdb
from dashboard.auth.access import Access, AccessDenied
from dashboard.manage.common import (
    ManageError,
    clean_text,
    may_see_town,
    require_manager,
    require_person,
    require_signed_in,
    town_clause,
)
from etl import settings

OPEN, IN_PROGRESS, CLOSED = "待整改", "整改中", "已销号"
STATUSES = (OPEN, IN_PROGRESS, CLOSED)
SOURCES: dict[str, str] = {
    "figure": "指标",
    "list": "清单",
    "outside": "体外循环",
    "review": "差评",
    "audit": "办件抽查",
    "hotline": "12345工单",
    "other": "其他",
}
MAX_WORKDAYS = 60


@cache
def _calendar():
    from etl.calendar import WorkCalendar

    return WorkCalendar.load()


def deadline_for(opened: date, workdays: int) -> date:
    """The last day to rectify: the `workdays`-th working day after the opening day (the
    statutory calendar with 调休, the same rule as every case deadline)."""
    return _calendar().add_workdays(opened, workdays)


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    cal, n, d = _calendar(), 0, start
    while d < end:
        d = date.fromordinal(d.toordinal() + 1)
        n += cal.is_workday(d)
    return n


@dataclass(frozen=True)
class Item:
    id: int
    source: str
    problem: str
    rows_href: str | None
    town_code: str | None
    dept_name: str | None
    indicator: str | None
    period_from: str | None
    period_to: str | None
    ref: str | None
    workdays: int
    deadline: date
    status: str
    opened_at: str
    opened_by: str
    updated_at: str
    closed_at: str | None
    closed_by: str | None

    def overdue(self, today: date | None = None) -> bool:
        """Past its deadline and not closed (the deadline day itself is still in time)."""
        return self.status != CLOSED and (today or date.today()) > self.deadline

    def closed_late(self) -> bool:
        return self.closed_at is not None and date.fromisoformat(self.closed_at[:10]) > (
            self.deadline
        )

    def overdue_workdays(self, today: date | None = None) -> int:
        return workdays_between(self.deadline, today or date.today()) if self.overdue(today) else 0

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)


@dataclass(frozen=True)
class Step:
    id: int
    item_id: int
    status: str
    note: str
    by_user: str
    by_role: str | None
    at: str


def _item(row) -> Item:
    values = dict(row)
    values["deadline"] = date.fromisoformat(values["deadline"])
    return Item(**values)


_COLUMNS = (
    "id, source, problem, rows_href, town_code, dept_name, indicator, period_from, period_to, "
    "ref, workdays, deadline, status, opened_at, opened_by, updated_at, closed_at, closed_by"
)


def rows_link(
    indicator: str | None, town: str | None, dept: str | None, start: str | None, end: str | None
) -> str | None:
    """The 明细 page of the figure an item is about (dashboard.drill.rows_href), when it names
    a traced indicator and a period."""
    from dashboard.domain.trace import TRACES

    if not (indicator in TRACES and start and end):
        return None
    from dashboard.drill import rows_href
    from dashboard.filters import Filters

    f = Filters(
        period="custom", date_from=date.fromisoformat(start), date_to=date.fromisoformat(end)
    )
    return rows_href(f, indicator, town, dept)


def new_item_href(
    source: str,
    town: str | None = None,
    dept: str | None = None,
    indicator: str | None = None,
    period: tuple[date, date] | None = None,
    ref: str | None = None,
    problem: str | None = None,
) -> str:
    """The contract of "open a ledger item" buttons on any page: the 整改台账 page with the new
    item's form filled in. county staff confirm it there; nobody else gets the form.

    /ledger?new=1&source=…&town=…&dept=…&indicator=…&period=custom&from=…&to=…&ref=…&problem=…
    """
    pairs: list[tuple[str, str]] = [("new", "1"), ("source", source)]
    if period is not None:
        pairs += [("period", "custom"), ("from", period[0].isoformat())]
        pairs += [("to", period[1].isoformat())]
    for key, value in (
        ("town", town),
        ("dept", dept),
        ("indicator", indicator),
        ("ref", ref),
        ("problem", problem),
    ):
        if value:
            pairs.append((key, value))
    return "/ledger?" + urlencode(pairs)


def open_item(
    viewer: Access,
    *,
    source: str,
    problem: str,
    town_code: str | None,
    dept_name: str | None = None,
    indicator: str | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    ref: str | None = None,
    workdays: int | None = None,
    known_towns: Iterable[str] | None = None,
    today: date | None = None,
) -> int:
    """Open an item (county staff). Returns its id."""
    require_manager(viewer, "新建整改事项")
    if source not in SOURCES:
        raise ManageError("未知的问题来源")
    problem = clean_text(problem, "问题描述")
    town_code = (town_code or "").strip() or None
    if town_code is not None and known_towns is not None and town_code not in set(known_towns):
        raise ManageError("未知乡镇")
    dept_name = clean_text(dept_name, "责任部门", required=False)[:100] or None
    ref = clean_text(ref, "关联编号", required=False)[:200] or None
    days = int(settings.get("ledger.deadline_workdays")) if workdays is None else int(workdays)
    if not 1 <= days <= MAX_WORKDAYS:
        raise ManageError(f"整改时限应为 1–{MAX_WORKDAYS} 个工作日")
    for value in (period_from, period_to):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ManageError("期间日期无效") from None
    if indicator is not None and not indicator.replace("_", "").isalnum():
        raise ManageError("未知指标")
    opened = today or date.today()
    deadline = deadline_for(opened, days)
    href = rows_link(indicator, town_code, dept_name, period_from, period_to)
    now = appdb.now()
    with appdb.transaction() as con:
        cur = con.execute(
            "insert into ledger_items (source, problem, rows_href, town_code, dept_name, "
            "indicator, period_from, period_to, ref, workdays, deadline, status, opened_at, "
            "opened_by, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source,
                problem,
                href,
                town_code,
                dept_name,
                indicator or None,
                period_from or None,
                period_to or None,
                ref,
                days,
                deadline.isoformat(),
                OPEN,
                now,
                viewer.user or "",
                now,
            ),
        )
        item_id = int(cur.lastrowid)
        con.execute(
            "insert into ledger_steps (item_id, status, note, by_user, by_role, at) "
            "values (?, ?, ?, ?, ?, ?)",
            (item_id, OPEN, f"立项,限 {days} 个工作日内整改", viewer.user or "", viewer.role, now),
        )
    return item_id


def get(viewer: Access, item_id: int) -> Item:
    """One item the viewer may see; another town's is as good as absent."""
    require_signed_in(viewer)
    clause, params = town_clause(viewer)
    row = (
        appdb.connect()
        .execute(
            f"select {_COLUMNS} from ledger_items where id = ? and {clause}",
            [int(item_id), *params],
        )
        .fetchone()
    )
    if row is None:
        raise AccessDenied("整改事项不存在或无权查看")
    return _item(row)


def add_step(viewer: Access, item_id: int, status: str, note: str) -> Item:
    """Move an item on: 整改中 with evidence (its town's officials or county staff), 已销号 or
    back to 待整改 (county staff). Returns the item as it is now."""
    require_person(viewer)
    item = get(viewer, item_id)  # a town official reaches only their towns' items
    if status not in STATUSES:
        raise ManageError("未知的整改状态")
    if item.status == CLOSED:
        raise ManageError("该事项已销号")
    if status == IN_PROGRESS:
        if not may_see_town(viewer, item.town_code):
            raise AccessDenied("无权更新该整改事项")
        note = clean_text(note, "整改情况说明")
    elif status == CLOSED:
        require_manager(viewer, "销号")
        note = clean_text(note, "销号意见")
    else:  # 退回
        require_manager(viewer, "退回整改")
        if item.status != IN_PROGRESS:
            raise ManageError("只有整改中的事项可以退回")
        note = clean_text(note, "退回原因")
    now = appdb.now()
    with appdb.transaction() as con:
        con.execute(
            "insert into ledger_steps (item_id, status, note, by_user, by_role, at) "
            "values (?, ?, ?, ?, ?, ?)",
            (item.id, status, note, viewer.user or "", viewer.role, now),
        )
        closed = (now, viewer.user or "") if status == CLOSED else (None, None)
        con.execute(
            "update ledger_items set status = ?, updated_at = ?, closed_at = ?, closed_by = ? "
            "where id = ?",
            (status, now, *closed, item.id),
        )
    return get(viewer, item.id)


def items(
    viewer: Access,
    status: str | None = None,
    towns: Iterable[str] | None = None,
    overdue_only: bool = False,
    today: date | None = None,
) -> list[Item]:
    """The items the viewer may see, open ones first (the nearest deadline first), then the
    closed ones (the latest first). `towns` narrows further (a page's town filter)."""
    require_signed_in(viewer)
    clause, params = town_clause(viewer)
    where = [clause]
    if status in STATUSES:
        where.append("status = ?")
        params.append(status)
    if towns:
        import json

        where.append("town_code in (select value from json_each(?))")
        params.append(json.dumps(sorted(set(towns))))
    if overdue_only:
        where.append("status <> ? and deadline < ?")
        params += [CLOSED, (today or date.today()).isoformat()]
    rows = (
        appdb.connect()
        .execute(
            f"select {_COLUMNS} from ledger_items where {' and '.join(where)} "
            "order by status = '已销号', case when status = '已销号' then '' else deadline end, "
            "closed_at desc, id",
            params,
        )
        .fetchall()
    )
    return [_item(r) for r in rows]


def steps(viewer: Access, item_ids: Iterable[int]) -> dict[int, list[Step]]:
    """The steps of the given items (only those the viewer may see), oldest first."""
    import json

    require_signed_in(viewer)
    clause, params = town_clause(viewer, "i.town_code")
    rows = (
        appdb.connect()
        .execute(
            "select s.id, s.item_id, s.status, s.note, s.by_user, s.by_role, s.at "
            "from ledger_steps s join ledger_items i on i.id = s.item_id "
            f"where s.item_id in (select value from json_each(?)) and {clause} "
            "order by s.item_id, s.id",
            [json.dumps([int(i) for i in item_ids]), *params],
        )
        .fetchall()
    )
    out: dict[int, list[Step]] = {}
    for r in rows:
        out.setdefault(r["item_id"], []).append(Step(**dict(r)))
    return out


def summary_by_town(
    viewer: Access, start: date, end: date, towns: Iterable[str] | None = None
) -> list[dict]:
    """整改销号情况 per town for a period: opened in it, closed in it, still open at its end and
    of those past their deadline at its end. Town None: county-level departments."""
    import json

    require_signed_in(viewer)
    clause, params = town_clause(viewer)
    where = [clause]
    if towns is not None:
        where.append("town_code in (select value from json_each(?))")
        params.append(json.dumps(sorted(set(towns))))
    first, last, after = start.isoformat(), end.isoformat(), _next_day(end)
    rows = (
        appdb.connect()
        .execute(
            "select town_code, "
            "count(*) filter (where opened_at >= ? and opened_at < ?) as opened, "
            "count(*) filter (where closed_at >= ? and closed_at < ?) as closed, "
            "count(*) filter (where opened_at < ? and (closed_at is null or closed_at >= ?)) "
            "as open_at_end, "
            "count(*) filter (where opened_at < ? and (closed_at is null or closed_at >= ?) "
            "and deadline < ?) as overdue_at_end "
            f"from ledger_items where {' and '.join(where)} group by town_code "
            "order by town_code is null, town_code",
            [first, after, first, after, after, after, after, after, last, *params],
        )
        .fetchall()
    )
    return [dict(r) for r in rows if r["opened"] or r["closed"] or r["open_at_end"]]


def _next_day(d: date) -> str:
    return date.fromordinal(d.toordinal() + 1).isoformat()


def overdue(viewer: Access, today: date | None = None) -> list[Item]:
    return items(viewer, overdue_only=True, today=today)


def as_rows(
    viewer: Access, found: list[Item], town_names: dict[str, str], today: date | None = None
) -> list[dict]:
    """Items as flat records (exports, the bulletin), with their last step."""
    last = {i: s[-1] for i, s in steps(viewer, [x.id for x in found]).items()}
    today = today or date.today()
    out = []
    for x in found:
        step = last.get(x.id)
        out.append(
            {
                "编号": x.id,
                "来源": x.source_label,
                "乡镇": town_names.get(x.town_code or "", x.town_code or "县级"),
                "责任部门": x.dept_name or "",
                "问题": x.problem,
                "关联编号": x.ref or "",
                "立项时间": x.opened_at,
                "立项人": x.opened_by,
                "整改时限(工作日)": x.workdays,
                "截止日期": x.deadline.isoformat(),
                "状态": x.status,
                "是否逾期": "逾期" if x.overdue(today) else ("逾期销号" if x.closed_late() else ""),
                "逾期工作日": x.overdue_workdays(today) or "",
                "最近进展": step.note if step else "",
                "进展时间": step.at if step else "",
                "进展人": step.by_user if step else "",
                "销号时间": x.closed_at or "",
                "销号人": x.closed_by or "",
                "明细链接": x.rows_href or "",
            }
        )
    return out

"""书面说明: "对出现漏评以及群众满意率低于100%的窗口必须作出书面说明".

Each month, the departments whose 评价率 is below explanations.evaluation_rate_below or whose
满意度 is below explanations.satisfaction_below, with their figures — metrics(by="dept"), the
figures every page shows. When the cases carry 受理窗口 (window_name, an optional column of
the case export), the windows are judged too, over the same per-record flags (case_flags,
eval_flags: a window's evaluations are those naming its cases). Town officials record an
explanation against each line of their towns; county staff read them all and export them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from dashboard.auth import appdb
from dashboard.auth.access import Access, AccessDenied
from dashboard.manage.common import (
    ManageError,
    clean_text,
    has_windows,
    may_see_town,
    parse_month,
    require_person,
    require_signed_in,
    town_clause,
)
from dashboard.store import COUNTY, Scope, Store
from etl import settings


@dataclass(frozen=True)
class Line:
    month: str
    town_code: str
    town_name: str
    dept_name: str
    window_name: str  # '' for the department as a whole
    completed: int
    evaluated: int | None  # completed cases some evaluation names (评价率's numerator)
    evaluation_rate: float | None
    evaluations: int
    satisfaction_rate: float | None
    reasons: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.month, self.town_code, self.dept_name, self.window_name)


def anchor(town: str, dept: str, window: str) -> str:
    """A line's id on the page (its names are free text)."""
    return hashlib.sha256("\x1f".join((town, dept, window)).encode()).hexdigest()[:12]


def thresholds() -> tuple[float, float]:
    return (
        float(settings.get("explanations.evaluation_rate_below")),
        float(settings.get("explanations.satisfaction_below")),
    )


def _reasons(evaluation_rate: float | None, satisfaction_rate: float | None) -> tuple[str, ...]:
    from dashboard.components.format import fmt

    eval_below, sat_below = thresholds()
    out = []
    if evaluation_rate is not None and evaluation_rate < eval_below:
        out.append(f"评价率 {fmt('evaluation_rate', evaluation_rate)} 低于 {eval_below:.0%}")
    if satisfaction_rate is not None and satisfaction_rate < sat_below:
        out.append(f"满意度 {fmt('satisfaction_rate', satisfaction_rate)} 低于 {sat_below:.0%}")
    return tuple(out)


_WINDOWS_SQL = """
with judged_cases as (
    select f.town_code, f.dept_name, k.window_name, f.is_completed, f.is_evaluated
    from case_flags($as_of, $online_channels, $horizon) f
    join cases k on k.case_id = f.case_id
    where f.day between $date_from and $date_to and list_contains($towns, f.town_code)
        and k.window_name is not null
),
judged_evals as (
    select v.town_code, v.dept_name, k.window_name, v.is_satisfied
    from eval_flags($as_of, $satisfied_rating, $rectify_days) v
    join cases k on k.case_id = v.case_id
    where v.day between $date_from and $date_to and list_contains($towns, v.town_code)
        and k.window_name is not null
),
by_window_cases as (
    select town_code, dept_name, window_name,
        count(*) filter (where is_completed) as completed,
        count(*) filter (where is_evaluated) as evaluated
    from judged_cases group by town_code, dept_name, window_name
),
by_window_evals as (
    select town_code, dept_name, window_name,
        count(*) as evaluations, count(*) filter (where is_satisfied) as satisfied
    from judged_evals group by town_code, dept_name, window_name
)
select
    coalesce(c.town_code, e.town_code) as town_code,
    coalesce(c.dept_name, e.dept_name) as dept_name,
    coalesce(c.window_name, e.window_name) as window_name,
    coalesce(c.completed, 0) as completed,
    coalesce(c.evaluated, 0) as evaluated,
    coalesce(e.evaluations, 0) as evaluations,
    coalesce(e.satisfied, 0) as satisfied
from by_window_cases c
full join by_window_evals e
    on e.town_code = c.town_code and e.dept_name = c.dept_name and e.window_name = c.window_name
order by 1, 2, 3
"""


def lines(store: Store, month: str, scope: Scope = COUNTY) -> list[Line]:
    """The month's departments (and windows) that must explain, in town and department order
    (a department first, then its windows)."""
    from dashboard.domain.metrics import Params, default_as_of, metrics

    start, end = parse_month(month)
    as_of = default_as_of(store)
    frame = metrics(store, start, end, as_of, by="dept", scope=scope, flags=False)
    out: list[Line] = []
    names: dict[str, str] = {}
    for r in frame.iter_rows(named=True):
        names[r["town_code"]] = r["town_name"]
        reasons = _reasons(r["evaluation_rate"], r["satisfaction_rate"])
        if not reasons:
            continue
        rate = r["evaluation_rate"]
        out.append(
            Line(
                month,
                r["town_code"],
                r["town_name"],
                r["dept_name"],
                "",
                int(r["completed"] or 0),
                None if rate is None else round(rate * int(r["completed"] or 0)),
                rate,
                int(r["evaluations"] or 0),
                r["satisfaction_rate"],
                reasons,
            )
        )
    if has_windows(store):
        values = Params(start, end, as_of).sql_params()
        for r in store.sql(_WINDOWS_SQL, values, scope=scope).iter_rows(named=True):
            evaluation_rate = r["evaluated"] / r["completed"] if r["completed"] else None
            satisfaction = r["satisfied"] / r["evaluations"] if r["evaluations"] else None
            reasons = _reasons(evaluation_rate, satisfaction)
            if reasons:
                out.append(
                    Line(
                        month,
                        r["town_code"],
                        names.get(r["town_code"], r["town_code"]),
                        r["dept_name"],
                        r["window_name"],
                        int(r["completed"]),
                        int(r["evaluated"]),
                        evaluation_rate,
                        int(r["evaluations"]),
                        satisfaction,
                        reasons,
                    )
                )
    return sorted(out, key=lambda x: (x.town_code, x.dept_name, x.window_name))


def recorded(viewer: Access, month: str) -> dict[tuple[str, str, str, str], dict]:
    """The explanations of the month the viewer may see: key → {text, by_user, at}."""
    require_signed_in(viewer)
    parse_month(month)
    clause, params = town_clause(viewer)
    rows = (
        appdb.connect()
        .execute(
            "select month, town_code, dept_name, window_name, text, by_user, at "
            f"from explanations where month = ? and {clause}",
            [month, *params],
        )
        .fetchall()
    )
    return {
        (r["month"], r["town_code"], r["dept_name"], r["window_name"]): {
            "text": r["text"],
            "by_user": r["by_user"],
            "at": r["at"],
        }
        for r in rows
    }


def record(viewer: Access, line: Line, text: str) -> None:
    """Record (or replace) the explanation of a line: the line's town's officials or county
    staff. `line` must come from lines() read as this viewer."""
    require_person(viewer)
    if not may_see_town(viewer, line.town_code):
        raise AccessDenied("无权为其他乡镇填写说明")
    text = clean_text(text, "书面说明")
    with appdb.transaction() as con:
        con.execute(
            "insert into explanations (month, town_code, dept_name, window_name, text, by_user, "
            "at) values (?, ?, ?, ?, ?, ?, ?) on conflict (month, town_code, dept_name, "
            "window_name) do update set text = excluded.text, by_user = excluded.by_user, "
            "at = excluded.at",
            (*line.key, text, viewer.user or "", appdb.now()),
        )


def find(found: list[Line], town: str, dept: str, window: str) -> Line:
    for line in found:
        if (line.town_code, line.dept_name, line.window_name) == (town, dept, window or ""):
            return line
    raise ManageError("该部门(窗口)本月无需书面说明,或无权填写")


def export_rows(found: list[Line], notes: dict) -> list[dict]:
    from dashboard.components.format import fmt

    out = []
    for line in found:
        note = notes.get(line.key) or {}
        out.append(
            {
                "月份": line.month,
                "乡镇": line.town_name,
                "部门": line.dept_name,
                "受理窗口": line.window_name,
                "办结量": line.completed,
                "已评价办件": "" if line.evaluated is None else line.evaluated,
                "评价率": fmt("evaluation_rate", line.evaluation_rate),
                "评价数": line.evaluations,
                "满意度": fmt("satisfaction_rate", line.satisfaction_rate),
                "原因": ";".join(line.reasons),
                "书面说明": note.get("text", ""),
                "填写人": note.get("by_user", ""),
                "填写时间": note.get("at", ""),
            }
        )
    return out

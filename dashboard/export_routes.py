"""The download routes: GET /export/cases.csv|xlsx (办件查询: its filters, sort and grid
filter) and GET /export/rows.csv|xlsx (明细: exactly the rows one figure counts). Both are
analyst routes of the gate; the Store narrows the rows to the viewer's towns; the writing,
limits, signature and audit are dashboard/exports.py's."""

from __future__ import annotations

import json

from flask import request

from dashboard import case_explorer as explorer
from dashboard import exports, labels
from dashboard.components.context import View
from dashboard.domain import counties, indicators, trace
from dashboard.errors import BadRequest

CASES_ROUTE = "/export/cases.<kind>"
ROWS_ROUTE = "/export/rows.<kind>"


def _view() -> View:
    exports.check_navigation(request)
    return View.from_search(request.query_string.decode("utf-8", "replace"))


def _town_name(view: View, code: str | None) -> str | None:
    if not code:
        return None
    names = dict(view.store.sql("select town_code, town_name from towns", public=True).rows())
    return names.get(code, code)


def export_cases(kind: str):
    """Every row 办件查询 shows for these filters, sort and grid filter."""
    view = _view()
    try:
        sort_model = json.loads(request.args.get("sort") or "[]")
        filter_model = json.loads(request.args.get("filter") or "{}")
    except json.JSONDecodeError:
        raise BadRequest("导出参数无效") from None
    query = explorer.CaseQuery.build(view.filters, view.as_of, sort_model, filter_model)
    rows = explorer.count(view.store, query)
    f = view.filters
    name = exports.file_name(
        "办件查询",
        "、".join(_town_name(view, t) or t for t in f.towns[:3]) if f.towns else "全部乡镇",
        "、".join(f.depts[:3]) if f.depts else None,
        explorer.FLAG_LABELS.get(query.flag) if query.flag else None,
        f.channel or None,
        exports.period_words(query.date_from, query.date_to),
        kind=kind,
    )
    details = {
        "what": "cases",
        "period": [str(query.date_from), str(query.date_to)],
        "towns": list(f.towns),
        "depts": list(f.depts),
        "channel": f.channel,
        "flag": query.flag,
        "sort": sort_model,
        "filter": filter_model,
    }
    sql, params = query.export_sql()
    wide = [i for i, c in enumerate(explorer.COLUMNS) if c.kind == "date"]
    return exports.respond(
        kind,
        name,
        [c.label for c in explorer.COLUMNS],
        lambda: exports.stream(view.store, sql, params, query.scope),
        rows,
        details,
        sheet_name="办件",
        wide=wide,
    )


def export_rows(kind: str):
    """Exactly the rows one figure counts (the 明细 of an indicator, town, department)."""
    view = _view()
    f = view.filters
    indicator = f.extra.get("indicator", "cases")
    if indicator not in trace.TRACES:
        raise BadRequest("未知的指标")
    town, dept = f.extra.get("town"), f.extra.get("dept")
    if f.extra.get("window") and trace.TRACES[indicator].id_column != "case_id":
        raise BadRequest("该指标不按受理窗口统计")
    selection = trace.Selection(
        view.period.start,
        view.period.end,
        town=town,
        dept=dept,
        as_of=view.as_of,
        scope=view.scope,
        depts=() if dept else view.depts,
        window=f.extra.get("window"),
    )
    total, _ = trace.count_behind(view.store, indicator, **selection.kwargs())
    sql, params, fields = trace.rows_sql(view.store, indicator, **selection.kwargs())
    name = exports.file_name(
        _town_name(view, town) or counties.whole_label(view.store, view.filters.counties),
        dept,
        indicators.label(indicator),
        exports.period_words(view.period.start, view.period.end),
        kind=kind,
    )
    details = {
        "what": "rows",
        "indicator": indicator,
        "period": [str(view.period.start), str(view.period.end)],
        "town": town,
        "dept": dept,
        "window": f.extra.get("window"),
        "towns": list(f.towns),
        "depts": list(f.depts),
    }
    return exports.respond(
        kind,
        name,
        [labels.ROW_FIELDS.get(f, f) for f in fields],
        lambda: exports.stream(view.store, sql, params, view.scope),
        total,
        details,
        sheet_name=indicators.label(indicator)[:30],
    )


def register_routes(server) -> None:
    """The export download routes (called by create_app)."""
    if "cases_export" not in server.view_functions:
        server.add_url_rule(CASES_ROUTE, "cases_export", export_cases)
        server.add_url_rule(ROWS_ROUTE, "rows_export", export_rows)

"""办件查询's downloads: GET /export/cases.csv|xlsx with the page's filters, sort and grid
filter — every filtered row, streamed, safe against formula injection (case_explorer)."""

from __future__ import annotations

import json
import tempfile
from urllib.parse import quote

from flask import Response, request, send_file

from dashboard import case_explorer as explorer
from dashboard.filters import Filters
from dashboard.metrics import default_as_of
from dashboard.store import StoreEmpty, default_store

EXPORT_ROUTE = "/export/cases.<kind>"


def export_cases(kind: str):
    """GET /export/cases.csv|xlsx?<filters>&sort=<json>&filter=<json>: every filtered row."""
    if kind not in ("csv", "xlsx"):
        return _text(404, "未知的导出格式")
    f = Filters.from_query(request.query_string.decode("utf-8", "replace"))
    try:
        sort_model = json.loads(request.args.get("sort") or "[]")
        filter_model = json.loads(request.args.get("filter") or "{}")
    except json.JSONDecodeError:
        return _text(400, "导出参数无效")
    store = default_store()
    try:
        as_of = default_as_of(store)
        query = explorer.CaseQuery.build(f, as_of, sort_model, filter_model)
        period = f.resolve(as_of)
        name = f"办件查询_{period.start}_{period.end}.{kind}"
        if kind == "csv":
            body = explorer.export_csv(store, query)
            return Response(
                body,
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": _attachment(name)},
            )
        # send_file closes the file once sent; the file is gone when closed
        target = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            explorer.export_xlsx(store, query, target)
        except BaseException:
            target.close()
            raise
        target.seek(0)
        return send_file(
            target,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=name,
        )
    except explorer.TooManyRows as e:
        return _text(
            413,
            f"筛选结果共 {e.rows:,} 条,超过导出上限 {e.limit:,} 条。"
            "请缩小时间范围或增加筛选条件后再导出。",
        )
    except explorer.BadRequest as e:
        return _text(400, f"筛选条件无效:{e}")
    except (StoreEmpty, ValueError):
        return _text(404, "尚无数据")


def _attachment(name: str) -> str:
    ascii_name = "cases." + name.rsplit(".", 1)[1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _text(status: int, message: str) -> Response:
    return Response(message, status=status, content_type="text/plain; charset=utf-8")


def register_routes(server) -> None:
    """The export download route (called by create_app)."""
    if "cases_export" not in server.view_functions:
        server.add_url_rule(EXPORT_ROUTE, "cases_export", export_cases)

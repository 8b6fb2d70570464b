"""GET /admin/audit.csv: the audit log, filtered as on the 审计日志 page (admins only: the
route gate allows /admin/ to the admin role alone, and the handler checks again)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from flask import Flask, Response, request

from dashboard.auth import access, audit
from dashboard.errors import BadRequest

COLUMNS = {
    "at": "时间",
    "user_name": "用户",
    "role": "角色",
    "address": "地址",
    "action": "操作",
    "detail": "详情",
    "rows": "行数",
    "request_id": "请求编号",
}


def audit_filters(args) -> dict:
    """since/until (YYYY-MM-DD), user, action from a query string; bad values are a 400."""

    def day(key: str) -> date | None:
        text = args.get(key) or ""
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise BadRequest(f"日期格式应为 YYYY-MM-DD:{text[:20]}") from None

    action = args.get("action") or None
    if action is not None and action not in audit.ACTIONS:
        raise BadRequest("未知的操作类型")
    user = (args.get("user") or "")[:64] or None
    return {"since": day("since"), "until": day("until"), "user": user, "action": action}


def audit_csv() -> Response:
    if access.current().role != "admin":
        raise access.AccessDenied("仅管理员可导出审计日志")
    filters = audit_filters(request.args)
    rows = audit.query(**filters)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS.values())
    for r in rows:
        writer.writerow([audit.ACTIONS.get(r[k], r[k]) if k == "action" else r[k] for k in COLUMNS])
    viewer = access.current()
    writer.writerow([f"导出人 {viewer.user} · 导出时间 {datetime.now():%Y-%m-%d %H:%M:%S}"])
    body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    audit.record(
        "export",
        {"what": "audit", "format": "csv", "filters": json.loads(json.dumps(filters, default=str))},
        rows=len(rows),
    )
    return Response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="audit.csv"; '
            "filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97.csv"
        },
    )


def register_routes(server: Flask) -> None:
    if "audit_csv" not in server.view_functions:
        server.add_url_rule("/admin/audit.csv", "audit_csv", audit_csv)

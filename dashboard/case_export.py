"""办件查询's downloads: GET /export/cases.csv|xlsx with the page's filters, sort and grid
filter — every filtered row of the viewer's towns, streamed, safe against formula injection
(case_explorer).

Guarded as exports of personal data should be: the route gate lets analysts in only; the
Store narrows the rows to the viewer's towns; one export per user and export.max_concurrent
in all run at once; Excel is refused above export.xlsx_max_rows (CSV costs a hundredth of
the CPU); the file's last row names who exported it and when; and the audit log records
the user, filters, rows, format and the file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

from flask import Response, request, send_file

from dashboard import case_explorer as explorer
from dashboard import export_slots
from dashboard.auth import access, audit
from dashboard.domain.metrics import default_as_of
from dashboard.errors import BadRequest, TooLarge
from dashboard.filters import Filters
from dashboard.store import StoreEmpty, default_store
from etl import settings

EXPORT_ROUTE = "/export/cases.<kind>"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def signature(when: datetime | None = None) -> str:
    """The line an exported file carries: who exported it and when."""
    viewer = access.current()
    return f"导出人:{viewer.user} · 导出时间:{(when or datetime.now()):%Y-%m-%d %H:%M:%S}"


def check_navigation() -> None:
    """An export is a download the user asked for on our page: a browser that says where a
    request came from (Sec-Fetch-Site) must say it came from this site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise BadRequest("导出链接只能从本系统的页面打开")


def export_cases(kind: str):
    """GET /export/cases.csv|xlsx?<filters>&sort=<json>&filter=<json>: every filtered row."""
    if kind not in ("csv", "xlsx"):
        raise BadRequest("未知的导出格式")
    check_navigation()
    f = Filters.from_query(request.query_string.decode("utf-8", "replace"))
    try:
        sort_model = json.loads(request.args.get("sort") or "[]")
        filter_model = json.loads(request.args.get("filter") or "{}")
    except json.JSONDecodeError:
        raise BadRequest("导出参数无效") from None
    store = default_store()
    try:
        as_of = default_as_of(store)
    except (StoreEmpty, ValueError):
        return _text(404, "尚无数据")
    query = explorer.CaseQuery.build(f, as_of, sort_model, filter_model)
    period = f.resolve(as_of)
    rows = explorer.count(store, query)
    most = explorer.export_max_rows()
    if rows > most:
        raise TooLarge(
            f"筛选结果共 {rows:,} 条,超过导出上限 {most:,} 条。"
            "请缩小时间范围或增加筛选条件后再导出。"
        )
    xlsx_most = int(settings.get("export.xlsx_max_rows"))
    if kind == "xlsx" and rows > xlsx_most:
        raise TooLarge(
            f"筛选结果共 {rows:,} 条,超过 Excel 导出上限 {xlsx_most:,} 条。"
            "请改用 CSV 导出(Excel、WPS 均可打开),或缩小筛选范围。"
        )
    name = f"办件查询_{period.start}_{period.end}.{kind}"
    details = {
        "what": "cases",
        "format": kind,
        "period": [str(period.start), str(period.end)],
        "towns": list(f.towns),
        "depts": list(f.depts),
        "channel": f.channel,
        "sort": sort_model,
        "filter": filter_model,
    }
    slot = export_slots.acquire(access.current().user or "")
    try:
        if kind == "csv":
            body = explorer.export_csv(store, query, signature=signature())
            return Response(
                _audited(body, slot, details, rows),
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": _attachment(name)},
            )
        # send_file closes the file once sent; the file is gone when closed
        target = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            written = explorer.export_xlsx(store, query, target, signature=signature())
            target.seek(0)
            digest = hashlib.file_digest(target, "sha256").hexdigest()
            target.seek(0)
        except BaseException:
            target.close()
            raise
    except BaseException:
        slot.release()
        raise
    slot.release()  # the file is made; sending it costs no CPU
    audit.record("export", {**details, "sha256": digest}, rows=written)
    return send_file(target, mimetype=XLSX_TYPE, as_attachment=True, download_name=name)


def _audited(
    chunks: Iterator[bytes], slot: export_slots.Slot, details: dict, rows: int
) -> Iterator[bytes]:
    """The CSV as it is sent, hashed on the way; when it ends (or the client goes away) the
    slot is released and the audit log records what left. The response is iterated after
    the request has ended, so the viewer and the request's address and id come along."""
    viewer, info = access.current(), audit.request_info()

    def send() -> Iterator[bytes]:
        digest = hashlib.sha256()
        complete = False
        try:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk
            complete = True
        finally:
            slot.release()
            with access.acting_as(viewer), audit.requesting(info):
                audit.record(
                    "export",
                    {**details, "sha256": digest.hexdigest(), "complete": complete},
                    rows=rows,
                )

    return send()


def _attachment(name: str) -> str:
    ascii_name = "cases." + name.rsplit(".", 1)[1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _text(status: int, message: str) -> Response:
    return Response(message, status=status, content_type="text/plain; charset=utf-8")


def register_routes(server) -> None:
    """The export download route (called by create_app)."""
    if "cases_export" not in server.view_functions:
        server.add_url_rule(EXPORT_ROUTE, "cases_export", export_cases)

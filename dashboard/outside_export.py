"""体外循环's download: GET /export/outside.csv?town=&dept=&signal=&<period> — every row the
signal counted for the department and period (dashboard/domain/outside_system.evidence:
exactly the signal's `hits`), as the page lists them, guarded as 办件查询's exports are
(dashboard/case_export.py): analysts only (the route gate), the viewer's towns only (the
Store: another town's department answers 404, as an unknown one), one export per user at a
time, formula-safe cells, the exporter and time as the last row, and an audit record with
the filters, rows and the file's SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Generator, Iterator
from urllib.parse import quote

from flask import Response, request

from dashboard import export_slots
from dashboard.auth import access, audit
from dashboard.case_explorer import BATCH_ROWS, export_max_rows, neutralise
from dashboard.case_export import check_navigation, signature
from dashboard.domain import outside_system as outside
from dashboard.domain.metrics import default_as_of
from dashboard.domain.params import Params
from dashboard.errors import BadRequest, TooLarge
from dashboard.filters import Filters
from dashboard.store import StoreEmpty, default_store

EXPORT_ROUTE = "/export/outside.csv"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')  # not in a file name on any desktop


def file_name(town_name: str, dept: str, signal: str, start, end) -> str:
    """乡镇_部门_体外循环-信号_起_止.csv, with characters no file name may hold replaced."""
    parts = [town_name, dept, f"体外循环-{outside.LABELS[signal]}", str(start), str(end)]
    return "_".join(_UNSAFE.sub("-", p).strip("-") or "-" for p in parts) + ".csv"


def export_outside():
    check_navigation()
    f = Filters.from_query(request.query_string.decode("utf-8", "replace"))
    town, dept, signal = (f.extra.get(k) for k in ("town", "dept", "signal"))
    if not (town and dept and signal in outside.SIGNALS):
        raise BadRequest("导出参数无效:需要乡镇、部门和信号")
    store = default_store()
    try:
        as_of = default_as_of(store)
    except (StoreEmpty, ValueError):
        return _text(404, "尚无数据")
    period = f.resolve(as_of)
    params = Params(period.start, period.end, as_of)
    found = outside.department(store, params, town, dept)
    if found is None or found.signal(signal) is None:  # not judged, or not the viewer's town
        return _text(404, "没有可导出的记录(本期未判定该部门的此项信号,或您无权查看该乡镇)")
    rows = outside.evidence_count(store, params, town, dept, signal)
    most = export_max_rows()
    if rows > most:
        raise TooLarge(f"共 {rows:,} 条,超过导出上限 {most:,} 条。请缩小时间范围后再导出。")
    details = {
        "what": "outside_evidence",
        "format": "csv",
        "period": [str(period.start), str(period.end)],
        "town": town,
        "dept": dept,
        "signal": signal,
    }
    slot = export_slots.acquire(access.current().user or "")
    try:
        body = _csv(store, params, found, signal, signature())
        first = next(body)  # the query runs now: an error is an error page, not a cut file
    except BaseException:
        slot.release()
        raise
    name = file_name(found.town_name, dept, signal, period.start, period.end)
    return Response(
        _audited(first, body, slot, details, rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(name)},
    )


def _csv(
    store, params: Params, found: outside.Department, signal: str, signed: str
) -> Iterator[bytes]:
    """Header, then every row with the town and department in each (a row stands on its
    own), then the signature row. UTF-8 with a byte-order mark, so Excel reads Chinese."""
    fields = outside.evidence_fields(signal)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    cursor, reader = outside.evidence_stream(
        store, params, found.town_code, found.dept_name, signal, BATCH_ROWS
    )
    try:
        writer.writerow(
            [outside.FIELD_LABELS["town_name"], outside.FIELD_LABELS["dept_name"]]
            + [outside.FIELD_LABELS[c] for c in fields]
        )
        yield "\ufeff".encode() + flush()
        lead = [neutralise(found.town_name), neutralise(found.dept_name)]
        for batch in reader:
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*columns, strict=True):
                writer.writerow(
                    lead
                    + [
                        neutralise(outside.display_value(c, v))
                        for c, v in zip(fields, values, strict=True)
                    ]
                )
            yield flush()
    finally:
        cursor.close()
    writer.writerow([signed])
    yield flush()


def _audited(
    first: bytes,
    rest: Generator[bytes, None, None],
    slot: export_slots.Slot,
    details: dict,
    rows: int,
) -> Iterator[bytes]:
    """The file as it is sent, hashed on the way; at its end (or when the client goes away)
    the slot is released and the audit log records what left, as the exporting viewer."""
    viewer, info = access.current(), audit.request_info()

    def send() -> Iterator[bytes]:
        digest = hashlib.sha256()
        complete = False
        try:
            digest.update(first)
            yield first
            for chunk in rest:
                digest.update(chunk)
                yield chunk
            complete = True
        finally:
            rest.close()  # the query's cursor, when the client went away mid-file
            slot.release()
            with access.acting_as(viewer), audit.requesting(info):
                audit.record(
                    "export",
                    {**details, "sha256": digest.hexdigest(), "complete": complete},
                    rows=rows,
                )

    return send()


def _attachment(name: str) -> str:
    return f"attachment; filename=\"outside.csv\"; filename*=UTF-8''{quote(name)}"


def _text(status: int, message: str) -> Response:
    return Response(message, status=status, content_type="text/plain; charset=utf-8")


def register_routes(server) -> None:
    """The 体外循环 evidence download route (called by create_app)."""
    if "outside_export" not in server.view_functions:
        server.add_url_rule(EXPORT_ROUTE, "outside_export", export_outside)

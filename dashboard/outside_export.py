"""体外循环's download: GET /export/outside.csv?town=&dept=&signal=&<period> — every row the
signal counted for the department and period (dashboard/domain/outside_system.evidence:
exactly the signal's `hits`), as the page lists them, with the town and department in each
row (a row stands on its own). Guarded as every export is (dashboard/exports.py): analysts
only (the route gate), the viewer's towns only (the Store: another town's department
answers 404, as an unknown one), one export per user at a time, formula-safe cells, the
exporter and time as the last row, and an audit record with the filters, rows and SHA-256.
"""

from __future__ import annotations

from flask import Response, request

from dashboard import exports
from dashboard.domain import outside_system as outside
from dashboard.domain.metrics import default_as_of
from dashboard.domain.params import Params
from dashboard.errors import BadRequest
from dashboard.filters import Filters
from dashboard.store import StoreEmpty, default_store

EXPORT_ROUTE = "/export/outside.csv"


def export_outside():
    exports.check_navigation(request)
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
    fields = outside.evidence_fields(signal)
    header = [outside.FIELD_LABELS[c] for c in ("town_name", "dept_name", *fields)]
    lead = (found.town_name, found.dept_name)

    def batches() -> exports.Batches:
        """The query runs now, in the request, as the viewer; it is read while sending."""
        cursor, reader = outside.evidence_stream(
            store, params, found.town_code, found.dept_name, signal, exports.BATCH_ROWS
        )

        def read() -> exports.Batches:
            try:
                for batch in reader:
                    columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                    yield [
                        lead
                        + tuple(
                            outside.display_value(c, v) for c, v in zip(fields, row, strict=True)
                        )
                        for row in zip(*columns, strict=True)
                    ]
            finally:
                cursor.close()

        return read()

    name = exports.file_name(
        found.town_name,
        found.dept_name,
        f"体外循环-{outside.LABELS[signal]}",
        exports.period_words(period.start, period.end),
        kind="csv",
    )
    details = {
        "what": "outside_evidence",
        "period": [str(period.start), str(period.end)],
        "town": town,
        "dept": dept,
        "signal": signal,
    }
    rows = outside.evidence_count(store, params, town, dept, signal)
    return exports.respond("csv", name, header, batches, rows, details)


def _text(status: int, message: str) -> Response:
    return Response(message, status=status, content_type="text/plain; charset=utf-8")


def register_routes(server) -> None:
    """The 体外循环 evidence download route (called by create_app)."""
    if "outside_export" not in server.view_functions:
        server.add_url_rule(EXPORT_ROUTE, "outside_export", export_outside)

"""数据状态: what the store holds — towns, row counts, loads, 数据截至."""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import labels
from dashboard.components.tables import simple_table
from dashboard.store import StoreEmpty, default_store

dash.register_page(
    __name__, path="/quality", name="数据质量", title="数据质量 · 政务服务效能看板", order=90
)

LOAD_COLUMNS = (
    "file_name",
    "source",
    "status",
    "rows_read",
    "inserted",
    "updated",
    "duplicate",
    "rejected",
    "extracted_at",
)


class Ids:
    SUMMARY = "status-summary"
    TOWNS = "status-towns"
    LOADS = "status-loads"


def layout(**_query) -> html.Div:
    store = default_store()
    try:
        meta = store.meta()
        counts = store.query("status__counts").row(0, named=True)
        towns = store.query("status__towns")
        loads = store.query("status__loads")
    except StoreEmpty:
        return dbc.Alert("尚未导入数据。请运行 pulse load <文件或文件夹>。", color="warning")
    cards = [
        ("数据截至", meta.get("as_of") or "—"),
        ("乡镇", f"{counts['towns']:,}"),
        ("办件", f"{counts['cases']:,}"),
        ("12345工单", f"{counts['hotline']:,}"),
        ("好差评", f"{counts['evaluations']:,}"),
        ("拒收行", f"{counts['rejects']:,}"),
    ]
    notes = [
        dbc.Alert(w, color="warning") for w in json.loads(meta.get("calendar_warnings") or "[]")
    ]
    load_rows = (
        (
            r["file_name"],
            labels.SOURCES.get(r["source"] or "", "—"),
            labels.LOAD_STATUS.get(r["status"], r["status"]),
            *(r[c] for c in LOAD_COLUMNS[3:]),
        )
        for r in loads.iter_rows(named=True)
    )
    return html.Div(
        [
            html.H2("数据状态", className="mb-3"),
            *notes,
            dbc.Row(
                [_card(title, value) for title, value in cards],
                className="g-3 mb-4",
                id=Ids.SUMMARY,
            ),
            html.H4("乡镇"),
            simple_table(
                ["乡镇", "类型", "办件量"], towns.iter_rows(), id=Ids.TOWNS, className="mb-4"
            ),
            html.H4("最近导入"),
            simple_table([labels.COLUMNS.get(c, c) for c in LOAD_COLUMNS], load_rows, id=Ids.LOADS),
        ]
    )


def _card(title: str, value: str) -> dbc.Col:
    body = dbc.CardBody(
        [html.Div(title, className="text-muted small"), html.Div(value, className="fs-3 fw-bold")]
    )
    return dbc.Col(dbc.Card(body), md=2)

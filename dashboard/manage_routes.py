"""The management pages' forms and downloads (issue 17), under /manage/ — plain HTML form POSTs
(the route gate checks the role and that the request came from our own pages), each
answered with a redirect back to its page.

Who may do what is decided in dashboard/manage (county staff open and close ledger items,
draw samples and record checks; town officials update their own towns' ledger items and
explain their own towns' figures); every town comes from the stored record or the viewer's
session, never from the form. Downloads carry the exporter's signature row and are audited.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, request, send_file

from dashboard.auth import access
from dashboard.manage import audit_sample, bulletin, explanations, ledger
from dashboard.manage.common import ManageError, last_complete_month, parse_month

PREFIX = "/manage/"
log = logging.getLogger(__name__)
MAX_FIELD = 4000


# --- messages after a redirect: signed, so a crafted link cannot put words on our pages -------


def _key() -> bytes:
    from etl.privacy import load_or_create_secret

    return hashlib.sha256(b"pulse-flash\x00" + load_or_create_secret()).digest()


def flash(message: str, ok: bool = True) -> dict[str, str]:
    text = ("ok:" if ok else "error:") + message[:200]
    sig = hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()[:32]
    return {"msg": text, "sig": sig}


def flashed(query: dict) -> tuple[bool, str] | None:
    """(ok, message) of a redirect's signed message, or None."""
    text, sig = query.get("msg"), query.get("sig")
    if not isinstance(text, str) or not isinstance(sig, str):
        return None
    expected = hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(expected, sig):
        return None
    kind, _, message = text.partition(":")
    return kind == "ok", message


def _back(path: str, params: dict[str, str], message: str, ok: bool = True, anchor: str = ""):
    query = {k: v for k, v in params.items() if v} | flash(message, ok)
    return redirect(f"{path}?{urlencode(query)}{anchor}", code=303)


def _field(name: str) -> str:
    return (request.form.get(name) or "")[:MAX_FIELD]


def _viewer() -> access.Access:
    return access.current()


# --- 整改台账 -------------------------------------------------------------------------------------


def ledger_new():
    from dashboard.store import default_store

    viewer = _viewer()
    try:
        workdays = int(_field("workdays") or 0) or None
    except ValueError:
        workdays = -1
    try:
        item_id = ledger.open_item(
            viewer,
            source=_field("source") or "other",
            problem=_field("problem"),
            town_code=_field("town") or None,
            dept_name=_field("dept") or None,
            indicator=_field("indicator") or None,
            period_from=_field("from") or None,
            period_to=_field("to") or None,
            ref=_field("ref") or None,
            workdays=workdays,
            known_towns=default_store().every_town(),
        )
    except ManageError as exc:
        keep = {k: _field(k) for k in ("source", "town", "dept", "indicator", "from", "to", "ref")}
        keep |= {"problem": _field("problem")[:300], "new": "1"}
        if keep.get("from"):
            keep["period"] = "custom"
        return _back("/ledger", keep, str(exc), ok=False)
    return _back(
        "/ledger", {"item": str(item_id)}, f"已立项(编号 {item_id})", anchor=f"#item-{item_id}"
    )


def ledger_step(item_id: int):
    viewer = _viewer()
    status = _field("status")
    try:
        item = ledger.add_step(viewer, item_id, status, _field("note"))
    except ManageError as exc:
        return _back(
            "/ledger", {"item": str(item_id)}, str(exc), ok=False, anchor=f"#item-{item_id}"
        )
    return _back(
        "/ledger",
        {"item": str(item.id)},
        f"编号 {item.id}:{item.status}",
        anchor=f"#item-{item.id}",
    )


def ledger_csv():
    viewer = _viewer()
    found = ledger.items(viewer)
    rows = ledger.as_rows(viewer, found, _town_names())
    return _csv("整改台账.csv", "ledger.csv", rows, {"what": "ledger"})


# --- 办件抽查 -------------------------------------------------------------------------------------


def audit_draw():
    from dashboard.store import default_store

    month = _field("month")
    try:
        info = audit_sample.draw(default_store(), _viewer(), month)
    except ManageError as exc:
        return _back("/case-audit", {"month": month}, str(exc), ok=False)
    return _back(
        "/case-audit",
        {"month": month},
        f"已抽取 {info.departments} 个部门的 {info.cases} 件办件",
    )


def audit_check():
    month, case_id = _field("month"), _field("case_id")
    town = _field("town_filter")
    outcomes = {
        name: (_field(f"result:{name}"), _field(f"note:{name}")) for name in audit_sample.checks()
    }
    try:
        parse_month(month)
        written = audit_sample.record(_viewer(), month, case_id, outcomes)
    except ManageError as exc:
        return _back(
            "/case-audit",
            {"month": month, "town": town},
            f"{case_id}:{exc}",
            ok=False,
            anchor=f"#case-{case_id}",
        )
    return _back(
        "/case-audit",
        {"month": month, "town": town},
        f"{case_id}:已保存 {written} 项",
        anchor=f"#case-{case_id}",
    )


def audit_csv():
    from dashboard.store import default_store

    viewer = _viewer()
    month = request.args.get("month") or ""
    try:
        parse_month(month)
    except ManageError as exc:
        return Response(str(exc), 400, content_type="text/plain; charset=utf-8")
    rows = audit_sample.drawn(viewer, month)
    if not rows:  # not drawn yet: the sample as it would be drawn now, the viewer's towns
        frame = audit_sample.sample(default_store(), month)
        rows = frame.to_dicts()
    found = audit_sample.results(viewer, month)
    records = audit_sample.export_rows(rows, found, _town_names())
    return _csv(
        f"办件抽查_{month}.csv", "case-audit.csv", records, {"what": "case_audit", "month": month}
    )


# --- 书面说明 ------------------------------------------------------------------------------------


def explanation_save():
    from dashboard.store import default_store

    viewer = _viewer()
    month = _field("month")
    back = {"month": month}
    try:
        found = explanations.lines(default_store(), month)  # the viewer's towns only
        line = explanations.find(found, _field("town"), _field("dept"), _field("window"))
        explanations.record(viewer, line, _field("text"))
    except ManageError as exc:
        return _back("/explanations", back, str(exc), ok=False)
    from dashboard.manage.explanations import anchor as line_anchor

    anchor = f"#line-{line_anchor(line.town_code, line.dept_name, line.window_name)}"
    where = line.dept_name + (f" · {line.window_name}" if line.window_name else "")
    return _back("/explanations", back, f"{line.town_name} {where}:已保存说明", anchor=anchor)


def explanations_csv():
    from dashboard.store import default_store

    viewer = _viewer()
    month = request.args.get("month") or ""
    try:
        found = explanations.lines(default_store(), month)
    except ManageError as exc:
        return Response(str(exc), 400, content_type="text/plain; charset=utf-8")
    rows = explanations.export_rows(found, explanations.recorded(viewer, month))
    return _csv(
        f"书面说明_{month}.csv", "explanations.csv", rows, {"what": "explanations", "month": month}
    )


# --- 通报 ----------------------------------------------------------------------------------------


def bulletin_make():
    """Render and archive a 通报 now (county staff; one at a time per user, as exports): a
    child `pulse bulletin` that renders on this very server, so that no browser runs inside a
    worker."""
    import subprocess
    import sys

    from dashboard import export_slots

    viewer = _viewer()
    if viewer.role not in ("admin", "city", "county") or not viewer.whole_county:
        raise access.AccessDenied("仅县级用户可生成通报")
    kind, key = _field("kind"), _field("key")
    try:
        if kind == "quarter":
            wanted = bulletin.BulletinRequest.quarter(key)
        elif kind == "month":
            wanted = bulletin.BulletinRequest.month(key)
        else:
            raise ManageError("未知的通报类型")
    except ManageError as exc:
        return _back("/bulletins", {}, str(exc), ok=False)
    command = [sys.executable, "-m", "dashboard.cli", "bulletin", f"--{kind}", wanted.key]
    command += ["--url", _own_url()]
    with export_slots.held(viewer.user or ""):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return _back("/bulletins", {}, "通报生成超时,请稍后再试", ok=False)
    if done.returncode:
        log.error("bulletin %s failed: %s", wanted.key, done.stderr[-2000:])
        return _back("/bulletins", {}, "通报生成失败,已记录,请联系信息中心", ok=False)
    return _back("/bulletins", {}, f"已生成 {wanted.period.label} 通报")


def _own_url() -> str:
    """This server as the renderer reaches it: the local end of the request's connection
    (behind nginx, 127.0.0.1:<port>), not the public name a proxy may not route back."""
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        try:
            host, port = sock.getsockname()[:2]
        except OSError:
            return request.host_url
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"
    return request.host_url


def bulletin_file(name: str):
    from dashboard.snapshot import archive

    viewer = _viewer()
    if viewer.role not in ("admin", "city", "county") or not viewer.whole_county:
        raise access.AccessDenied("仅县级用户可下载通报")
    path = archive.resolve(name, folder=bulletin.archive_dir())
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype="application/pdf",
        as_attachment=request.args.get("inline") is None,
        download_name=name,
        max_age=0,
    )


# --- shared -------------------------------------------------------------------------------------


def _town_names() -> dict[str, str]:
    from dashboard.store import default_store

    frame = default_store().sql("select town_code, town_name from towns", public=True)
    return dict(frame.iter_rows())


def _csv(name: str, ascii_name: str, rows: list[dict], detail: dict) -> Response:
    """A CSV download of a management list, as every export is (dashboard/exports.py): UTF-8
    with BOM, formulas neutralised, the exporter's signature last, an export slot, and the
    audit record with its SHA-256. (`ascii_name` is kept for the callers' readability.)"""
    from dashboard import exports

    header = list(rows[0].keys()) if rows else ["(无记录)"]
    lines = [tuple(r.values()) for r in rows]
    return exports.respond(
        "csv", name, header, lambda: iter([lines] if lines else []), len(rows), detail
    )


def default_month() -> str:
    from datetime import datetime

    from dashboard.domain.metrics import default_as_of
    from dashboard.store import default_store

    try:
        return last_complete_month(default_as_of(default_store()).date())
    except Exception:  # no data yet: last month by the clock
        return last_complete_month(datetime.now().date())


def register_routes(server: Flask) -> None:
    """The /manage/ routes (called by create_app)."""
    if "manage_ledger_new" in server.view_functions:
        return
    rules = (
        ("/manage/ledger/new", "manage_ledger_new", ledger_new, ["POST"]),
        ("/manage/ledger/<int:item_id>/step", "manage_ledger_step", ledger_step, ["POST"]),
        ("/manage/ledger.csv", "manage_ledger_csv", ledger_csv, ["GET"]),
        ("/manage/case-audit/draw", "manage_audit_draw", audit_draw, ["POST"]),
        ("/manage/case-audit/check", "manage_audit_check", audit_check, ["POST"]),
        ("/manage/case-audit.csv", "manage_audit_csv", audit_csv, ["GET"]),
        ("/manage/explanations", "manage_explanation_save", explanation_save, ["POST"]),
        ("/manage/explanations.csv", "manage_explanations_csv", explanations_csv, ["GET"]),
        ("/manage/bulletins/make", "manage_bulletin_make", bulletin_make, ["POST"]),
        ("/manage/bulletins/<path:name>", "manage_bulletin_file", bulletin_file, ["GET"]),
    )
    for rule, endpoint, view, methods in rules:
        server.add_url_rule(rule, endpoint, view, methods=methods)

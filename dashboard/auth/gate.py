"""The route gate: every request passes here before anything answers it.

In order: a request id; the Host allow-list; same-origin for requests that change state;
who is asking (the PDF job's one-time credential, the single sign-on header from a trusted
proxy, a wall device's token, or the session cookie); whether that role may use the route,
the page or — for Dash's callback endpoint — the callback. Then the viewer is bound for the
Store (dashboard/auth/access.py), which narrows every query to the viewer's towns.

After the answer: security headers (CSP with the hashes of Dash's inline scripts, no
framing, nosniff, same-origin referrers), the request id, no caching of data. Errors become
Chinese pages or messages with the request id; tracebacks go to the log only.
"""

from __future__ import annotations

import json
import logging
import secrets
from urllib.parse import urlencode, urlsplit

import dash
from dash.fingerprint import check_fingerprint
from flask import Flask, Response, g, redirect, request
from werkzeug.exceptions import HTTPException

from dashboard.auth import accounts, audit, policy, sessions
from dashboard.auth.access import DENIED, Access, AccessDenied, bind, unbind
from dashboard.auth.web import (
    client_address,
    is_secure,
    proxy_user,
    safe_next,
    set_session_cookie,
)
from dashboard.errors import RequestError
from etl import settings

log = logging.getLogger("pulse.gate")

JOB = Access("report-job", "job", None)
API_PREFIXES = ("/_dash-", "/export/", "/snapshots/file/", "/admin/", "/manage/")
WARMUP = "pulse.warmup"  # a WSGI environ key only the server itself can set


def install(app: dash.Dash) -> None:
    """Put the gate in front of every route of the Dash app's Flask server."""
    server: Flask = app.server
    server.config["MAX_CONTENT_LENGTH"] = int(settings.get("serve.max_request_kb")) * 1024
    server.extensions["pulse_dash"] = app
    server.before_request(_before)
    server.after_request(_after)
    server.teardown_request(_teardown)
    server.register_error_handler(RequestError, _request_error)
    server.register_error_handler(AccessDenied, _access_denied)
    server.register_error_handler(HTTPException, _http_error)
    server.register_error_handler(Exception, _server_error)


# --- before ------------------------------------------------------------------------------------


def _before():
    g.request_id = secrets.token_hex(6)
    g.access = DENIED
    g.access_token = bind(DENIED)
    g.request_token = audit.bind_request(client_address(), g.request_id)
    if not _host_allowed(request.host):
        return _plain(400, "请求的主机名不在允许列表中(serve.allowed_hosts)")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
        return _plain(403, "拒绝跨站请求")
    path = request.path
    if path.startswith(policy.PUBLIC_PREFIXES) or request.environ.get(WARMUP):
        _identify()  # the login page shows who is signed in
        return None
    outcome = _identify()
    if outcome is not None:
        return outcome
    access: Access = g.access
    if access.denied:
        if _is_api(path):
            return _plain(401, "未登录或登录已过期,请重新登录")
        return redirect("/login?" + urlencode({"next": _next_target()}))
    if not _route_allowed(access, path):
        audit.record("denied", {"path": path})
        return _refuse(403, "您的账号无权访问此页面或数据")
    return None


def _identify():
    """Find the viewer; returns a response when the request must be answered now (a wall
    device's token in the URL is swapped for a session cookie by a redirect)."""
    job = request.headers.get(sessions.JOB_HEADER)
    if job:
        if sessions.job_token_valid(job):
            _set_viewer(JOB)
        return None
    sso_user = proxy_user()
    cookie = request.cookies.get(sessions.COOKIE)
    session = sessions.lookup(cookie)
    if sso_user is not None and (session is None or session.user.name != sso_user):
        user = accounts.get(sso_user)
        if user is None or user.disabled or user.role == "wall":
            audit.record("login_failed", {"via": "proxy", "reason": "unknown"}, user=sso_user)
            return _refuse(403, f"统一身份认证用户 {sso_user} 未在本系统开通或已停用")
        g.new_session = sessions.create(user, client_address(), "proxy")
        accounts.touch_login(user.name)
        _set_viewer(user.access())
        audit.record("login", {"via": "proxy"})
        return None
    token = request.args.get("token") if request.path == "/wall" else None
    if token:
        device = accounts.by_token(token)
        if device is None:
            audit.record("login_failed", {"via": "token"})
            return _refuse(403, "大屏链接的令牌无效或已更换,请向管理员索取新链接")
        value = sessions.create(device, client_address(), "token")
        accounts.touch_login(device.name)
        _set_viewer(device.access())
        audit.record("login", {"via": "token"})
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
        response = redirect("/wall" + ("?" + urlencode(rest) if rest else ""))
        set_session_cookie(response, value)
        return response
    if session is not None:
        _set_viewer(session.user.access())
    return None


def _set_viewer(access: Access) -> None:
    g.access = access
    bind(access)


def _route_allowed(access: Access, path: str) -> bool:
    for prefix, roles in policy.ROUTES:
        if path.startswith(prefix):
            if not policy.allowed(access.role, roles):
                return False
            if prefix == "/_dash-update-component":
                return _callback_allowed(access)
            return True
    page = _page_for(path)
    if page is None:  # Dash answers unknown paths with its index; the router shows 404
        return policy.allowed(access.role, policy.SIGNED_IN)
    return policy.allowed(access.role, policy.page_roles(page))


def _page_for(path: str) -> dict | None:
    for page in dash.page_registry.values():
        if page["path"] == path or page.get("relative_path") == path:
            return page
    return None


def _callback_allowed(access: Access) -> bool:
    """A callback is allowed to the roles of the page that defines it; Dash's page router
    to the roles of the page it would render."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        raise RequestError("回调请求无效")
    app: dash.Dash = request.environ.get("pulse.dash") or _dash_app()
    callback = app.callback_map.get(body["output"])
    if callback is None or "callback" not in callback:
        raise RequestError("未知的回调")
    module = getattr(callback["callback"], "__module__", None)
    if module in policy.SHELL_MODULES:
        return True
    if module == policy.ROUTER_MODULE:
        pathname = _input_value(body, "_pages_location", "pathname")
        page = _page_for(pathname if isinstance(pathname, str) else "")
        return page is None or policy.allowed(access.role, policy.page_roles(page))
    page = dash.page_registry.get(module or "")
    if page is None:
        return access.role == "admin"
    return policy.allowed(access.role, policy.page_roles(page))


def _dash_app() -> dash.Dash:
    from flask import current_app

    return current_app.extensions["pulse_dash"]


def _input_value(body: dict, component: str, prop: str):
    for item in body.get("inputs") or []:
        if isinstance(item, dict) and item.get("id") == component and item.get("property") == prop:
            return item.get("value")
    return None


# --- who, where from ------------------------------------------------------------------------


def _host_allowed(host: str) -> bool:
    allowed = {str(h).lower() for h in settings.get("serve.allowed_hosts")}
    if "*" in allowed:
        return True
    name = host.lower()
    if name.startswith("["):  # [::1]:8050
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    return name in allowed


def _same_origin() -> bool:
    """A state-changing request must come from our own pages: Origin (or Referer) names
    this host, when the browser sends one."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path == "/report"


def _next_target() -> str:
    full = request.full_path.rstrip("?")
    return full if safe_next(full) else "/"


# --- after -------------------------------------------------------------------------------------

_CSP: dict[str, str] = {}


def _csp(frame_ancestors: str) -> str:
    app = _dash_app()
    if "hashes" not in _CSP:
        _CSP["hashes"] = " ".join(app.csp_hashes())
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {_CSP['hashes']}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def _after(response: Response) -> Response:
    new = getattr(g, "new_session", None)
    if new:
        set_session_cookie(response, new)
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    frames = [str(o) for o in settings.get("wall.frame_ancestors")]
    if request.path == "/wall" and frames:
        ancestors = " ".join(frames)
    else:
        ancestors = "'none'"
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = _csp(ancestors)
    if is_secure():
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    response.headers["Cache-Control"] = _cache_control(request.path, response.status_code)
    return response


YEAR = "public, max-age=31536000, immutable"


def _cache_control(path: str, status: int) -> str:
    """Versioned files for a year, other static files revalidated, data never kept.

    Dash names its bundles with the package version and the file's time
    (…/dash_core_components.v4_4_1m1764526740.js) and our assets with ?m=<file time>: a new
    file is a new URL, so the browser may keep the old one without asking. Dash's async
    chunks (async-graph.js, …) have no fingerprint: the browser asks again (ETag → 304).
    Pages, callbacks, exports and errors: no-store."""
    if status not in (200, 304):
        return "no-store"
    if path.startswith("/_dash-component-suites/"):
        return YEAR if check_fingerprint(path)[1] else "no-cache"
    if path.startswith("/assets/"):
        return YEAR if request.args.get("m") else "no-cache"
    if path == "/_favicon.ico":
        return "public, max-age=86400"
    return "no-store"


def _teardown(_exc=None) -> None:
    token = g.pop("access_token", None)
    unbind(token)
    request_token = g.pop("request_token", None)
    audit.unbind_request(request_token)


# --- errors ------------------------------------------------------------------------------------


def _request_error(exc: RequestError):
    return _refuse(exc.status, exc.message)


def _access_denied(exc: AccessDenied):
    return _refuse(403, str(exc) or "无权访问")


_HTTP_MESSAGES = {
    400: "请求无效",
    401: "未登录或登录已过期",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的请求方式",
    413: "请求内容过大",
    429: "请求过于频繁,请稍后再试",
}


def _http_error(exc: HTTPException):
    status = exc.code or 500
    return _refuse(status, _HTTP_MESSAGES.get(status, "请求无法完成"))


def _server_error(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    from dashboard.store import StoreEmpty

    if isinstance(exc, StoreEmpty):
        return _refuse(503, "尚未导入数据")
    log.error(
        "request %s %s %s failed",
        getattr(g, "request_id", "-"),
        request.method,
        request.path,
        exc_info=exc,
    )
    return _refuse(500, "服务器内部错误,已记录。")


def _refuse(status: int, message: str) -> Response:
    """An error as the client can read it: a Chinese page for a browser's page request,
    plain text for scripts and Dash's requests. Always with the request id."""
    rid = getattr(g, "request_id", "-")
    if _is_api(request.path) or request.method != "GET":
        return _plain(status, f"{message}(请求编号 {rid})")
    from dashboard.auth.views import error_page

    return Response(
        error_page(status, message, rid), status, content_type="text/html; charset=utf-8"
    )


def _plain(status: int, message: str) -> Response:
    body = json.dumps(
        {"message": message, "request_id": getattr(g, "request_id", "-")}, ensure_ascii=False
    )
    if request.path.startswith("/_dash-"):
        return Response(body, status, content_type="application/json; charset=utf-8")
    return Response(message, status, content_type="text/plain; charset=utf-8")

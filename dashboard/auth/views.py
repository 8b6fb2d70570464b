"""The login and logout routes and the error page: plain HTML from the server (no Dash, no
script), styled by the same local Bootstrap as the dashboard."""

from __future__ import annotations

from html import escape

from flask import Flask, Response, g, redirect, request

from dashboard.auth import accounts, appdb, audit, policy, sessions, web
from dashboard.auth.access import bind
from etl import settings

MAX_FIELD = 256


def register_routes(server: Flask) -> None:
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])


def _page(title: str, body: str, status: int = 200) -> Response:
    county = escape(str(settings.get("county.name")))
    html = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · {county} 政务服务效能看板</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap.min.css">
<link rel="stylesheet" href="/assets/pulse.css">
</head><body class="bg-light">
<main class="container" style="max-width: 440px; padding-top: 12vh;">
<h1 class="h4 mb-4 text-center">{county} · 政务服务效能看板</h1>
{body}
</main></body></html>"""
    return Response(html, status, content_type="text/html; charset=utf-8")


def _demo_badge() -> str:
    if appdb.get_meta("demo") != "1":
        return ""
    return (
        '<div class="alert alert-warning py-2 small" id="demo-note">'
        "<strong>演示数据</strong>:当前显示的是示范县的模拟数据,并非真实办件。"
        "演示账号和密码在启动服务时打印于命令行。</div>"
    )


def login():
    target = request.values.get("next") or "/"
    if not web.safe_next(target):
        target = "/"
    message = ""
    status = 200
    if request.method == "POST":
        name = (request.form.get("username") or "")[:MAX_FIELD].strip()
        password = (request.form.get("password") or "")[:MAX_FIELD]
        result = accounts.verify_login(name, password) if name and password else None
        if result is not None and result.reason == "ok" and result.user is not None:
            old = request.cookies.get(sessions.COOKIE)
            sessions.end(old)
            value = sessions.create(result.user, web.client_address(), "password")
            bind(result.user.access())
            audit.record("login", {"via": "password"})
            if target == "/":
                target = policy.landing(result.user.role)
            response = redirect(target)
            web.set_session_cookie(response, value)
            return response
        reason = result.reason if result is not None else "empty"
        audit.record("login_failed", {"via": "password", "reason": reason}, user=name or None)
        message = result.message if result is not None else "请输入用户名和密码"
        status = 401
    signed_in = g.get("access")
    who = ""
    if signed_in is not None and not signed_in.denied:
        who = (
            f'<p class="small text-muted">当前已登录:{escape(signed_in.label())}。'
            "重新登录将替换当前会话。</p>"
        )
    error = (
        f'<div class="alert alert-danger py-2" role="alert">{escape(message)}</div>'
        if message
        else ""
    )
    tries = int(settings.get("auth.max_failed_logins"))
    minutes = int(settings.get("auth.lockout_minutes"))
    body = f"""{_demo_badge()}
<div class="card shadow-sm"><div class="card-body">
<h2 class="h5 mb-3">登录</h2>
{error}{who}
<form method="post" action="/login" autocomplete="on">
<input type="hidden" name="next" value="{escape(target)}">
<div class="mb-3"><label class="form-label" for="username">用户名</label>
<input class="form-control" id="username" name="username" autocomplete="username" required autofocus
 maxlength="64"></div>
<div class="mb-3"><label class="form-label" for="password">密码</label>
<input class="form-control" id="password" name="password" type="password" required
 autocomplete="current-password" maxlength="{MAX_FIELD}"></div>
<button class="btn btn-primary w-100" type="submit">登录</button>
</form></div></div>
<p class="small text-muted mt-3">忘记密码或账号被锁定,请联系系统管理员。连续输错
{tries} 次账号将锁定 {minutes} 分钟。</p>"""
    return _page("登录", body, status)


def logout():
    value = request.cookies.get(sessions.COOKIE)
    if g.get("access") is not None and not g.access.denied:
        audit.record("logout", {})
    sessions.end(value)
    response = redirect("/login")
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


def error_page(status: int, message: str, request_id: str) -> str:
    back = '<a class="btn btn-outline-primary" href="/">返回首页</a>'
    if status == 401:
        back = '<a class="btn btn-primary" href="/login">重新登录</a>'
    return _page(
        f"错误 {status}",
        f"""<div class="card shadow-sm"><div class="card-body">
<h2 class="h5">{status} · {escape(message)}</h2>
<p class="text-muted small mb-3">请求编号 <code>{escape(request_id)}</code>
(向管理员反映问题时请提供此编号)</p>{back}</div></div>""",
        status,
    ).get_data(as_text=True)

"""The report page printed to PDF by headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): the charts are the dashboard's own Plotly figures, drawn by the same code.

Where the page comes from: a running dashboard (`url`), or — the default, so that
`pulse snapshot` works with nothing else running — a private server started in this
process on a free port of 127.0.0.1 (Dash's Flask app under werkzeug's threaded server),
stopped when the Renderer closes. One Renderer serves many reports (the schedule renders
the county and every town with one server and one browser).

A PDF is printed only after the page has said document.body.dataset.reportReady = "1"
(every figure drawn). A build error on the page (dataset.reportError), a failed callback or
request, a JavaScript error, or no signal within the timeout raises RenderError: never a
blank or half PDF.
"""

from __future__ import annotations

import atexit
import gc
import html
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from dashboard.snapshot.content import Request
from etl import settings

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--font-render-hinting=none",
]
VIEWPORT = {"width": 1100, "height": 800}  # wider than the 277 mm report: no reflow
MARGINS = {"top": "10mm", "bottom": "13mm", "left": "10mm", "right": "10mm"}


class RenderError(RuntimeError):
    """The report could not be rendered completely."""


@dataclass
class Rendered:
    pdf: bytes
    meta: dict[str, Any]  # read back from the page: what was actually rendered
    seconds: float
    phases: dict[str, float]  # seconds: load (page and figures on the server), draw, print


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _PrivateServer:
    """The dashboard in this process, on a free local port, for the renderer only."""

    def __init__(self) -> None:
        import logging as _logging

        from werkzeug.serving import make_server

        from dashboard.app import create_app

        _logging.getLogger("werkzeug").setLevel(_logging.WARNING)
        app = create_app()
        # as dashboard/server.py: Dash registers its script bundles on the first index page
        from dashboard.auth.gate import WARMUP

        with app.server.test_client() as client:
            client.get("/", environ_overrides={WARMUP: True})
        self.port = free_port()
        self._server = make_server("127.0.0.1", self.port, app.server, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="snapshot-server", daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


_APP_SERVER: _PrivateServer | None = None  # Dash's page registry is per process: one app


def _private_server() -> _PrivateServer:
    global _APP_SERVER
    if _APP_SERVER is None:
        _APP_SERVER = _PrivateServer()
        atexit.register(_stop_private_server)
    return _APP_SERVER


def _stop_private_server() -> None:
    """At exit: stop the server and let go of the store's connection before the interpreter
    tears DuckDB down (otherwise its bindings report leaked objects)."""
    global _APP_SERVER
    if _APP_SERVER is not None:
        _APP_SERVER.close()
        _APP_SERVER = None
    import dashboard.store

    dashboard.store._default = None
    gc.collect()


class Renderer:
    """with Renderer() as r: r.render(Request(...)) → Rendered."""

    def __init__(self, url: str | None = None, timeout: float | None = None):
        self.base = url.rstrip("/") if url else None
        self.timeout = float(timeout or settings.get("snapshot.timeout_seconds"))
        self._server: _PrivateServer | None = None
        self._pw = None
        self._browser = None
        self._credential: str | None = None

    def __enter__(self) -> Renderer:
        from playwright.sync_api import sync_playwright

        from dashboard.auth import sessions

        if self.base is None:
            self._server = _private_server()
            self.base = self._server.url
        # the one-time credential of this run: the report page (on the private server or a
        # running dashboard sharing the app database) lets the renderer in with it, nobody else
        self._credential = sessions.issue_job_token(minutes=int(self.timeout // 60) + 60)
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Exception:
            self._pw.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        from dashboard.auth import sessions

        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._pw is not None:
                self._pw.stop()
            if self._credential is not None:
                sessions.revoke_job_token(self._credential)
                self._credential = None
        # the private server stays up for the process's next Renderer (its thread is a
        # daemon): Dash's page registry allows one app per process

    def render(self, request: Request) -> Rendered:
        from playwright.sync_api import Error as PlaywrightError

        try:
            return self._render(request)
        except PlaywrightError as exc:  # e.g. the page did not load within the timeout
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RenderError(f"Chromium: {first}") from exc

    def _render(self, request: Request) -> Rendered:
        started = time.monotonic()
        # the weekly report; a 通报 (dashboard/manage/bulletin.py) names its own page
        url = f"{self.base}{getattr(request, 'page', '/report')}{request.query()}"
        from dashboard.auth.sessions import JOB_HEADER

        context = self._browser.new_context(
            viewport=VIEWPORT,
            locale="zh-CN",
            timezone_id=str(settings.get("snapshot.timezone")),
            extra_http_headers={JOB_HEADER: self._credential or ""},
        )
        problems: list[str] = []
        try:
            page = context.new_page()
            page.on("pageerror", lambda e: problems.append(f"JavaScript 错误: {e}"))
            page.on(
                "response",
                lambda r: (
                    problems.append(f"HTTP {r.status} {r.request.method} {r.url}")
                    if r.status >= 400
                    else None
                ),
            )
            page.on(
                "requestfailed",
                lambda r: problems.append(f"请求失败 {r.url}: {r.failure}"),
            )
            page.emulate_media(media="print")
            page.goto(url, wait_until="load", timeout=self.timeout * 1000)
            loaded = time.monotonic()
            deadline = started + self.timeout
            while True:
                state = page.evaluate(
                    "() => ({ready: document.body.dataset.reportReady || '',"
                    " error: document.body.dataset.reportError || '',"
                    " progress: document.body.dataset.reportProgress || ''})"
                )
                if state["error"]:
                    raise RenderError(f"报告页生成失败 ({url}): {state['error']}")
                if problems:
                    raise RenderError(f"报告页出错 ({url}): " + "; ".join(problems[:5]))
                if state["ready"] == "1":
                    break
                if time.monotonic() > deadline:
                    raise RenderError(
                        f"报告页 {self.timeout:.0f} 秒内未完成渲染 ({url});"
                        f" 已绘制图表 {state['progress'] or '0/?'}"
                    )
                page.wait_for_timeout(100)
            ready = time.monotonic()
            meta = json.loads(page.get_attribute("#report-root", "data-meta") or "{}")
            # the PDF's Title: the report's name, not the browser tab's
            page.evaluate(
                "t => { document.title = t; }",
                f"{meta.get('title', '')} {meta.get('period_label', '')}".strip(),
            )
            pdf = page.pdf(
                format="A4",
                landscape=getattr(request, "landscape", True),
                print_background=True,
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=footer(meta),
                margin=MARGINS,
            )
            if problems:  # anything that failed while printing
                raise RenderError(f"报告页出错 ({url}): " + "; ".join(problems[:5]))
        finally:
            context.close()
        if not pdf.startswith(b"%PDF"):
            raise RenderError("Chromium did not return a PDF")
        done = time.monotonic()
        phases = {"load": loaded - started, "draw": ready - loaded, "print": done - ready}
        log.info(
            "rendered %s in %.1f s (%s)",
            url,
            done - started,
            ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()),
        )
        return Rendered(pdf, meta, done - started, phases)


def footer(meta: dict[str, Any]) -> str:
    """Chromium's footer template: the report's name and period left, page numbers right."""
    name = html.escape(f"{meta.get('title', '')} · {meta.get('period_label', '')}")
    as_of = html.escape(str(meta.get("as_of", ""))[:16])
    font = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif"
    return (
        f'<div style="width:100%;margin:0 10mm;font-size:8px;font-family:{font};color:#57606a;'
        "display:flex;justify-content:space-between;border-top:0.5px solid #d0d7de;"
        'padding-top:1.5mm;">'
        f"<span>{name} · 数据截至 {as_of}</span>"
        '<span>第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页'
        "</span></div>"
    )

"""Locked down (issue 13), tried as an attacker inside the intranet would: over real HTTP
against a real gunicorn server, and in Chromium.

- Without a session, pages redirect to /login; callbacks, exports, /report answer 401.
- A town official's crafted callback and export requests for another town return none of
  its rows; the ranking (published figures) is the only place other towns appear.
- A wall device's token reaches the wall and nothing else.
- Injection payloads through the callback endpoint and the export route change nothing.
- Logins, failures and exports are in the audit log; lockout and idle expiry work.
- Security headers on every answer, no CSP violation on any page, no markup from data.
- Bad requests get a 400 with a Chinese message; a 500 is a Chinese page with a request id.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import pytest
import requests

from tests.conftest import ROOT, TICKET_HEADER, copy_data, ticket_row, write_csv
from tests.e2e.conftest import (
    ACCOUNTS,
    DEMO_TOWN,
    OTHER_TOWN,
    WALL_TOKEN,
    free_port,
    login_context,
    login_session,
)

pytestmark = pytest.mark.browser

MARKUP_TOPIC = '<a href="http://evil.example/">点我领补贴</a>'


# --- calling Dash's callback endpoint as a script would -----------------------------------------


def _dependencies(session, url: str) -> list[dict]:
    return session.get(url + "/_dash-dependencies", timeout=30).json()


def callback(session, url: str, output_id: str, inputs: dict, state: dict | None = None):
    """POST /_dash-update-component for the callback writing `output_id`, with the given
    input and state values ({"component.property": value})."""
    deps = _dependencies(session, url)
    dep = next(d for d in deps if f"{output_id}." in d["output"])

    def items(spec: list[dict], values: dict) -> list[dict]:
        return [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get(f"{s['id']}.{s['property']}"),
            }
            for s in spec
        ]

    outputs = [
        {"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
        for o in dep["output"].strip(".").split("...")
    ]
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": items(dep["inputs"], inputs),
        "state": items(dep.get("state", []), state or {}),
        "changedPropIds": [next(iter(inputs))],
    }
    return session.post(
        url + "/_dash-update-component", json=body, timeout=60, headers={"Origin": url}
    )


NO_DATA = "本期无数据"  # a KPI with no rows behind it (not a misleading 0)


def kpi_figures(session, url: str, search: str) -> dict[str, str]:
    """The overview's KPI values for a query string, read from the callback's answer."""
    answer = callback(session, url, "overview-kpis", {"url.search": search})
    assert answer.status_code == 200, answer.text[:300]
    text = json.dumps(answer.json(), ensure_ascii=False)
    cards = {}
    for col in answer.json()["response"]["overview-kpis"]["children"]:
        card = col["props"]["children"]
        body = card["props"]["children"]["props"]["children"]["props"]["children"]
        value = body[1]["props"]["children"]["props"]["children"]
        cards[card["props"]["id"].removeprefix("kpi-")] = value
    assert cards, text[:200]
    return cards


def grid_rows(
    session, url: str, grid: str, search: str, start: int = 0, end: int = 100, **request
) -> requests.Response:
    """One block of a server-side grid (明细 `rows-grid`, 办件查询 `cases-grid`)."""
    block = {"startRow": start, "endRow": end, "sortModel": [], "filterModel": {}, **request}
    output = "rows-grid" if grid == "rows-grid" else "cases-grid"
    return callback(session, url, output, {f"{grid}.getRowsRequest": block}, {"url.search": search})


def _rows_of(answer: requests.Response, grid: str) -> dict:
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["response"][grid]["getRowsResponse"]


# --- without a session -------------------------------------------------------------------------


def test_without_a_session_nothing_answers(server):
    anonymous = requests.Session()
    for path in (
        "/",
        "/town",
        "/rows?indicator=cases",
        "/cases",
        "/quality",
        "/hotline",
        "/evaluations",
        "/snapshots",
        "/wall",
        "/audit",
        "/accounts",
        "/no-such-page",
    ):
        answer = anonymous.get(server + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/login?next="), path
    for path in (
        "/_dash-layout",
        "/_dash-dependencies",
        "/export/cases.csv",
        "/export/cases.xlsx",
        "/report?period=last_week",
        "/snapshots/file/x.pdf",
        "/admin/audit.csv",
        "/_dash-component-suites/dash/dcc/dash_core_components.js",
    ):
        answer = anonymous.get(server + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 401, path
        assert "Traceback" not in answer.text
    body = {"output": "overview-kpis.children", "inputs": [], "state": []}
    answer = anonymous.post(server + "/_dash-update-component", json=body, timeout=30)
    assert answer.status_code == 401 and "未登录" in answer.json()["message"]
    # the login page itself, and the static assets it needs, are public
    login = anonymous.get(server + "/login", timeout=30)
    assert login.status_code == 200 and 'name="username"' in login.text
    assert 'name="password"' in login.text and "登录" in login.text
    assert anonymous.get(server + "/assets/vendor/bootstrap.min.css", timeout=30).ok


def test_login_redirects_back_only_within_the_site(server):
    session = requests.Session()
    for target, expected in (
        ("/town?period=last_month", "/town?period=last_month"),
        ("//evil.example/", "/"),
        ("http://evil.example/", "/"),
    ):
        answer = session.post(
            server + "/login",
            data={"username": "county", "password": ACCOUNTS["county"][1], "next": target},
            headers={"Origin": server},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.headers["Location"] == expected, target
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_logout_ends_the_session(server):
    session = login_session(server, "county")
    assert session.get(server + "/_dash-layout", timeout=30).status_code == 200
    out = session.post(
        server + "/logout", headers={"Origin": server}, allow_redirects=False, timeout=30
    )
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert session.get(server + "/_dash-layout", timeout=30).status_code == 401
    # a cross-site form cannot log anyone out (or in)
    victim = login_session(server, "county")
    forged = victim.post(
        server + "/logout",
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
        timeout=30,
    )
    assert forged.status_code == 403
    assert victim.get(server + "/_dash-layout", timeout=30).status_code == 200


# --- a town official ---------------------------------------------------------------------------


def test_a_town_official_gets_none_of_another_towns_rows(server):
    county, town = login_session(server, "county"), login_session(server, "town")
    month = "?period=this_year"
    other = f"{month}&towns={OTHER_TOWN}"
    # the county sees the other town's cases; the official asking for them gets nothing
    assert int(kpi_figures(county, server, other)["cases"].replace(",", "")) > 0
    assert kpi_figures(town, server, other)["cases"] == NO_DATA
    own = kpi_figures(town, server, month)["cases"]
    assert own == kpi_figures(county, server, f"{month}&towns={DEMO_TOWN}")["cases"]
    # 明细: the other town's rows by ?town=, by ?towns=, and with no town at all
    for search in (
        f"{month}&indicator=cases&town={OTHER_TOWN}",
        f"{month}&indicator=overdue_completed&towns={OTHER_TOWN}",
    ):
        rows = _rows_of(grid_rows(town, server, "rows-grid", search), "rows-grid")
        assert rows == {"rowData": [], "rowCount": 0}, search
    everything = _rows_of(
        grid_rows(town, server, "rows-grid", f"{month}&indicator=cases", end=1000), "rows-grid"
    )
    assert everything["rowCount"] == int(own.replace(",", ""))
    assert {r["town_code"] for r in everything["rowData"]} == {DEMO_TOWN}
    # 办件查询: the same
    cases = _rows_of(grid_rows(town, server, "cases-grid", other), "cases-grid")
    assert cases["rowCount"] == 0
    mine = _rows_of(grid_rows(town, server, "cases-grid", month, end=500), "cases-grid")
    assert {r["town_name"] for r in mine["rowData"]} == {"城关街道"}
    # the export route: only the official's own rows, whatever the link says
    for query in (f"period=this_year&towns={OTHER_TOWN}", "period=this_year"):
        answer = town.get(f"{server}/export/cases.csv?{query}", timeout=60)
        assert answer.status_code == 200
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))[:-1]
        assert {r["乡镇(街道)"] for r in rows} <= {"城关街道"}, query
    # the ranking is published: every town's figures, as in a 通报
    ranking = callback(
        town, server, "overview-ranking", {"url.search": month, "overview-rank-by.value": "cases"}
    )
    names = {r["town_name"] for r in ranking.json()["response"]["overview-ranking"]["rowData"]}
    assert len(names) == 13
    # pages of the county only
    for path in ("/quality", "/report?period=last_week"):
        assert town.get(server + path, allow_redirects=False, timeout=30).status_code == 403
    router = callback(
        town,
        server,
        "_pages_content",
        {"_pages_location.pathname": "/quality", "_pages_location.search": ""},
    )
    assert router.status_code == 403


def test_a_town_official_editing_the_url_in_chromium_sees_no_other_town(server, browser):
    context = login_context(browser, server, "town")
    page = context.new_page()
    try:
        page.goto(f"{server}/rows?period=this_year&indicator=cases&town={OTHER_TOWN}")
        page.wait_for_selector("#rows-count:has-text('共')")
        assert "共 0 条" in page.inner_text("#rows-count")
        page.goto(f"{server}/town?period=this_year&town={OTHER_TOWN}")
        page.wait_for_selector("#town-title")
        # not the other town, and not silently the official's own: the page says so
        assert page.inner_text("#town-title") == "乡镇 · 未找到该乡镇"
        # the title and the note come from different callbacks: wait for the note
        page.get_by_text("不存在或您无权查看").first.wait_for(timeout=30_000)
        assert "青石镇" not in page.inner_text("#_pages_content")
        options = page.locator("#filter-towns").inner_text()
        assert "青石镇" not in options
        page.goto(f"{server}/quality")
        assert "无权访问" in page.inner_text("body")
    finally:
        context.close()


# --- a wall device -----------------------------------------------------------------------------


def test_the_wall_token_reaches_nothing_outside_the_wall(server):
    device = requests.Session()
    assert device.get(f"{server}/wall?token={WALL_TOKEN['wall']}", timeout=30).status_code == 200
    wall = callback(
        device,
        server,
        "wall-kpis",
        {"wall-tick.n_intervals": 1, "wall-viewport.data": {"w": 1920, "h": 1080}},
        {"wall-config.data": {"query": "period=this_month"}},
    )
    assert wall.status_code == 200
    assert (
        callback(device, server, "overview-kpis", {"url.search": "?period=this_month"}).status_code
        == 403
    )
    assert (
        grid_rows(
            device, server, "rows-grid", "?period=this_month&indicator=overdue_open"
        ).status_code
        == 403
    )
    assert grid_rows(device, server, "cases-grid", "?period=this_month").status_code == 403
    for path in ("/rows", "/town", "/cases", "/quality"):
        router = callback(
            device,
            server,
            "_pages_content",
            {"_pages_location.pathname": path, "_pages_location.search": ""},
        )
        assert router.status_code == 403, path
    for path in (
        "/export/cases.csv?period=this_month",
        "/report?period=last_week",
        "/snapshots/file/x.pdf",
        "/admin/audit.csv",
        "/town",
        "/",
    ):
        answer = device.get(server + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 403, path


# --- injection ---------------------------------------------------------------------------------

PAYLOADS = [
    "{depts}",
    ") or 1=1 or ' in (",
    "' or '1'='1",
    "’ or ‘1’=‘1",  # full-width quotes
    "x'); select * from read_text('data/secret.key'); --",
    "$$ or true $$",
    "/* */ or 1=1",
    "{scope}",
    "$towns",
    "%27%20or%201=1",
    "\\' or 1=1 --",
]


def test_injection_payloads_change_nothing(server):
    county = login_session(server, "county")
    baseline = kpi_figures(county, server, "?period=this_month&towns=nowhere")
    for payload in PAYLOADS:
        for key in ("towns", "depts"):
            search = "?" + urlencode({"period": "this_month", key: payload})
            answer = callback(county, server, "overview-kpis", {"url.search": search})
            if answer.status_code == 400:
                continue  # refused is fine
            figures = kpi_figures(county, server, search)
            if key == "towns":
                assert figures == baseline, payload
            else:
                assert figures["cases"] == NO_DATA, payload
    # the request from the field: towns={depts}&depts=) or 1=1 or ' in (
    crafted = "?period=this_month&towns={depts}&depts=) or 1=1 or ' in ("
    assert kpi_figures(county, server, crafted)["cases"] == NO_DATA
    for payload in PAYLOADS:
        rows = _rows_of(
            grid_rows(
                county,
                server,
                "rows-grid",
                "?" + urlencode({"period": "this_year", "indicator": "cases", "town": payload}),
            ),
            "rows-grid",
        )
        assert rows["rowCount"] == 0, payload
        answer = county.get(
            f"{server}/export/cases.csv?period=this_month&towns={quote(payload)}", timeout=60
        )
        assert answer.status_code in (200, 400), payload
        if answer.status_code == 200:
            rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
            assert len(rows) == 1 and rows[0]["办件编号"].startswith("导出人"), payload
        # a grid filter value is a bound parameter: it matches text, never runs
        filtered = _rows_of(
            grid_rows(
                county,
                server,
                "cases-grid",
                "?period=this_year",
                filterModel={
                    "item_name": {"filterType": "text", "type": "contains", "filter": payload}
                },
            ),
            "cases-grid",
        )
        assert filtered["rowCount"] == 0, payload


# --- audit, lockout, expiry --------------------------------------------------------------------


def _audit(env: dict[str, str], *args: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "audit", "--format", "json", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_logins_exports_and_row_views_are_audited(server, demo_env):
    failed = requests.post(
        server + "/login",
        data={"username": "county", "password": "nope"},
        headers={"Origin": server},
        timeout=30,
    )
    assert failed.status_code == 401 and "用户名或密码错误" in failed.text
    county = login_session(server, "county")
    answer = county.get(
        f"{server}/export/cases.csv?period=last_month&towns={DEMO_TOWN}", timeout=60
    )
    body = answer.content
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[-1]["办件编号"].startswith("导出人:county · 导出时间:")
    grid_rows(county, server, "rows-grid", "?period=last_month&indicator=cases", end=50)
    time.sleep(0.5)  # the export's audit row is written when the download ends
    logins = _audit(demo_env, "--user", "county", "--action", "login")
    assert logins and logins[0]["address"] == "127.0.0.1"
    assert any(
        json.loads(r["detail"]).get("reason") == "bad_password"
        for r in _audit(demo_env, "--action", "login_failed")
    )
    exports = _audit(demo_env, "--user", "county", "--action", "export")
    detail = json.loads(exports[0]["detail"])
    assert detail["sha256"] == hashlib.sha256(body).hexdigest()
    assert exports[0]["rows"] == len(rows) - 1 and detail["format"] == "csv"
    assert detail["towns"] == [DEMO_TOWN] and detail["complete"] is True
    views = _audit(demo_env, "--user", "county", "--action", "view_rows")
    assert views[0]["rows"] == 50 and json.loads(views[0]["detail"])["indicator"] == "cases"


class _Server:
    """A server of its own over a copy of the demo data, with its own settings; its log goes
    to a file the test can read."""

    def __init__(self, demo_env: dict[str, str], base, toml: str, bind: str = "127.0.0.1"):
        copy_data(Path(demo_env["PULSE_DATA_DIR"]), base / "data")
        (base / "pulse.toml").write_text(toml, encoding="utf-8")
        self.env = {
            **demo_env,
            "PULSE_DATA_DIR": str(base / "data"),
            "PULSE_CONFIG": str(base / "pulse.toml"),
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = base / "server.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dashboard.cli",
                    "serve",
                    "--host",
                    bind,
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)


@pytest.fixture(scope="module")
def strict(demo_env, tmp_path_factory):
    base = tmp_path_factory.mktemp("strict")
    toml = """
[auth]
max_failed_logins = 3
lockout_minutes = 30
session_idle_hours = 0.002
proxy_header = "X-Remote-User"
trusted_proxies = ["127.0.0.1"]

[export]
xlsx_max_rows = 100

[serve]
allowed_hosts = ["localhost", "127.0.0.1", "pulse.county.example"]
max_filter_values = 20
"""
    # a 12345 ticket whose topic is markup: it must show as text, never as a link
    extra = write_csv(
        base / "tickets.csv",
        TICKET_HEADER,
        [
            ticket_row(
                f"MARK{i}",
                一级分类=MARKUP_TOPIC,
                来电时间="2026-11-18 09:00:00",
                办理时限="2026-11-25 17:00:00",
                办结时间="2026-11-20 10:00:00",
            )
            for i in range(3)
        ],
    )
    server = _Server(demo_env, base, toml)
    loaded = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "load", str(extra)],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0 and "MARK" not in loaded.stdout, loaded.stdout
    yield server
    server.stop()


def _login(url: str, name: str, password: str) -> requests.Response:
    return requests.post(
        url + "/login",
        data={"username": name, "password": password},
        headers={"Origin": url},
        allow_redirects=False,
        timeout=30,
    )


def test_lockout_after_repeated_failures(strict):
    for _ in range(3):
        assert _login(strict.url, "admin", "wrong-password").status_code == 401
    locked = _login(strict.url, "admin", ACCOUNTS["admin"][1])
    assert locked.status_code == 401 and "锁定" in locked.text
    enabled = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "user", "enable", "admin"],
        cwd=ROOT,
        env=strict.env,
        capture_output=True,
        text=True,
    )
    assert enabled.returncode == 0, enabled.stderr
    assert _login(strict.url, "admin", ACCOUNTS["admin"][1]).status_code == 302


def test_sessions_expire_when_idle(strict):
    session = login_session(strict.url, "county")
    assert session.get(strict.url + "/_dash-layout", timeout=30).status_code == 200
    time.sleep(8)  # auth.session_idle_hours = 0.002 here: 7.2 s
    assert session.get(strict.url + "/_dash-layout", timeout=30).status_code == 401


def test_an_expired_session_in_the_browser_goes_to_the_login_page(strict, browser):
    context = login_context(browser, strict.url, "county")
    page = context.new_page()
    try:
        page.goto(strict.url + "/?period=last_month")
        page.wait_for_selector("#kpi-cases .kpi-value")
        page.wait_for_timeout(8000)  # idle past auth.session_idle_hours (7.2 s here)
        # a choice on the open page: its callbacks answer 401, and the page goes to login
        page.click("#filter-period")
        page.get_by_role("option", name="本月").click()
        page.wait_for_url("**/login?next=*", timeout=20_000)
        assert "登录" in page.inner_text("body")
    finally:
        context.close()


def _from(address: str, url: str, path: str, headers: dict[str, str]) -> int:
    parsed = urlparse(url)
    connection = http.client.HTTPConnection(
        parsed.hostname, parsed.port, timeout=30, source_address=(address, 0)
    )
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_single_sign_on_header_only_from_trusted_proxies(strict):
    header = {"X-Remote-User": "county"}
    assert _from("127.0.0.1", strict.url, "/_dash-layout", header) == 200
    assert _from("127.0.0.2", strict.url, "/_dash-layout", header) == 401  # not a proxy
    assert (
        _from("127.0.0.1", strict.url, "/_dash-layout", {"X-Remote-User": "nobody"}) == 403
    )  # not an account here


def test_requests_for_other_hosts_are_refused(strict):
    cookie = login_session(strict.url, "county").cookies["pulse_session"]

    def status(host: str) -> int:
        headers = {"Host": host, "Cookie": f"pulse_session={cookie}"}
        return requests.get(strict.url + "/_dash-layout", headers=headers, timeout=30).status_code

    assert status("evil.example") == 400
    assert status("pulse.county.example") == 200  # listed in serve.allowed_hosts


def test_bad_requests_get_a_400_with_a_message(strict):
    county = login_session(strict.url, "county")
    cases = "?period=this_year"
    for bad in (
        {"startRow": 2**63, "endRow": 2**63 + 100},
        {"startRow": -5},
        {"startRow": "x"},
        {"sortModel": [{}]},
        {"sortModel": [{"colId": []}]},
        {"sortModel": "case_id"},
        {"filterModel": {"item_name": {"type": []}}},
    ):
        # 明细 has no column filters: its grid ignores a filter model
        grids = ("cases-grid",) if "filterModel" in bad else ("cases-grid", "rows-grid")
        for grid in grids:
            search = cases + ("&indicator=cases" if grid == "rows-grid" else "")
            answer = grid_rows(county, strict.url, grid, search, **bad)
            assert answer.status_code == 400, (grid, bad, answer.text[:200])
            assert "请求编号" in answer.json()["message"]
    many = "&towns=" + ",".join(f"33990{i:07d}" for i in range(25))
    answer = callback(county, strict.url, "overview-kpis", {"url.search": cases + many})
    assert answer.status_code == 400 and "最多" in answer.json()["message"]
    huge = requests.post(  # a connection of its own: the server answers before reading it all
        strict.url + "/_dash-update-component",
        data=b"x" * 600_000,
        headers={"Content-Type": "application/json", "Origin": strict.url},
        cookies=county.cookies,
        timeout=30,
    )
    assert huge.status_code == 413
    report = county.get(
        strict.url + "/report?period=custom&from=0001-01-01&to=9999-12-31", timeout=30
    )
    assert report.status_code in (200, 400)
    router = callback(
        county,
        strict.url,
        "_pages_content",
        {
            "_pages_location.pathname": "/report",
            "_pages_location.search": "?period=custom&from=0001-01-01&to=9999-12-31",
        },
    )
    assert router.status_code in (200, 400)
    if router.status_code == 200:  # the page says what is wrong, in Chinese
        assert "日期" in json.dumps(router.json(), ensure_ascii=False)


def test_excel_above_its_limit_is_refused_with_a_hint_for_csv(strict):
    county = login_session(strict.url, "county")
    answer = county.get(strict.url + "/export/cases.xlsx?period=this_year", timeout=60)
    assert answer.status_code == 413
    assert "CSV" in answer.text and "Excel 导出上限 100 条" in answer.text
    assert (
        county.get(strict.url + "/export/cases.csv?period=this_year", timeout=60).status_code == 200
    )
    # a link from another site cannot start an export
    assert (
        county.get(
            strict.url + "/export/cases.csv?period=this_month",
            headers={"Sec-Fetch-Site": "cross-site"},
            timeout=60,
        ).status_code
        == 400
    )


def test_one_export_at_a_time_per_user(strict):
    """Another process holds the user's export slot (as a running export does): the user's
    next export is refused with 429, another user's goes ahead."""
    hold = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom dashboard import export_slots\n"
            "slot = export_slots.acquire('county'); print('held', flush=True); time.sleep(60)",
        ],
        cwd=ROOT,
        env=strict.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert hold.stdout.readline().strip() == "held"
        busy = login_session(strict.url, "county").get(
            strict.url + "/export/cases.csv?period=this_month", timeout=60
        )
        assert busy.status_code == 429 and "正在进行" in busy.text
        other = login_session(strict.url, "admin").get(
            strict.url + "/export/cases.csv?period=this_month", timeout=60
        )
        assert other.status_code == 200
    finally:
        hold.kill()
        hold.wait()
        hold.stdout.close()


def test_a_500_is_a_chinese_page_with_a_request_id(demo_env, tmp_path):
    """A store that cannot be opened (here: its generation overwritten with rubbish): the
    client gets a Chinese message and a request id, the log the whole error under that id."""
    server = _Server(demo_env, tmp_path, "")
    try:
        generation = (tmp_path / "data" / "store" / "pulse.duckdb").resolve()
        generation.write_bytes(b"not a database" * 1000)
        county = login_session(server.url, "county")
        answer = callback(county, server.url, "overview-kpis", {"url.search": "?period=x"})
        assert answer.status_code == 500
        message = answer.json()["message"]
        assert "服务器内部错误" in message and answer.json()["request_id"] in message
        for leak in ("Traceback", "duckdb", 'File "', str(tmp_path)):
            assert leak not in answer.text
        page = county.get(server.url + "/town", timeout=30)
        assert page.status_code in (200, 500)
        time.sleep(0.5)
        log = server.log.read_text()
        assert answer.json()["request_id"] in log and "Traceback" in log
    finally:
        server.stop()


# --- headers, CSP, markup --------------------------------------------------------------------


def test_security_headers_on_every_answer(server):
    county = login_session(server, "county")
    for path in (
        "/",
        "/login",
        "/_dash-layout",
        "/assets/pulse.css",
        "/export/cases.csv?period=this_month",
    ):
        headers = county.get(server + path, timeout=60).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"], path
        assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert len(headers["X-Request-ID"]) == 12
        assert not any(c.isdigit() for c in headers.get("Server", "")), headers.get("Server")
    assert county.get(server + "/_dash-layout", timeout=30).headers["Cache-Control"] == "no-store"


CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


PAGES = (
    "/",
    "/town",
    "/hotline",
    "/evaluations",
    "/cases",
    "/rows",
    "/snapshots",
    "/quality",
    "/wall",
    "/audit",
    "/accounts",
)


@pytest.mark.parametrize("name", ["admin", "town"])
def test_no_page_violates_the_csp_in_chromium(server, browser, name):
    context = login_context(browser, server, name)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for path in PAGES:
            page.goto(f"{server}{path}?period=last_month&indicator=cases")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            assert page.evaluate("window.__csp") == [], path
        forbidden = [e for e in errors if "403" not in e]  # the town official's refused pages
        assert forbidden == []
    finally:
        context.close()


def test_text_from_the_data_never_becomes_markup(strict, browser):
    context = login_context(browser, strict.url, "county")
    page = context.new_page()
    try:
        page.goto(strict.url + "/hotline?period=custom&from=2026-11-16&to=2026-11-22")
        page.wait_for_selector("#hotline-by-topic .main-svg")
        svg = page.locator("#hotline-by-topic")
        assert svg.locator("a").count() == 0
        assert "点我领补贴" in svg.inner_text() and "<a href" in svg.inner_text()
    finally:
        context.close()


def test_the_access_log_never_holds_a_wall_token(strict):
    token = WALL_TOKEN["wall"]
    device = requests.Session()
    assert device.get(f"{strict.url}/wall?token={token}&refresh=60", timeout=30).ok
    log = Path(strict.env["PULSE_DATA_DIR"]) / "logs" / "access.log"
    deadline = time.time() + 10
    while time.time() < deadline:  # gunicorn writes the line after the answer
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        if "/wall?token=" in text:
            break
        time.sleep(0.2)
    assert "/wall?token=***&refresh=60" in text
    assert token not in text

"""The demo city served (issue 18): 市级看板 and the county filter in Chromium, and a county
official who gets none of another county's rows through any callback or route — over real
HTTP against a real gunicorn server on a store of three counties."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import urllib.request

import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port
from tests.e2e.test_security import NO_DATA, _rows_of, callback, grid_rows, kpi_figures

pytestmark = pytest.mark.browser

OWN, OTHER = "339902", "339901"  # 临江县: the county official's; 示范县: another county
OTHER_TOWN = "339901001000"  # 城关街道 of 示范县
PASSWORD = "city-password-1"
ACCOUNTS = {  # name → (role, counties, towns)
    "c-city": ("city", (), ()),
    "c-lj": ("county", (OWN,), ()),
    "c-bare": ("county", (), ()),  # a county account nobody gave counties: sees nothing
    "c-town": ("town", (), ("339902001000",)),
}


@pytest.fixture(scope="module")
def city_server(city_env):
    import os

    from dashboard.auth import accounts, appdb

    saved = {k: os.environ.get(k) for k in ("PULSE_DATA_DIR", "PULSE_CONFIG")}
    os.environ.update({k: city_env[k] for k in saved})
    try:
        for name, (role, counties, towns) in ACCOUNTS.items():
            if accounts.get(name) is None:
                accounts.add(name, role, towns, PASSWORD, counties=counties)
        appdb.close_all()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=city_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/login", timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("server did not start") from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(20)


def login(url: str, name: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(
        url + "/login",
        data={"username": name, "password": PASSWORD},
        headers={"Origin": url},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    return session


def _count(text: str) -> int:
    return 0 if text == NO_DATA else int(text.replace(",", ""))


def test_anonymous_gets_the_login_page_and_401(city_server):
    anonymous = requests.Session()
    answer = anonymous.get(city_server + "/city", allow_redirects=False, timeout=30)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")
    body = {"output": "city-kpis.children", "inputs": [], "state": []}
    answer = anonymous.post(city_server + "/_dash-update-component", json=body, timeout=30)
    assert answer.status_code == 401


def test_a_county_official_gets_none_of_another_countys_rows(city_server):
    mayor, official = login(city_server, "c-city"), login(city_server, "c-lj")
    year = "?period=this_year"
    other = f"{year}&counties={OTHER}"
    # the city sees the other county's cases; the county official asking for them nothing
    assert _count(kpi_figures(mayor, city_server, other)["cases"]) > 0
    assert kpi_figures(official, city_server, other)["cases"] == NO_DATA
    assert kpi_figures(official, city_server, f"{year}&towns={OTHER_TOWN}")["cases"] == NO_DATA
    own = kpi_figures(official, city_server, year)["cases"]
    assert own == kpi_figures(mayor, city_server, f"{year}&counties={OWN}")["cases"]
    # 明细 and 办件查询: by counties=, by town=, by towns=, and with nothing asked
    for search in (
        f"{year}&indicator=cases&counties={OTHER}",
        f"{year}&indicator=cases&town={OTHER_TOWN}",
        f"{year}&indicator=overdue_completed&towns={OTHER_TOWN}",
    ):
        rows = _rows_of(grid_rows(official, city_server, "rows-grid", search), "rows-grid")
        assert rows == {"rowData": [], "rowCount": 0}, search
    everything = _rows_of(
        grid_rows(official, city_server, "rows-grid", f"{year}&indicator=cases", end=200),
        "rows-grid",
    )
    assert everything["rowCount"] == _count(own)
    assert {r["town_code"][:6] for r in everything["rowData"]} == {OWN}
    assert (
        _rows_of(grid_rows(official, city_server, "cases-grid", other), "cases-grid")["rowCount"]
        == 0
    )
    # the export route: only the official's own towns, whatever the link says
    names = {
        r["town_name"]
        for r in _rows_of(
            grid_rows(official, city_server, "cases-grid", year, end=2000), "cases-grid"
        )["rowData"]
    }
    for query in (f"period=this_year&counties={OTHER}", "period=this_year"):
        answer = official.get(f"{city_server}/export/cases.csv?{query}", timeout=60)
        assert answer.status_code == 200
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))[:-1]
        assert {r["乡镇(街道)"] for r in rows} <= names, query
    # the other county's town page says it is not found; the whole-instance pages refuse
    for path, search in (("/town", f"{year}&town={OTHER_TOWN}"), ("/quality", "")):
        router = callback(
            official,
            city_server,
            "_pages_content",
            {"_pages_location.pathname": path, "_pages_location.search": search},
        )
        assert "城关街道" not in router.text, path
    # the city ranking is published (as in a 通报): every county's figures, no rows
    ranking = callback(
        official,
        city_server,
        "city-ranking",
        {"url.search": year, "city-rank-by.value": "cases"},
    )
    rows = ranking.json()["response"]["city-ranking"]["rowData"]
    assert [r["county_name"] for r in rows] and len(rows) == 3
    # the official's town ranking ranks the towns of their county
    towns = callback(
        official,
        city_server,
        "overview-ranking",
        {"url.search": year, "overview-rank-by.value": "cases"},
    )
    codes = {r["town_code"][:6] for r in towns.json()["response"]["overview-ranking"]["rowData"]}
    assert codes == {OWN}


def test_county_and_town_accounts_without_their_scope_see_nothing(city_server):
    bare, town = login(city_server, "c-bare"), login(city_server, "c-town")
    year = "?period=this_year"
    assert kpi_figures(bare, city_server, year)["cases"] == NO_DATA
    answer = grid_rows(town, city_server, "rows-grid", f"{year}&indicator=cases")
    mine = _rows_of(answer, "rows-grid")
    assert {r["town_code"] for r in mine["rowData"]} == {"339902001000"}


def test_the_city_page_drills_county_then_towns(city_server):
    mayor = login(city_server, "c-city")
    drill = callback(
        mayor,
        city_server,
        "city-drill",
        {
            "city-ranking.cellClicked": {"colId": "county_name", "rowId": OWN},
            "url.search": "?period=last_month",
        },
    )
    assert drill.json()["response"]["city-drill"]["href"] == f"/?period=last_month&counties={OWN}"
    figure = callback(
        mayor,
        city_server,
        "city-drill",
        {
            "city-ranking.cellClicked": {"colId": "overdue_open", "rowId": OWN},
            "url.search": "?period=last_month",
        },
    )
    href = figure.json()["response"]["city-drill"]["href"]
    assert href.startswith("/rows?") and f"counties={OWN}" in href and "overdue_open" in href
    refused = callback(
        mayor,
        city_server,
        "city-drill",
        {
            "city-ranking.cellClicked": {"colId": "county_name", "rowId": "x' or 1=1"},
            "url.search": "?period=last_month",
        },
    )
    assert "href" not in json.dumps(refused.json().get("response", {}))


def test_city_page_and_county_filter_in_chromium(city_server, tmp_path):
    from playwright.sync_api import sync_playwright

    def context(browser, name):
        ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        session = login(city_server, name)
        ctx.add_cookies(
            [
                {"name": c.name, "value": c.value, "domain": "127.0.0.1", "path": "/"}
                for c in session.cookies
            ]
        )
        return ctx

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = context(browser, "c-city")
            page = ctx.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(city_server + "/city?period=last_month")
            page.wait_for_selector("#city-ranking .ag-row")
            assert "示范市" in page.inner_text("#city-title")
            assert page.locator("#city-ranking .ag-center-cols-container .ag-row").count() == 3
            assert page.is_visible("#filter-counties")
            assert page.locator(".pulse-navbar").get_by_text("市级看板").count() == 1
            page.locator("#city-ranking .ag-pinned-left-cols-container").get_by_text(
                "临江县"
            ).click()
            page.wait_for_url(f"**/?period=last_month&counties={OWN}")
            page.wait_for_selector("#overview-ranking .ag-row")
            assert "临江县 · 乡镇排名" in page.inner_text("#_pages_content")
            shown = page.locator("#overview-ranking .ag-pinned-left-cols-container").inner_text()
            assert "金山街道" in shown and "城关街道" not in shown
            page.screenshot(path=str(tmp_path / "county-overview.png"))
            assert not errors, errors
            ctx.close()
            # a county official sees one county: no county choice, no 市级看板 hidden from them
            ctx = context(browser, "c-lj")
            page = ctx.new_page()
            page.goto(city_server + "/?period=last_month")
            page.wait_for_selector("#overview-ranking .ag-row")
            assert not page.is_visible("#filter-counties")
            ctx.close()
        finally:
            browser.close()

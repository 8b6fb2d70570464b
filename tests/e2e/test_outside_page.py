"""体外循环 in the browser (issue 16, point 2), against the real server: from the town page's
flag to the department's signals, to every row a signal counted (paged on the server, as
many as the signal's count), to their CSV with its signature row and audit record; and a
town official or an anonymous client gets none of another town's evidence."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from etl import demo
from tests.e2e.conftest import login_context, login_session
from tests.e2e.test_security import _audit, callback

pytestmark = pytest.mark.browser

LATE = next(
    p
    for p in demo.PLANTED
    if p.signal == "late_entry"
    and not any(q.signal == "batch_entry" and q.dept_name == p.dept_name for q in demo.PLANTED)
)
TOWN, DEPT = LATE.town_code, LATE.dept_name  # 龙泉镇 自然资源: not the town account's town
SEARCH = f"?period=this_year&town={TOWN}&dept={DEPT}"
BLOCK = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}


def number(text: str) -> int:
    return int(re.search(r"\d[\d,]*", text).group().replace(",", ""))


def settle(page, timeout: float = 20_000) -> None:
    page.wait_for_load_state("networkidle", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=timeout
    )


def test_from_the_town_flag_to_every_counted_row_and_its_export(server, browser, demo_env):
    context = login_context(browser, server, "county", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        # the town page's 体外循环 cell opens the department's view
        page.goto(f"{server}/town?period=this_year&town={TOWN}")
        cell = page.locator(f'#town-depts .ag-row[row-id="{DEPT}"] [col-id="outside_system"]')
        cell.first.wait_for(timeout=30_000)
        page.wait_for_function(
            "(s) => { const e = document.querySelector(s); return e && e.innerText.trim(); }",
            arg=f'#town-depts .ag-row[row-id="{DEPT}"] [col-id="outside_system"]',
            timeout=30_000,
        )
        assert "延迟录入" in cell.first.inner_text()
        cell.first.click()
        page.wait_for_url("**/outside?**", timeout=20_000)
        asked = parse_qs(urlsplit(page.url).query)
        assert asked["town"] == [TOWN] and asked["dept"] == [DEPT]
        assert asked["period"] == ["this_year"]
        page.wait_for_selector("#outside-title", timeout=20_000)
        assert DEPT in page.inner_text("#outside-title")
        card = "#outside-card-late_entry"
        text = page.inner_text(card)
        assert "达到阈值" in text
        for words in ("数值", "阈值", "计算基数", "判定规则", "什么数据能消除提示", "工作日"):
            assert words in text, words
        hits = number(page.inner_text(f"{card} .sig-hits"))
        assert hits > 20
        # the signal's rows: all of them, paged on the server
        page.click(f"{card} a")
        page.wait_for_selector("#outside-evidence-count", timeout=20_000)
        assert number(page.inner_text("#outside-evidence-count")) == hits
        first = '#outside-grid .ag-row[row-index="0"] [col-id="entry_lag"]'
        page.wait_for_function(
            "(s) => { const e = document.querySelector(s); return e && e.innerText.trim(); }",
            arg=first,
            timeout=20_000,
        )
        settle(page)
        assert int(page.inner_text(first)) > 1
        summary = page.inner_text("#outside-grid .ag-paging-row-summary-panel")
        assert summary.replace(" ", "").endswith(f"/{hits:,}") or summary.endswith(str(hits))
        page.screenshot(path="/tmp/outside-page-e2e.png", full_page=True)
        # the export: exactly the counted rows, the signature last, an audit record
        with page.expect_download() as info:
            page.click("#outside-export-csv")
        download = info.value
        assert download.suggested_filename.startswith(f"龙泉镇_{DEPT}_体外循环-延迟录入_")
        body = Path(download.path()).read_bytes()
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[0][:3] == ["乡镇(街道)", "部门", "办件编号"]
        assert "录入晚于受理(工作日)" in rows[0]
        assert rows[-1][0].startswith("导出人:county · 导出时间:")
        data = rows[1:-1]
        assert len(data) == hits
        lag = rows[0].index("录入晚于受理(工作日)")
        assert all(r[0] == "龙泉镇" and r[1] == DEPT and int(r[lag]) > 1 for r in data)
        time.sleep(0.5)  # the audit row is written when the download ends
        exports = [
            r
            for r in _audit(demo_env, "--user", "county", "--action", "export")
            if json.loads(r["detail"]).get("what") == "outside_evidence"
        ]
        detail = json.loads(exports[0]["detail"])
        assert detail["sha256"] == hashlib.sha256(body).hexdigest()
        assert (detail["town"], detail["dept"], detail["signal"]) == (TOWN, DEPT, "late_entry")
        assert exports[0]["rows"] == hits and detail["complete"] is True
        views = _audit(demo_env, "--user", "county", "--action", "view_rows")
        assert any(json.loads(v["detail"]).get("page") == "体外循环" for v in views)
        assert errors == []
    finally:
        context.close()


def _text(answer: requests.Response) -> str:
    """A callback's answer as Chinese text (the JSON escapes it)."""
    return json.dumps(answer.json(), ensure_ascii=False)


def _grid(session, url: str, search: str) -> requests.Response:
    return callback(
        session, url, "outside-grid", {"outside-grid.getRowsRequest": BLOCK}, {"url.search": search}
    )


def test_a_town_official_and_anonymous_get_no_other_towns_evidence(server, browser):
    county, town = login_session(server, "county"), login_session(server, "town")
    chosen = SEARCH + "&signal=late_entry"
    # the county analyst sees the department's signals, rows and export
    shown = callback(county, server, "outside-body", {"url.search": chosen})
    assert shown.status_code == 200 and "达到阈值" in _text(shown)
    rows = _grid(county, server, chosen).json()["response"]["outside-grid"]["getRowsResponse"]
    assert rows["rowCount"] > 20 and rows["rowData"]
    assert county.get(f"{server}/export/outside.csv{chosen}", timeout=60).status_code == 200
    # a town official asking for another town's department gets nothing
    assert town.get(f"{server}/outside{chosen}", timeout=30).status_code == 200  # the page
    denied = callback(town, server, "outside-body", {"url.search": chosen})
    assert denied.status_code == 200
    assert "无权查看" in _text(denied) and "达到阈值" not in _text(denied)
    assert denied.json()["response"]["outside-evidence-head"]["children"] is None
    empty = _grid(town, server, chosen).json()["response"]["outside-grid"]["getRowsResponse"]
    assert empty == {"rowData": [], "rowCount": 0}
    export = town.get(f"{server}/export/outside.csv{chosen}", timeout=60)
    assert export.status_code == 404 and DEPT not in export.text
    # nor through the list of flagged departments, asked for the town or for all
    for search in ("?period=this_year", f"?period=this_year&town={TOWN}"):
        listed = callback(town, server, "outside-body", {"url.search": search})
        assert listed.status_code == 200 and DEPT not in _text(listed), search
    # anonymous: the login page, 401s
    anonymous = requests.Session()
    answer = anonymous.get(f"{server}/outside{chosen}", allow_redirects=False, timeout=30)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert anonymous.get(f"{server}/export/outside.csv{chosen}", timeout=30).status_code == 401
    for output in ("..outside-body.children...outside-evidence-head.children..",
                   "outside-grid.getRowsResponse"):  # fmt: skip
        body = {"output": output, "inputs": [{"id": "url", "property": "search",
                "value": chosen}], "state": []}  # fmt: skip
        answer = anonymous.post(
            server + "/_dash-update-component", json=body, headers={"Origin": server}, timeout=30
        )
        assert answer.status_code == 401 and DEPT not in answer.text, output
    # in Chromium, editing the URL
    context = login_context(browser, server, "town")
    page = context.new_page()
    try:
        page.goto(f"{server}/outside{chosen}")
        page.wait_for_selector("#outside-none", timeout=20_000)
        assert "无权查看" in page.inner_text("#outside-none")
        assert page.locator("#outside-export-csv").count() == 0
    finally:
        context.close()

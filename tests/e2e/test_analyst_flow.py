"""An analyst's path through the dashboard in real Chromium: every page opens without console
errors; filters live in the URL (reload, share, back); a town's figure drills down to the
rows behind it; the case explorer pages, sorts and filters on the server and exports every
filtered row, formula-safe."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.auth.access import SYSTEM
from dashboard.case_explorer import FORMULA_PREFIXES
from dashboard.store import Store
from etl.load import load
from tests.conftest import CASE_HEADER, DEPARTMENTS, ROOT, TOWNS, case_row, write_csv
from tests.e2e.conftest import free_port, login_context, login_session, make_accounts

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BARE = ("/wall", "/report")  # full-screen pages with tests of their own
QINGSHI = "339901100000"  # 青石镇 in the demo county


# --------------------------------------------------------------------------- helpers


def settle(page, timeout: float = 20_000) -> None:
    """Wait until the network is quiet and Dash has no callback in flight."""
    page.wait_for_load_state("networkidle", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=timeout
    )


def query(page) -> dict[str, list[str]]:
    return parse_qs(page.evaluate("location.search").lstrip("?"))


def choose(page, dropdown_id: str, option: str) -> None:
    page.click(f"#{dropdown_id}")
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def number(text: str) -> int:
    """The first figure in a text: '共 1,234 条' → 1234."""
    return int(re.search(r"\d[\d,]*", text).group().replace(",", ""))


def kpi(page, indicator: str = "cases") -> str:
    return page.inner_text(f"#kpi-{indicator} .kpi-value")


def wait_text_change(page, selector: str, before: str, timeout: float = 15_000) -> str:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return e && e.innerText !== t; }",
        arg=[selector, before],
        timeout=timeout,
    )
    return page.inner_text(selector)


def wait_total_change(page, before: str) -> str:
    """The case explorer's total after a change ('正在查询…' in between)."""
    page.wait_for_function(
        "(t) => { const s = document.querySelector('#cases-total').innerText;"
        " return s.startsWith('共') && s !== t; }",
        arg=before,
        timeout=15_000,
    )
    return page.inner_text("#cases-total")


def grid_ready(page, grid: str = "cases-grid") -> None:
    """The first row holds data (not a loading stub) and the total is known."""
    page.wait_for_function(
        """(g) => {
            const cell = document.querySelector(`#${g} .ag-row[row-index="0"] [col-id="case_id"]`);
            return cell && cell.innerText.trim() !== '';
        }""",
        arg=grid,
        timeout=20_000,
    )
    settle(page)


def first_case_id(page) -> str:
    return page.inner_text('#cases-grid .ag-row[row-index="0"] [col-id="case_id"]')


def download_csv(page, link: str = "#cases-export-csv") -> tuple[bytes, list[dict]]:
    with page.expect_download() as info:
        page.click(link)
    path = info.value.path()
    body = Path(path).read_bytes()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    # the last row names who exported the file and when (a leaked file can be traced)
    assert next(iter(rows[-1].values())).startswith("导出人:")
    return body, rows[:-1]


def store_of(env: dict[str, str]) -> Store:
    return Store(Path(env["PULSE_DATA_DIR"]) / "store" / "pulse.duckdb", access=SYSTEM)


@pytest.fixture(scope="module")
def registered_paths(demo_env) -> list[str]:
    """Every page a freshly created app registers (in a child process: creating an app
    imports the page modules, which must not leak callbacks into this test process)."""
    code = (
        "import json, dash\n"
        "from dashboard.app import create_app\n"
        "create_app()\n"
        "print(json.dumps([p['path'] for p in dash.page_registry.values()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=demo_env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- every page


def test_every_registered_page_opens_without_console_errors(server, browser, registered_paths):
    """As an admin, who may open every page (the roles' limits: tests/e2e/test_security.py)."""
    assert {"/", "/rows", "/cases", "/quality", "/audit", "/accounts"} <= set(registered_paths)
    context = login_context(browser, server, "admin")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    failures = {}
    for path in registered_paths:
        if path in BARE:
            continue
        before = len(page.console_errors)
        page.goto(server + path + "?period=last_month")
        settle(page)
        errors = page.console_errors[before:]
        if errors:
            failures[path] = errors
        assert page.title(), path
    context.close()
    assert failures == {}


# --------------------------------------------------------------------------- filters in the URL


def test_period_filter_changes_the_url_and_the_kpis(server, page):
    page.goto(server + "/?period=this_month")
    page.wait_for_selector("#kpi-cases .kpi-value")
    settle(page)
    november = kpi(page)
    choose(page, "filter-period", "上月")
    october = wait_text_change(page, "#kpi-cases .kpi-value", november)
    assert query(page)["period"] == ["last_month"]
    assert october != november
    assert "2026-10-01 至 2026-10-31" in page.inner_text("#shell-period-text")
    assert page.console_errors == []


def test_a_towns_figure_drills_down_to_exactly_its_rows(server, page):
    page.goto(server + "/?period=last_month")
    cell = f'#overview-ranking .ag-row[row-id="{QINGSHI}"] [col-id="cases"]'
    page.wait_for_selector(cell)
    settle(page)
    figure = number(page.inner_text(cell))
    assert figure > 0
    # every count 明细 ever shows, to prove it never answers first for the page before
    page.evaluate(
        """() => { window.__counts = [];
            new MutationObserver(() => {
                const c = document.querySelector('#rows-count');
                const t = c && c.innerText.trim();
                if (t && window.__counts.at(-1) !== t) window.__counts.push(t);
            }).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
    )
    page.click(cell)
    page.wait_for_url(re.compile(r"/rows\?"))
    page.wait_for_selector("#rows-count:has-text('共')")
    settle(page)
    shown = page.evaluate("window.__counts")
    assert len(shown) == 1 and number(shown[0].split("共", 1)[1]) == figure, shown
    assert query(page) == {
        "period": ["last_month"],
        "indicator": ["cases"],
        "town": [QINGSHI],
    }
    assert "青石镇" in page.inner_text("#rows-title")
    count = page.inner_text("#rows-count")
    assert number(count.split("共", 1)[1]) == figure, count
    # the grid pages through exactly those rows, fetched block by block from the server
    grid_ready(page, "rows-grid")
    pager = page.inner_text("#rows-grid .ag-paging-row-summary-panel")
    assert number(pager.split("/", 1)[1]) == figure, pager
    first_page = page.evaluate(
        """() => { const api = dash_ag_grid.getApi('rows-grid'); const out = [];
            for (let i = 0; i < 100; i++) {
                const node = api.getDisplayedRowAtIndex(i);
                if (node && node.data) out.push(node.data.town_code);
            }
            return out; }"""
    )
    assert len(first_page) == min(figure, 100)
    assert set(first_page) == {QINGSHI}
    # sorting asks the server again; the newest acceptance comes first
    accepted = "#rows-grid .ag-row[row-index='0'] [col-id='accepted_at']"
    oldest = page.inner_text(accepted)
    page.click("#rows-grid .ag-header-cell[col-id='accepted_at'] .ag-header-cell-label")
    page.click("#rows-grid .ag-header-cell[col-id='accepted_at'] .ag-header-cell-label")
    page.wait_for_function(
        "([sel, old]) => { const c = document.querySelector(sel);"
        " return c && c.innerText.trim() !== '' && c.innerText.trim() > old; }",
        arg=[accepted, oldest],
        timeout=20_000,
    )
    assert page.console_errors == []


def _view(page) -> dict[str, str]:
    return {
        "search": page.evaluate("location.search"),
        "period": page.inner_text("#filter-period"),
        "towns": page.inner_text("#filter-towns"),
        "period_text": page.inner_text("#shell-period-text"),
        "title": page.inner_text("#rows-title"),
        "count": page.inner_text("#rows-count"),
    }


def test_a_shared_url_reproduces_the_view(server, page, browser):
    url = (
        server + "/rows?period=custom&from=2026-09-01&to=2026-10-15"
        f"&towns={QINGSHI}&indicator=on_time_rate&town={QINGSHI}"
    )
    page.goto(url)
    page.wait_for_selector("#rows-count:has-text('共')")
    settle(page)
    view = _view(page)
    assert "青石镇" in view["towns"] and "自定义" in view["period"]
    assert "2026-09-01 至 2026-10-15" in view["period_text"]
    assert "按时办结率" in view["title"] and "青石镇" in view["title"]
    page.reload()
    page.wait_for_selector("#rows-count:has-text('共')")
    settle(page)
    assert _view(page) == view
    # a colleague opening the link in a browser of their own sees the same
    other = login_context(browser, server, "county")
    try:
        colleague = other.new_page()
        colleague.goto(url)
        colleague.wait_for_selector("#rows-count:has-text('共')")
        settle(colleague)
        assert _view(colleague) == view
    finally:
        other.close()
    # page state of the case explorer (its channel filter) travels in the link too
    page.goto(server + f"/cases?period=last_month&towns={QINGSHI}&channel=窗口办理")
    grid_ready(page)
    total = page.inner_text("#cases-total")
    page.reload()
    grid_ready(page)
    assert page.inner_text("#cases-total") == total
    assert "窗口办理" in page.inner_text("#cases-channel")
    assert page.console_errors == []


def test_the_back_button_restores_the_previous_filters(server, page):
    page.goto(server + "/?period=this_month")
    page.wait_for_selector("#kpi-cases .kpi-value")
    settle(page)
    november = kpi(page)
    choose(page, "filter-period", "上月")
    october = wait_text_change(page, "#kpi-cases .kpi-value", november)
    settle(page)
    choose(page, "filter-towns", "青石镇")
    qingshi = wait_text_change(page, "#kpi-cases .kpi-value", october)
    settle(page)
    assert query(page) == {"period": ["last_month"], "towns": [QINGSHI]}

    page.go_back()
    wait_text_change(page, "#kpi-cases .kpi-value", qingshi)
    settle(page)
    assert query(page) == {"period": ["last_month"]}
    assert kpi(page) == october
    assert "青石镇" not in page.inner_text("#filter-towns")
    assert "上月" in page.inner_text("#filter-period")

    page.go_back()
    wait_text_change(page, "#kpi-cases .kpi-value", october)
    settle(page)
    assert query(page) == {"period": ["this_month"]}
    assert kpi(page) == november
    assert "本月" in page.inner_text("#filter-period")
    assert page.console_errors == []


# --------------------------------------------------------------------------- case explorer


def test_case_explorer_pages_sorts_filters_and_exports_on_the_server(server, page, demo_env):
    store = store_of(demo_env)
    year = "c.accepted_at >= date '2026-01-01' and c.accepted_at < date '2027-01-01'"

    def expected(where: str = "true") -> int:
        sql = f"select count(*) as n from cases c where {year} and {where}"
        return int(store.sql(sql, whole_county=True)["n"][0])

    block_requests = []
    page.on(
        "request",
        lambda r: (
            r.method == "POST"
            and "getRowsRequest" in (r.post_data or "")
            and block_requests.append(json.loads(r.post_data))
        ),
    )
    page.goto(server + "/cases?period=this_year")
    grid_ready(page)
    total = number(page.inner_text("#cases-total"))
    assert total == expected() > 200
    assert page.locator("#cases-grid .ag-row").count() <= 100  # one page, not the table

    # next page: fetched from the server, rows 101-200
    first = first_case_id(page)
    page.get_by_role("button", name="下一页").click()
    page.wait_for_selector('#cases-grid .ag-row[row-index="100"] [col-id="case_id"]:not(:empty)')
    settle(page)
    assert "页 2 /" in page.inner_text("#cases-grid .ag-paging-panel")
    starts = [
        i["value"]["startRow"]
        for r in block_requests
        for i in r["inputs"]
        if i.get("property") == "getRowsRequest" and i.get("value")
    ]
    assert 100 in starts
    assert page.inner_text('#cases-grid .ag-row[row-index="100"] [col-id="case_id"]') != first

    # the channel filter writes the URL and narrows the rows
    before = page.inner_text("#cases-total")
    choose(page, "cases-channel", "窗口办理")
    page.wait_for_function("() => location.search.includes('channel=')")
    window = "c.channel = '窗口办理'"
    assert query(page)["channel"] == ["窗口办理"]
    assert number(wait_total_change(page, before)) == expected(window)
    grid_ready(page)

    # sort by 办件编号 ascending: the smallest id of the filtered rows comes first
    newest = first_case_id(page)
    page.click('#cases-grid .ag-header-cell[col-id="case_id"] .ag-header-cell-label')
    page.wait_for_function(
        "(id) => document.querySelector("
        '\'#cases-grid .ag-row[row-index="0"] [col-id="case_id"]\')?.innerText !== id',
        arg=newest,
    )
    grid_ready(page)
    smallest = store.sql(
        f"select min(case_id) as m from cases c where {year} and {window}", whole_county=True
    )
    assert first_case_id(page) == smallest["m"][0]

    # a text filter on a column, applied on the server
    before = page.inner_text("#cases-total")
    page.fill('#cases-grid .ag-floating-filter[col-id="dept_name"] input', "社保")
    shown = number(wait_total_change(page, before))
    grid_ready(page)
    assert shown == expected(f"{window} and c.dept_name like '%社保%'") > 0

    # export: every filtered row (not just the page), Excel-readable, formula-safe
    body, rows = download_csv(page)
    assert body.startswith(b"\xef\xbb\xbf")
    assert len(rows) == shown
    assert {r["申报方式"] for r in rows} == {"窗口办理"}
    assert all("社保" in r["受理部门"] for r in rows)
    ids = [r["办件编号"] for r in rows]
    assert ids == sorted(ids)
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_PREFIXES), value
    assert page.console_errors == []


def test_quality_page_lists_rejected_rows_by_reason_and_freshness(server, page, demo_env):
    store = store_of(demo_env)
    counts = dict(
        store.sql(
            "select reason, count(*) from rejects group by reason", whole_county=True
        ).iter_rows()
    )
    page.goto(server + "/quality")
    page.wait_for_selector("#status-reject-count:has-text('共')")
    settle(page)
    assert number(page.inner_text("#status-reject-count")) == sum(counts.values())
    assert page.locator("#status-freshness tbody tr").count() == 3
    assert page.locator("#status-rejects .ag-row [col-id='raw']").first.inner_text()
    page.click("#status-reject-reason")
    page.get_by_role("option", name=re.compile("^时间格式无法识别")).click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "(n) => document.querySelector('#status-reject-count').innerText.includes(`共 ${n} `)",
        arg=f"{counts['bad_timestamp']:,}",
    )
    settle(page)
    reasons = page.locator("#status-rejects .ag-row [col-id='reason']").all_inner_texts()
    assert reasons and set(reasons) == {"时间格式无法识别"}
    assert page.console_errors == []


# --------------------------------------------------------------------------- formula injection

FORMULAS = {
    "F1": '=HYPERLINK("http://example.invalid","点我")',
    "F2": "+SUM(1,2)",
    "F3": "-2+3",
    "F4": "@cmd",
}


@contextlib.contextmanager
def _serve(env: dict[str, str]):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/login", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"server did not start: {proc.stderr.read()}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.send_signal(signal.SIGQUIT)  # gunicorn: quick shutdown
        try:
            proc.wait(20)
        finally:
            proc.stderr.close()


@pytest.fixture(scope="module")
def formula_server(tmp_path_factory):
    """A second small county whose cases carry cells a spreadsheet would run as formulas."""
    import os

    base = tmp_path_factory.mktemp("formulas")
    env = {**os.environ, "PULSE_DATA_DIR": str(base / "data"), "PULSE_CONFIG": str(base / "x")}
    env.pop("PULSE_STORE", None)
    done = {"办结时间": "2026-11-28 10:00:00"}
    rows = [
        case_row(
            f"C{i:03d}", 受理时间=(t := f"2026-11-{1 + i % 18:02d} 09:00:00"), 录入时间=t, **done
        )
        for i in range(150)
    ]
    rows += [case_row(k, 事项名称=v, 申请人="=1+1", **done) for k, v in FORMULAS.items()]
    files = [
        write_csv(base / "towns.csv", ["乡镇代码", "乡镇名称", "类型", "网格行", "网格列"], TOWNS),
        write_csv(base / "departments.csv", ["部门名称", "乡镇代码", "应进驻"], DEPARTMENTS),
        write_csv(base / "cases.csv", CASE_HEADER, rows),
    ]
    with pytest.MonkeyPatch.context() as mp:
        for k in ("PULSE_DATA_DIR", "PULSE_CONFIG"):
            mp.setenv(k, env[k])
        mp.delenv("PULSE_STORE", raising=False)
        assert load(files).exit_code == 0
        make_accounts()
    with _serve(env) as url:
        yield url


@pytest.fixture
def formula_page(formula_server, browser):
    context = login_context(browser, formula_server, "county")
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    yield pg
    context.close()


def test_exported_formula_like_cells_are_neutralised(formula_server, formula_page):
    page = formula_page
    page.goto(formula_server + "/cases?period=custom&from=2026-11-01&to=2026-11-30")
    grid_ready(page)
    total = number(page.inner_text("#cases-total"))
    assert total == 154
    _, rows = download_csv(page)
    assert len(rows) == total
    by_id = {r["办件编号"]: r for r in rows}
    for case_id, item in FORMULAS.items():
        assert by_id[case_id]["事项名称"] == "'" + item
        assert by_id[case_id]["申请人(已脱敏)"] == "'=***"
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_PREFIXES), value
    # the Excel export of the same rows answers too
    href = page.get_attribute("#cases-export-xlsx", "href")
    resp = login_session(formula_server, "county").get(formula_server + href, timeout=30)
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert resp.content[:2] == b"PK"
    assert urlsplit(href).path == "/export/cases.xlsx"
    assert page.console_errors == []

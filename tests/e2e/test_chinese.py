"""Chinese throughout (issue 16, point 5), in Chromium against the real server:

- every page's visible text, its title and the title / placeholder / aria-label of what is
  shown hold no English UI words (the allow-list: what must stay Latin);
- Plotly's axes are Chinese (2026年1月, not Jan 2026), on the pages, the wall and the PDF's
  report page; AG Grid's texts are Chinese in every grid, empty ones included;
- an unknown page is a Chinese 404, the page says 正在加载… (never Loading...) before it is
  drawn and while its callbacks run, and a refused callback is said in Chinese.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.e2e.conftest import ACCOUNTS, WALL_TOKEN, login_context, login_session

pytestmark = pytest.mark.browser

# Latin that must stay: formats, encodings and units, keyboard keys, host names, and who is
# signed in.
ALLOWED = {
    *("CSV", "Excel", "PDF", "KB", "MB", "GB", "xlsx", "csv", "utf", "sig", "gbk"),
    *("Ctrl", "Alt", "localhost"),
    *ACCOUNTS,
    *("wall", "job"),
}
# a word of Latin letters; codes and ids (letters joined to digits: YB339901001) are data
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")
# file names (数据质量 lists the loaded exports), e-mail addresses
DATA_TOKENS = re.compile(
    r"[\w.-]+\.(?:csv|xlsx|xls|pdf|json|toml)\b|[\w.+-]+@[\w.-]+", re.IGNORECASE
)
# grid columns that show data as it is, not words of the product: a caller's pseudonym,
# the raw values of a rejected row, an audit row's technical detail
DATA_COLUMNS = ("caller", "raw", "detail")

COUNTY_PAGES = (
    "/?period=last_month",
    "/town?period=last_month",
    "/hotline?period=last_month",
    "/evaluations?period=last_month",
    "/cases?period=last_month",
    "/rows?period=last_month&indicator=overdue_completed",
    "/quality",
    "/snapshots",
    "/no-such-page",
    # a period with no data: empty grids and figures
    "/?period=custom&from=2020-01-01&to=2020-01-31",
    "/town?period=custom&from=2020-01-01&to=2020-01-31",
    "/cases?period=custom&from=2020-01-01&to=2020-01-31",
)
ADMIN_PAGES = ("/audit", "/accounts", "/snapshots")

# Visible text nodes (SVG's too) and the attributes people hear or see, of shown elements.
SCAN = """(DATA_CELLS) => {
  const shown = el => el && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const data = el => el.closest('code') ? 'code '
      : (el.closest(DATA_CELLS) ? 'data ' : '');
  const where = el => data(el) + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.getAttribute('class') ? '.' + String(el.getAttribute('class')).split(' ')[0] : '');
  const out = [['document.title', document.title, 'head']];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !shown(el) || el.closest('script, style, noscript')) { continue; }
    out.push(['text', text, where(el)]);
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
    if (!shown(el)) { continue; }
    for (const name of ['title', 'placeholder', 'aria-label']) {
      const value = el.getAttribute(name);
      if (value) { out.push([name, value, where(el)]); }
    }
  }
  return out;
}"""


def visible_text(page) -> list[list[str]]:
    cells = ", ".join(f".ag-cell[col-id='{c}']" for c in DATA_COLUMNS)
    return page.evaluate(SCAN, cells)


def english(items: list[list[str]], commands: bool = False) -> list[str]:
    """Items with English words; data cells never count, <code> only if `commands` (the
    admins' pages show the server's commands; nobody else's page has any)."""
    found = []
    for kind, value, where in items:
        if where.startswith("data ") or (commands and where.startswith("code ")):
            continue
        words = [w for w in WORD.findall(DATA_TOKENS.sub(" ", value)) if w not in ALLOWED]
        if words:
            found.append(f"{kind} {where}: {value[:80]!r} → {words}")
    return found


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.body.classList.contains('pulse-busy')"
        " && !document.querySelector('._dash-loading, .dash-graph--pending')",
        timeout=60_000,
    )
    page.wait_for_timeout(300)


def scan(page, url: str, commands: bool = False) -> list[str]:
    page.goto(url)
    settle(page)
    return english(visible_text(page), commands)


@pytest.fixture
def county(browser, server):
    context = login_context(browser, server, "county")
    yield context.new_page()
    context.close()


def test_no_english_on_any_page(county, browser, server):
    problems = {}
    for path in COUNTY_PAGES:
        found = scan(county, server + path)
        if found:
            problems[path] = found
    admin = login_context(browser, server, "admin")
    try:
        page = admin.new_page()
        for path in ADMIN_PAGES:
            found = scan(page, server + path, commands=True)
            if found:
                problems["admin " + path] = found
    finally:
        admin.close()
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_no_english_in_menus_pickers_and_grid_filters(county, server):
    county.goto(server + "/?period=custom&from=2026-10-01&to=2026-10-31")
    settle(county)
    for menu in ("#filter-period", "#filter-towns"):  # one choice; many, with search
        county.locator(menu).click()
        county.wait_for_timeout(300)
        assert english(visible_text(county)) == [], menu
        county.keyboard.press("Escape")
    county.locator("#filter-range").click()  # the calendar of 自定义
    county.locator(".dash-datepicker-calendar, [role=dialog]").first.wait_for()
    county.wait_for_timeout(500)
    assert english(visible_text(county)) == []
    county.keyboard.press("Escape")
    # 办件查询's grid: its floating filters, a filter menu and the paging bar
    county.goto(server + "/cases?period=last_month")
    settle(county)
    county.locator("#cases-grid .ag-floating-filter-button-button").first.click()
    county.locator(".ag-filter, .ag-menu").first.wait_for()
    county.wait_for_timeout(500)
    assert english(visible_text(county)) == []


# A month axis drawn by the page's own Plotly with its defaults: the locale decides the labels.
MONTH_AXIS = """() => {
  const div = document.createElement('div');
  div.style.width = '600px';
  document.body.appendChild(div);
  const x = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01'];
  return Plotly.newPlot(div, [{x: x, y: [1, 2, 3, 4, 5], type: 'scatter'}], {})
    .then(() => {
      const ticks = Array.from(div.querySelectorAll('.xtick text')).map(t => t.textContent);
      Plotly.purge(div);
      div.remove();
      return ticks;
    });
}"""


def test_axes_are_chinese_on_pages_the_wall_and_the_report(county, browser, server):
    county.goto(server + "/?period=last_month")
    settle(county)
    ticks = county.locator(".js-plotly-plot .xtick text").all_text_contents()
    assert ticks and not [t for t in ticks if WORD.search(t)], ticks
    months = county.evaluate(MONTH_AXIS)
    assert months and all("月" in t for t in months), months  # 2026年1月, not Jan 2026
    # the report page the weekly PDF is printed from (a county analyst may open it)
    county.goto(server + "/report?period=custom&from=2026-11-09&to=2026-11-15")
    county.wait_for_function("() => document.body.dataset.reportReady === '1'", timeout=120_000)
    report_ticks = county.locator(".report-graph .xtick text").all_text_contents()
    assert report_ticks and not [t for t in report_ticks if WORD.search(t)], report_ticks
    found = english(visible_text(county))
    assert found == [], "\n".join(found)
    # the wall, as its device sees it
    wall = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        screen = wall.new_page()
        screen.goto(f"{server}/wall?token={WALL_TOKEN['wall']}")
        screen.wait_for_selector("#wall-root[data-ready='1']", timeout=60_000)
        screen.wait_for_selector("#wall-trend .main-svg .xtick text", timeout=60_000)
        assert english(visible_text(screen)) == []
    finally:
        wall.close()


def test_every_grid_speaks_chinese_even_when_empty(county, server):
    # a period before the data: the grids have no rows
    county.goto(server + "/town?period=custom&from=2020-01-01&to=2020-01-31")
    settle(county)
    text = county.locator("body").inner_text()
    assert "No Rows To Show" not in text and "Loading" not in text
    overlays = county.locator(".ag-overlay-no-rows-center, .ag-overlay-no-rows-wrapper")
    assert overlays.count() > 0
    assert all(WORD.search(t) is None for t in overlays.all_inner_texts())


def test_an_unknown_page_is_a_chinese_404(county, server):
    county.goto(server + "/no-such-page")
    settle(county)
    assert county.locator("#not-found").inner_text().startswith("页面不存在")
    assert "404 - Page not found" not in county.content()


def test_the_page_says_loading_in_chinese(county, server):
    session = login_session(server, "county")
    index = session.get(server + "/", timeout=30).text
    assert '<html lang="zh-CN">' in index
    assert "正在加载…" in index and "Loading..." not in index
    # while the page's callbacks are on their way, the shell says so: hold them back
    held: list = []
    hold = [True]

    def maybe_hold(route):
        if hold[0]:
            held.append(route)
        else:
            route.continue_()

    county.route("**/_dash-update-component*", maybe_hold)
    county.goto(server + "/?period=last_month", wait_until="commit")
    indicator = county.locator("#shell-loading")
    indicator.wait_for(state="visible", timeout=30_000)
    assert indicator.inner_text().strip() == "正在加载…"
    hold[0] = False
    for route in held:
        route.continue_()
    indicator.wait_for(state="hidden", timeout=60_000)
    assert held


def test_a_refused_callback_is_said_in_chinese(county, server):
    county.goto(server + "/?period=last_month")
    settle(county)
    status = county.evaluate(
        """() => fetch('/_dash-update-component', {method: 'POST',
              headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({output: 'no-such-output.children', inputs: []})})
            .then(r => r.status)"""
    )
    assert status == 400
    note = county.locator("#pulse-notes [role=alert]")
    note.wait_for(timeout=10_000)
    assert "未知的回调" in note.inner_text() and "请求编号" in note.inner_text()


def test_error_pages_are_chinese(server):
    county = login_session(server, "county")
    missing = county.get(server + "/assets/no-such-file.css", timeout=30)
    assert missing.status_code == 404
    assert "页面不存在" in missing.text and "请求编号" in missing.text
    assert "Not Found" not in missing.text
    anonymous = requests.get(server + "/export/cases.csv", timeout=30)
    assert anonymous.status_code == 401 and "未登录" in anonymous.text

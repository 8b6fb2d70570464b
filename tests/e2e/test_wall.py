"""The wall screen (大屏, /wall) in a real browser: at 1366×768, 1920×1080 and 3840×2160 it
fills the screen without scrolling or clipping, no text is smaller than 24 px at 1920×1080
(scaled at the other sizes), it is in Chinese only and in the font it ships, shows the same
figures as metrics() (per-town 超期 and 预警 on the map and in the ticker too), keeps towns
that miss a hard target off 红榜, zooms its trend axes to the data, and keeps updating
unattended while a load swaps the store and while the server restarts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dashboard.components.format import fmt
from dashboard.domain import comparisons, ranking
from dashboard.domain.metrics import default_as_of, metrics
from dashboard.domain.periods import named
from dashboard.store import Store
from dashboard.wall.data import KPIS
from dashboard.wall.panels import rate_axis
from tests.conftest import CASE_HEADER, ROOT, case_row, copy_data, write_csv
from tests.e2e.conftest import WALL_TOKEN, free_port

pytestmark = pytest.mark.browser

READY = "#wall-root[data-ready='1']"
SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]
MIN_PX_AT_1080P = 24  # the smallest text at 1920×1080, scaled by the screen at other sizes

# Every element of the wall lies inside the viewport; every visible text (HTML and the
# trend's SVG) is at least `minPx`, not cut by its box, not hidden by an ellipsis, inside
# its panel; the trend's texts lie inside the figure and never overlap.
LAYOUT_CHECK = """
(minPx) => {
  const W = innerWidth, H = innerHeight, bad = [];
  const root = document.querySelector('#wall-root');
  const ticker = document.querySelector('.wall-ticker-window');
  const inTicker = (e) => ticker.contains(e) && e !== ticker;  // the ticker scrolls by design
  const outside = (r, p) =>
    r.left < p.left - 0.5 || r.top < p.top - 0.5 || r.right > p.right + 0.5 ||
    r.bottom > p.bottom + 0.5;
  const what = (e) => (e.className && e.className.baseVal === undefined ? e.className : e.tagName);
  for (const e of root.querySelectorAll('*')) {
    if (inTicker(e)) continue;
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (outside(r, {left: 0, top: 0, right: W, bottom: H}))
      bad.push('outside the screen: ' + what(e) + ' ' + JSON.stringify(r));
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode, text = t.textContent.trim();
    if (!text || t.parentElement.closest('svg')) continue;
    const range = document.createRange();
    range.selectNodeContents(t);
    if (!range.getClientRects().length) continue;  // not rendered (display: none)
    const e = t.parentElement, style = getComputedStyle(e);
    const size = parseFloat(style.fontSize);
    if (size < minPx) bad.push(`small: ${text} ${size.toFixed(1)}px < ${minPx.toFixed(1)}px`);
    for (let a = e; a && a !== root; a = a.parentElement)
      if (getComputedStyle(a).textOverflow === 'ellipsis') bad.push('ellipsis: ' + text);
    if (inTicker(e)) continue;
    let block = e;
    while (getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    const box = range.getBoundingClientRect(), holder = block.getBoundingClientRect();
    if (block.scrollWidth > block.clientWidth + 1 || box.width > holder.width + 1)
      bad.push(`cut: ${text} ${box.width.toFixed(0)} > ${block.clientWidth}`);
    for (let a = e; a && a !== root; a = a.parentElement) {  // boxes that clip their content
      const o = getComputedStyle(a), r = a.getBoundingClientRect();
      if (o.overflowX !== 'visible' && (box.left < r.left - 1 || box.right > r.right + 1))
        bad.push(`cut by ${what(a)}: ${text}`);
      if (o.overflowY !== 'visible' && (box.top < r.top - 2 || box.bottom > r.bottom + 2))
        bad.push(`cut vertically by ${what(a)}: ${text}`);
    }
    // a glyph box is taller than its line (the font's ascent and descent): no ink there
    const slack = 0.2 * size;
    const p = e.closest('.wall-tile, .wall-panel, .wall-header, .wall-ticker');
    const r = p && p.getBoundingClientRect();
    const area = r && {left: r.left, right: r.right, top: r.top - slack, bottom: r.bottom + slack};
    if (p && outside(box, area)) bad.push('outside its panel: ' + text);
  }
  const svg = document.querySelector('#wall-trend .main-svg');
  const frame = svg.getBoundingClientRect();
  const texts = [...document.querySelectorAll('#wall-trend svg text')]
    .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width);
  texts.forEach((t, i) => {
    const r = t.getBoundingClientRect(), size = parseFloat(getComputedStyle(t).fontSize);
    if (size < minPx) bad.push(`small in the trend: ${t.textContent} ${size}px`);
    if (outside(r, frame)) bad.push('outside the trend: ' + t.textContent);
    for (const u of texts.slice(i + 1)) {
      const q = u.getBoundingClientRect();
      const apart = r.right <= q.left + 1 || q.right <= r.left + 1 ||
        r.bottom <= q.top + 1 || q.bottom <= r.top + 1;
      if (!apart)
        bad.push(`overlap in the trend: ${t.textContent} / ${u.textContent}`);
    }
  });
  for (const e of root.querySelectorAll('.wall-panel, .wall-kpi, .wall-tile, .wall-main, .wall'))
    if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
      bad.push('overflow: ' + e.className + ' ' + e.scrollHeight + '>' + e.clientHeight);
  return bad;
}
"""

# The visible text, HTML and SVG: what the room reads.
VISIBLE_TEXT = """
() => document.querySelector('#wall-root').innerText + '\\n' +
  [...document.querySelectorAll('#wall-trend svg text')].map((t) => t.textContent).join('\\n')
"""


def min_px(width: int, height: int) -> float:
    return MIN_PX_AT_1080P * min(width / 1920, height / 1080) - 0.05


def wall_url(base: str, query: str = "") -> str:
    """The wall device's link: its token, swapped by the server for a session cookie."""
    return f"{base}/wall?token={WALL_TOKEN['wall']}" + (f"&{query}" if query else "")


def _open(browser, url: str, width: int, height: int, ready: str = READY):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.page_errors = []
    page.hosts = set()
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    page.on("request", lambda r: page.hosts.add(urlparse(r.url).netloc))
    page.goto(url)
    page.wait_for_selector(ready, timeout=60_000)
    if ready == READY:
        page.wait_for_selector("#wall-trend .main-svg g.trace")
    page.evaluate("document.fonts.ready")
    return context, page


def _kpis(page) -> dict[str, str]:
    return page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.wall [data-indicator]')]"
        ".map(e => [e.dataset.indicator, e.dataset.value]))"
    )


def _county(env: dict[str, str], period: str = "this_month") -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_DATA_DIR", env["PULSE_DATA_DIR"])
        store = Store()
        as_of = default_as_of(store)
        p = named(period, as_of.date())
        row = metrics(store, p.start, p.end, as_of, by="county").row(0, named=True)
        towns = metrics(store, p.start, p.end, as_of, by="town")
    return {"county": row, "towns": towns, "as_of": as_of}


def _same(shown: str, value) -> bool:
    return (shown == "" and value is None) or (shown != "" and float(shown) == value)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_wall_fills_the_screen_readable_across_the_room(server, browser, width, height):
    context, page = _open(browser, wall_url(server), width, height)
    try:
        page.wait_for_timeout(300)
        scroll = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
            " document.body.scrollWidth, document.body.scrollHeight]"
        )
        assert max(scroll[0], scroll[2]) <= width and max(scroll[1], scroll[3]) <= height
        assert page.evaluate(LAYOUT_CHECK, min_px(width, height)) == []
        # the Chinese comes from the font the wall ships, not from whatever the PC has
        assert page.evaluate(
            "[...document.fonts].some(f => f.family.includes('Wall Noto Sans SC')"
            " && f.status === 'loaded')"
        )
        assert page.evaluate("document.fonts.check('20px \"Wall Noto Sans SC\"', '政务服务')")
        assert page.hosts == {urlparse(server).netloc}  # nothing from the internet
        assert "token=" not in page.url  # the token is swapped for a cookie at once
        text = page.evaluate(VISIBLE_TEXT)
        for words in ("政务服务效能监测", "数据截至", "乡镇态势", "近12个月趋势", "红黑榜", "超期"):
            assert words in text, words
        assert not re.search("[A-Za-z]", text), re.findall(r"\S*[A-Za-z]+\S*", text)
        assert page.locator(".wall-tile").count() == 13
        assert page.locator(".wall-kpi").count() == len(KPIS)
        # what the leaders need is shown whole: the rest of the 体外循环 list is counted
        if page.locator(".wall-flag-more").count():
            assert re.fullmatch(r"另有 \d+ 个部门", page.inner_text(".wall-flag-more"))
        # the shell's navigation is hidden on the wall
        assert not page.locator("#shell-nav").is_visible()
        assert page.console_errors == [] and page.page_errors == []
        page.screenshot(path=f"/tmp/wall-test-{width}.png")  # outside the repository
    finally:
        context.close()


def test_wall_figures_equal_metrics(server, demo_env, browser):
    expected = _county(demo_env, "last_week")
    context, page = _open(
        browser, wall_url(server, "period=last_week&color=on_time_rate"), 1920, 1080
    )
    try:
        shown = _kpis(page)
        county = expected["county"]
        assert set(shown) == {*KPIS, "hotline_tickets"}
        for indicator, value in shown.items():
            assert _same(value, county[indicator]), (indicator, value, county[indicator])
            if indicator != "hotline_tickets":
                text = page.inner_text(f"#wall-kpi-{indicator} .wall-kpi-value")
                assert text == fmt(indicator, county[indicator])
        # a complete week is compared with the whole week before; a backlog is not compared
        compared = page.inner_text("#wall-period")
        assert "较上周" in compared and "同期" not in compared
        assert page.get_attribute("#wall-kpi-overdue_open", "data-change") == "moment"
        assert page.inner_text("#wall-kpi-overdue_open .wall-kpi-delta") == "当前存量"
        # the map shows the chosen indicator per town, from the same metrics
        assert page.inner_text("#wall-map-title") == "乡镇态势 · 按时办结率"
        tiles = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('.wall-tile')].map(e => [e.dataset"
            ".town, [e.dataset.value, e.querySelector('[data-overdue]').dataset.overdue,"
            " e.querySelector('[data-warning]').dataset.warning]]))"
        )
        towns = {r["town_code"]: r for r in expected["towns"].iter_rows(named=True)}
        for code, row in towns.items():
            value, overdue, warning = tiles[code]
            assert _same(value, row["on_time_rate"]), row["town_name"]
            # every tile carries its town's 超期未办结 and 超时预警, whatever the view
            assert (int(overdue), int(warning)) == (row["overdue_open"], row["warning_open"])
        # the ticker: grouped by town, the towns with most overdue cases first, each group's
        # counts equal to the town's figures, together the 共 N 件 behind the two KPIs
        groups = page.evaluate(
            "[...document.querySelectorAll('.wall-ticker-copy:first-child .wall-tick')]"
            ".map(e => [e.dataset.town, +e.dataset.overdue, +e.dataset.warning])"
        )
        assert groups, "no ticker groups"
        for code, overdue, warning in groups:
            assert (overdue, warning) == (towns[code]["overdue_open"], towns[code]["warning_open"])
        assert [g[1] for g in groups] == sorted((g[1] for g in groups), reverse=True)
        total = county["overdue_open"] + county["warning_open"]
        assert sum(g[1] + g[2] for g in groups) == total
        assert page.inner_text("#wall-ticker-count") == f"共 {total:,} 件"
        # 红榜: the best towns that meet the hard targets (no town with overdue cases)
        ranked = ranking.rank(expected["towns"], "on_time_rate")
        red = [x.row["town_code"] for x in ranked if x.board == ranking.RED]
        assert all(towns[c]["overdue_open"] == 0 for c in red)
        shown_red = page.evaluate(
            "[...document.querySelectorAll('#wall-board-red [data-town]')].map(e => e.dataset.town)"
        )
        assert shown_red == red
        assert ranking.rule_text() in page.inner_text("#wall-board")
        # the demo data ends days before today: the stale notice is up
        assert "数据已过期" in page.inner_text("#wall-stale")
        assert page.console_errors == [] and page.page_errors == []
    finally:
        context.close()


def test_the_red_board_never_lists_a_town_with_overdue_cases(server, demo_env, browser):
    """Coloured by 超期未办结, the map's greenest towns are 红榜 — only those at 0."""
    expected = _county(demo_env, "this_month")
    towns = {r["town_code"]: r for r in expected["towns"].iter_rows(named=True)}
    context, page = _open(browser, wall_url(server, "color=overdue_open"), 1920, 1080)
    try:
        red = page.evaluate(
            "[...document.querySelectorAll('#wall-board-red [data-town]')].map(e => e.dataset.town)"
        )
        assert all(towns[c]["overdue_open"] == 0 for c in red), red
        black = page.locator("#wall-board-black [data-town]").count()
        assert black == ranking.BOARD_SIZE
        if not red:
            assert page.inner_text("#wall-board-red") == "红榜\n本期无乡镇上榜"
    finally:
        context.close()


def test_the_trend_zooms_to_the_data_with_its_target(server, demo_env, browser):
    context, page = _open(browser, wall_url(server), 1920, 1080)
    try:
        layout = page.evaluate(
            "(() => { const g = document.querySelector('#wall-trend .js-plotly-plot');"
            " const l = g._fullLayout; const out = {shapes: l.shapes.map(s => [s.yref, s.y0]),"
            " axes: {}, data: g.data.map(t => [t.yaxis || 'y', t.y])};"
            " for (const k of Object.keys(l)) if (/^yaxis\\d*$/.test(k))"
            " out.axes[k.replace('axis', '')] = l[k].range; return out; })()"
        )
        targets = dict(layout["shapes"])
        # a rate's months, whole and (dotted) running, on its own axis
        by_axis: dict[str, list[float]] = {}
        for axis, y in layout["data"]:
            if axis in targets:
                by_axis.setdefault(axis, []).extend(v for v in y if v is not None)
        assert len(by_axis) == 3  # 网办率, 满意度, 按时办结率: each on its own axis, with a target
        for axis, ys in by_axis.items():
            low, high = layout["axes"][axis]
            goal = targets[axis]
            assert low <= min(ys) and max(ys) <= high and low <= goal <= high
            # zoomed: the axis spans the data and the target with a margin, not 0–100 %
            span = max(*ys, goal) - min(*ys, goal)
            assert high - low <= max(span, 1.0) * 1.5 + 0.01, (axis, low, high, span)
    finally:
        context.close()


def test_rate_axis_zooms_and_keeps_the_target():
    rng, ticks = rate_axis([0.962, 0.97, 0.958], 0.98)
    assert 94 < rng[0] < 95.8 and 98 < rng[1] < 99
    assert all(rng[0] <= t <= min(rng[1], 100) for t in ticks) and 2 <= len(ticks) <= 4
    rng, ticks = rate_axis([0.99, 0.995], 1.0)
    assert rng[0] > 98 and max(ticks) <= 100
    assert rate_axis([None, None], None) == ([0, 100], [0, 50, 100])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&from=2026-11-10&to=2026-11-01", "晚于结束日期"),
        ("period=custom&from=2030-01-01&to=2030-01-31", "本期无数据"),
    ],
)
def test_a_wrong_period_is_said_not_shown_as_zeros(server, browser, query, message):
    context, page = _open(browser, wall_url(server, query), 1920, 1080, ready=".wall-no-data")
    try:
        assert message in page.inner_text(".wall-no-data")
        assert page.locator("[data-indicator]").count() == 0
        assert page.evaluate(LAYOUT_CHECK, min_px(1920, 1080)) == []
    finally:
        context.close()


def test_a_running_period_is_compared_with_the_same_span(server, demo_env, browser):
    """本月 on the 20th: 较上月同期 (the 1st to the 20th of last month), not the whole month."""
    as_of = _county(demo_env)["as_of"]
    spans = comparisons.spans(named("this_month", as_of.date()), as_of)
    context, page = _open(browser, wall_url(server, "period=this_month"), 1920, 1080)
    try:
        text = page.inner_text("#wall-period")
        assert spans.running and "较上月同期" in text
        assert f"{spans.previous.start.month}月{spans.previous.start.day}日" in text
    finally:
        context.close()


# --- a private server over a copy of the demo store (and its accounts) ----------------------


class _Server:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env={**self.env, "PULSE_WORKERS": "2"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends master and workers
        )
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("private wall server did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        """Kill the server outright, workers included, as a crash or power cut would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(20)


@pytest.fixture(scope="module")
def kiosk(demo_env, tmp_path_factory):
    base = tmp_path_factory.mktemp("wall")
    copy_data(Path(demo_env["PULSE_DATA_DIR"]), base / "data")
    (base / "pulse.toml").write_text("[wall]\nstale_hours = 1000000\n", encoding="utf-8")
    env = {
        **demo_env,
        "PULSE_DATA_DIR": str(base / "data"),
        "PULSE_CONFIG": str(base / "pulse.toml"),
    }
    server = _Server(env)
    server.start()
    yield server
    server.stop()


def _post_refresh(url: str, session) -> int:
    """Call the wall's data callback directly, as a script would, with a given session."""
    deps = session.get(url + "/_dash-dependencies", timeout=10).json()
    dep = next(d for d in deps if "wall-kpis.children" in d["output"])
    config = {"query": "period=this_month", "color": "online_rate", "refresh": 300}
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in dep["output"].strip(".").split("...")
        ],
        "inputs": [
            {"id": "wall-tick", "property": "n_intervals", "value": 1},
            {"id": "wall-viewport", "property": "data", "value": {"w": 1920, "h": 1080}},
        ],
        "state": [{"id": "wall-config", "property": "data", "value": config}],
        "changedPropIds": ["wall-tick.n_intervals"],
    }
    return session.post(url + "/_dash-update-component", json=body, timeout=30).status_code


def test_wall_without_a_valid_token_shows_no_data(kiosk, browser):
    import requests

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(kiosk.url + "/wall")  # no token, no session: the login page
        assert urlparse(page.url).path == "/login"
        page.goto(kiosk.url + "/wall?token=wrong")
        assert "令牌无效" in page.inner_text("body")
        assert page.locator("[data-indicator]").count() == 0
    finally:
        context.close()
    anonymous = requests.Session()
    assert anonymous.get(kiosk.url + "/_dash-dependencies", timeout=10).status_code == 401
    device = requests.Session()
    assert device.get(wall_url(kiosk.url), timeout=10).status_code == 200  # via the redirect
    assert _post_refresh(kiosk.url, device) == 200


def test_wall_keeps_updating_through_a_load_and_a_restart(kiosk, browser, tmp_path):
    before = _county(kiosk.env)
    url = wall_url(kiosk.url, "refresh=2&rotate=5")
    context, page = _open(browser, url, 1920, 1080)
    cdp = context.new_cdp_session(page)

    def heap() -> int:
        cdp.send("HeapProfiler.collectGarbage")
        return cdp.send("Runtime.getHeapUsage")["usedSize"]

    def refreshed() -> str:
        return page.inner_text("#wall-updated")

    def wait_for(predicate, timeout: float = 20) -> None:
        deadline = time.time() + timeout
        while not predicate():
            assert time.time() < deadline, "the wall stopped updating"
            page.wait_for_timeout(200)
            views.add(page.get_attribute("#wall-root", "data-view"))  # rotating meanwhile

    def next_refresh() -> None:
        stamp = refreshed()
        wait_for(lambda: refreshed() != stamp)

    views = {page.get_attribute("#wall-root", "data-view")}
    try:
        cases = int(_kpis(page)["cases"])
        assert cases == before["county"]["cases"]
        assert page.inner_text("#wall-stale") == ""  # stale_hours is huge in this config
        next_refresh()  # refreshes on its own
        nodes, heap0 = page.evaluate("document.getElementsByTagName('*').length"), heap()

        # a load publishes a new generation while the wall is showing the old one
        new = [
            case_row(f"WALL{i:04d}", 受理时间="2026-11-18 10:00:00", 办结时间="2026-11-18 15:00:00")
            for i in range(37)
        ]
        export = write_csv(
            tmp_path / "cases-extra.csv",
            CASE_HEADER,
            new,
            title=["办件明细", "导出时间：2026-11-20 09:30:00"],
        )
        loaded = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "load", str(export)],
            cwd=ROOT,
            env=kiosk.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert loaded.returncode == 0, loaded.stderr
        wait_for(lambda: _kpis(page)["cases"] == str(cases + 37))
        after = _county(kiosk.env)
        assert after["county"]["cases"] == cases + 37
        wait_for(lambda: "2026-11-20 09:30" in page.inner_text("#wall-as-of"))
        for indicator, value in _kpis(page).items():
            assert _same(value, after["county"][indicator]), indicator

        # the server goes away and comes back: the page carries on by itself
        kiosk.stop()
        page.wait_for_timeout(1500)
        kiosk.start()
        next_refresh()
        next_refresh()
        down = len(page.console_errors)
        next_refresh()
        views.add(page.get_attribute("#wall-root", "data-view"))

        assert page.page_errors == []
        # errors only while the server was down: the failed requests, which Dash reports
        assert all(
            "Failed to load resource" in e or "the server did not respond" in e
            for e in page.console_errors[:down]
        ), page.console_errors
        assert page.console_errors[down:] == []
        assert len(views) > 1  # ?rotate=5 switched the map's indicator
        # replaced, not accumulated: the DOM and the heap stay flat over the refreshes
        assert page.evaluate("document.getElementsByTagName('*').length") <= nodes + 20
        assert heap() < heap0 * 1.5 + 2_000_000
        assert page.evaluate(LAYOUT_CHECK, min_px(1920, 1080)) == []
    finally:
        context.close()


def test_wall_settings_are_documented():
    from etl.settings import SETTINGS

    docs = (ROOT / "docs" / "wall.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        if s.name.startswith("wall."):
            assert f"`{s.name}`" in docs, s.name
    assert os.path.exists(ROOT / "assets" / "fonts" / "noto-sans-sc" / "OFL.txt")

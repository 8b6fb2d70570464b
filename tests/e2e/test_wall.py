"""The wall screen (大屏, /wall) in a real browser: it fills 1920×1080 and 3840×2160 without
scrolling or clipping, in the font it ships, shows the same figures as metrics(), and keeps
updating unattended while a load swaps the store and while the server restarts."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

import pytest

from dashboard.components.format import fmt
from dashboard.domain.metrics import default_as_of, metrics
from dashboard.domain.periods import named
from dashboard.store import Store
from dashboard.wall.data import KPIS
from tests.conftest import CASE_HEADER, ROOT, case_row, write_csv
from tests.e2e.conftest import WALL_TOKEN, free_port

pytestmark = pytest.mark.browser

READY = "#wall-root[data-ready='1']"

# every element of the wall must lie inside the viewport and no fitted text may be cut
LAYOUT_CHECK = """
() => {
  const W = innerWidth, H = innerHeight, bad = [];
  const ticker = document.querySelector('.wall-ticker-window');
  for (const e of document.querySelectorAll('.wall *')) {
    if (ticker.contains(e) && e !== ticker) continue;  // the ticker scrolls by design
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5)
      bad.push('outside: ' + e.className + ' ' + JSON.stringify(r));
  }
  for (const e of document.querySelectorAll('.wall .fit'))
    if (e.scrollWidth > e.clientWidth + 1)
      bad.push('cut: ' + e.textContent + ' ' + e.scrollWidth + '>' + e.clientWidth);
  for (const e of document.querySelectorAll('.wall-panel, .wall-kpi, .wall-tile'))
    if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
      bad.push('overflow: ' + e.className + ' ' + e.scrollHeight + '>' + e.clientHeight);
  return bad;
}
"""


def wall_url(base: str, query: str = "") -> str:
    """The wall device's link: its token, swapped by the server for a session cookie."""
    return f"{base}/wall?token={WALL_TOKEN['wall']}" + (f"&{query}" if query else "")


def _open(browser, url: str, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.page_errors = []
    page.hosts = set()
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    page.on("request", lambda r: page.hosts.add(urlparse(r.url).netloc))
    page.goto(url)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_selector("#wall-trend .main-svg")
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


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_wall_fills_the_screen(server, browser, width, height):
    context, page = _open(browser, wall_url(server), width, height)
    try:
        page.evaluate("document.fonts.ready")
        page.wait_for_timeout(300)
        scroll = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
            " document.body.scrollWidth, document.body.scrollHeight]"
        )
        assert max(scroll[0], scroll[2]) <= width and max(scroll[1], scroll[3]) <= height
        assert page.evaluate(LAYOUT_CHECK) == []
        # the Chinese comes from the font the wall ships, not from whatever the PC has
        assert page.evaluate(
            "[...document.fonts].some(f => f.family.includes('Wall Noto Sans SC')"
            " && f.status === 'loaded')"
        )
        assert page.evaluate("document.fonts.check('20px \"Wall Noto Sans SC\"', '政务服务')")
        assert page.hosts == {urlparse(server).netloc}  # nothing from the internet
        assert "token=" not in page.url  # the token is swapped for a cookie at once
        text = page.inner_text("#wall-root")
        for words in ("政务服务效能监测", "数据截至", "乡镇态势", "近12个月趋势", "红黑榜", "超期"):
            assert words in text, words
        assert page.locator(".wall-tile").count() == 13
        assert page.locator(".wall-kpi").count() == len(KPIS)
        # the shell's navigation is hidden on the wall
        assert not page.locator("#shell-nav").is_visible()
        assert page.console_errors == [] and page.page_errors == []
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
        assert "较上周" in page.inner_text("#wall-period")
        # the map shows the chosen indicator per town, from the same metrics
        assert page.inner_text("#wall-map-title") == "乡镇态势 · 按时办结率"
        tiles = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('.wall-tile')]"
            ".map(e => [e.dataset.town, e.dataset.value]))"
        )
        for row in expected["towns"].iter_rows(named=True):
            assert _same(tiles[row["town_code"]], row["on_time_rate"]), row["town_name"]
        # 红榜 first place is the best town by that indicator
        best = max(
            (r for r in expected["towns"].iter_rows(named=True) if r["on_time_rate"] is not None),
            key=lambda r: (r["on_time_rate"], [-ord(c) for c in r["town_code"]]),
        )
        assert (
            page.get_attribute("#wall-board-red .wall-board-row", "data-town") == best["town_code"]
        )
        # the demo data ends days before today: the stale notice is up
        assert "数据已过期" in page.inner_text("#wall-stale")
        assert page.console_errors == [] and page.page_errors == []
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
    shutil.copytree(demo_env["PULSE_DATA_DIR"], base / "data", symlinks=True)
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

    def next_refresh() -> None:
        stamp = refreshed()
        wait_for(lambda: refreshed() != stamp)

    try:
        cases = int(_kpis(page)["cases"])
        assert cases == before["county"]["cases"]
        assert page.inner_text("#wall-stale") == ""  # stale_hours is huge in this config
        views = {page.get_attribute("#wall-root", "data-view")}
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
        assert page.evaluate(LAYOUT_CHECK) == []
    finally:
        context.close()


def test_wall_settings_are_documented():
    from etl.settings import SETTINGS

    docs = (ROOT / "docs" / "wall.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        if s.name.startswith("wall."):
            assert f"`{s.name}`" in docs, s.name
    assert os.path.exists(ROOT / "assets" / "fonts" / "noto-sans-sc" / "OFL.txt")

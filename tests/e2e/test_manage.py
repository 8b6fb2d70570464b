"""The management loop (issue 17) over real HTTP and in Chromium, signed in:

- a town official cannot 销号, open items, draw or record checks, nor see or touch another
  town's ledger items or explanations, however the request is crafted; nobody signed out
  and no wall device reaches /manage/;
- the pages 办件抽查, 整改台账, 书面说明 and 通报 in Chromium: forms that work, no console
  errors, screenshots (to the test's own folder);
- the 通报 PDF and the weekly PDF's 整改销号情况 and 升降, read back with poppler;
- audit results, explanations and ledger items survive a server restart and a
  `pulse backup` → `pulse restore`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import ROOT, copy_data
from tests.e2e.conftest import (
    DEMO_TOWN,
    OTHER_TOWN,
    WALL_TOKEN,
    free_port,
    login_context,
    login_session,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MONTH = "2026-10"
CHECK = "录入及时规范"
CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def pulse(env: dict, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def post(session: requests.Session, url: str, path: str, data: dict) -> requests.Response:
    return session.post(
        url + path, data=data, headers={"Origin": url}, allow_redirects=False, timeout=60
    )


def flashed(response: requests.Response) -> tuple[str, dict]:
    """Where a form's redirect goes, and its query (msg: ok:… | error:…)."""
    assert response.status_code == 303, (response.status_code, response.text[:300])
    location = urlsplit(response.headers["Location"])
    return location.path, {k: v[0] for k, v in parse_qs(location.query).items()}


def read_csv(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text[:300]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *body, signature = rows
    assert signature[0].startswith("导出人:")
    return [dict(zip(header, r, strict=True)) for r in body]


def open_item(county, url: str, town: str, problem: str) -> int:
    answer = post(
        county,
        url,
        "/manage/ledger/new",
        {
            "source": "figure",
            "town": town,
            "dept": "社保",
            "indicator": "overdue_open",
            "from": "2026-11-01",
            "to": "2026-11-30",
            "problem": problem,
            "workdays": "10",
        },
    )
    _, query = flashed(answer)
    assert query["msg"].startswith("ok:"), query
    return int(query["item"])


def ledger_rows(session, url: str) -> dict[str, dict]:
    return {r["编号"]: r for r in read_csv(session.get(url + "/manage/ledger.csv", timeout=60))}


def test_a_town_official_cannot_close_nor_reach_another_towns_items(server):
    county, town = login_session(server, "county"), login_session(server, "town")
    mine = open_item(county, server, DEMO_TOWN, "城关街道社保超期未办结,限期办结")
    theirs = open_item(county, server, OTHER_TOWN, "白沙镇社保超期未办结,限期办结")

    seen = ledger_rows(town, server)
    assert str(mine) in seen and str(theirs) not in seen
    assert {r["乡镇"] for r in seen.values()} == {"城关街道"}
    assert str(theirs) in ledger_rows(county, server)

    # the page, as Dash's router renders it for the town official: only their item
    page = town.post(
        server + "/_dash-update-component",
        json={
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": "/ledger"},
                {"id": "_pages_location", "property": "search", "value": f"?item={theirs}"},
            ],
            "state": [],
            "changedPropIds": ["_pages_location.pathname"],
        },
        headers={"Origin": server},
        timeout=60,
    )
    assert page.status_code == 200
    text = json.dumps(page.json(), ensure_ascii=False)
    assert "城关街道社保超期未办结" in text and "白沙镇社保" not in text

    # crafted requests: closing their own item, touching another town's, opening one
    for item, status in ((mine, "已销号"), (theirs, "整改中"), (theirs, "已销号")):
        answer = post(town, server, f"/manage/ledger/{item}/step", {"status": status, "note": "x"})
        assert answer.status_code == 403, (item, status, answer.text)
    answer = post(town, server, "/manage/ledger/new", {"town": DEMO_TOWN, "problem": "自立"})
    assert answer.status_code == 403
    assert ledger_rows(county, server)[str(mine)]["状态"] == "待整改"
    assert ledger_rows(county, server)[str(theirs)]["状态"] == "待整改"

    # what a town official may do: report progress with evidence; county staff close it
    path, query = flashed(
        post(town, server, f"/manage/ledger/{mine}/step", {"status": "整改中", "note": "已办结"})
    )
    assert (path, query["msg"]) == ("/ledger", f"ok:编号 {mine}:整改中")
    flashed(
        post(county, server, f"/manage/ledger/{mine}/step", {"status": "已销号", "note": "核实"})
    )
    row = ledger_rows(town, server)[str(mine)]
    assert (row["状态"], row["销号人"], row["最近进展"]) == ("已销号", "county", "核实")

    # the audit sample: drawing and recording are county staff's
    assert post(town, server, "/manage/case-audit/draw", {"month": MONTH}).status_code == 403
    answer = post(
        town,
        server,
        "/manage/case-audit/check",
        {"month": MONTH, "case_id": "x", f"result:{CHECK}": "合格"},
    )
    assert answer.status_code == 403
    # a signed message cannot be forged into a page
    forged = town.get(server + "/ledger?msg=error:请拨打电话&sig=00", timeout=30)
    assert forged.status_code == 200  # the page; the message is not shown (checked in Chromium)


def test_nobody_else_reaches_the_management_routes(server):
    anonymous = requests.Session()
    for path in ("/ledger", "/case-audit", "/explanations", "/bulletins"):
        answer = anonymous.get(server + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    for path in ("/manage/ledger.csv", f"/manage/case-audit.csv?month={MONTH}"):
        assert anonymous.get(server + path, timeout=30).status_code == 401
    answer = post(anonymous, server, "/manage/ledger/new", {"problem": "x"})
    assert answer.status_code == 401
    wall = requests.Session()
    wall.get(server + f"/wall?token={WALL_TOKEN['wall']}", timeout=30)
    for path in ("/ledger", "/manage/ledger.csv", "/bulletins"):
        assert wall.get(server + path, allow_redirects=False, timeout=30).status_code == 403
    town = login_session(server, "town")
    assert town.get(server + "/bulletins", allow_redirects=False, timeout=30).status_code == 403
    assert (
        town.get(server + "/bulletin-print", allow_redirects=False, timeout=30).status_code == 403
    )
    # a form posted from another site is refused before it is read
    county = login_session(server, "county")
    evil = county.post(
        server + "/manage/ledger/new",
        data={"town": DEMO_TOWN, "problem": "跨站"},
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
        timeout=30,
    )
    assert evil.status_code == 403


def test_explanations_only_for_the_officials_own_towns(server):
    town, county = login_session(server, "town"), login_session(server, "county")
    lines = read_csv(town.get(server + f"/manage/explanations.csv?month={MONTH}", timeout=60))
    assert lines and {r["乡镇"] for r in lines} == {"城关街道"}
    every = read_csv(county.get(server + f"/manage/explanations.csv?month={MONTH}", timeout=60))
    other = next(r for r in every if r["乡镇"] != "城关街道")
    other_code = OTHER_TOWN if other["乡镇"] == "白沙镇" else None
    first = lines[0]
    _, query = flashed(
        post(
            town,
            server,
            "/manage/explanations",
            {
                "month": MONTH,
                "town": DEMO_TOWN,
                "dept": first["部门"],
                "window": "",
                "text": "评价器故障",
            },
        )
    )
    assert query["msg"].startswith("ok:")
    if other_code:
        _, query = flashed(
            post(
                town,
                server,
                "/manage/explanations",
                {"month": MONTH, "town": other_code, "dept": other["部门"], "text": "越权"},
            )
        )
        assert query["msg"].startswith("error:")
    again = read_csv(county.get(server + f"/manage/explanations.csv?month={MONTH}", timeout=60))
    written = [r for r in again if r["书面说明"]]
    assert [(r["乡镇"], r["部门"], r["书面说明"], r["填写人"]) for r in written] == [
        ("城关街道", first["部门"], "评价器故障", "town")
    ]


def test_the_pages_in_chromium(server, browser, tmp_path):
    """Each new page signed in: it draws, its forms work, nothing is logged to the console."""
    county = login_session(server, "county")
    flashed(post(county, server, "/manage/case-audit/draw", {"month": MONTH}))  # may be drawn
    shots = tmp_path / "screenshots"
    shots.mkdir()
    context = login_context(browser, server, "county")
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{server}/case-audit?month={MONTH}&town={DEMO_TOWN}")
    page.wait_for_selector(".case-audit-row")
    assert "各乡镇抽查情况" in page.inner_text("body")
    row = page.locator("form.case-audit-row").first
    case_id = row.get_attribute("id").removeprefix("case-")
    row.locator(f"select[name='result:{CHECK}']").select_option("不合格")
    row.locator(f"input[name='note:{CHECK}']").fill("录入时间晚于受理 3 天")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#manage-flash")
    assert f"{case_id}:已保存 1 项" in page.inner_text("#manage-flash")
    page.wait_for_selector(f"#case-{case_id} a:has-text('立项整改')")
    page.screenshot(path=shots / "case-audit.png", full_page=True)

    # a 不合格 finding opens a ledger item, the form filled in from the finding
    page.click(f"#case-{case_id} a:has-text('立项整改')")
    page.wait_for_selector("#ledger-new")
    problem = page.input_value("#ledger-problem")
    assert case_id in problem and "录入时间晚于受理 3 天" in problem
    assert page.input_value("#ledger-ref") == case_id
    page.screenshot(path=shots / "ledger-new.png", full_page=True)
    page.click("#ledger-new button[type=submit]")
    page.wait_for_selector("#manage-flash")
    assert "已立项" in page.inner_text("#manage-flash")
    page.screenshot(path=shots / "ledger.png", full_page=True)

    page.goto(f"{server}/explanations?month={MONTH}")
    page.wait_for_selector("#explanations-summary")
    page.screenshot(path=shots / "explanations.png")
    page.goto(f"{server}/bulletins")
    page.wait_for_selector("#bulletins-preview")
    page.locator("#bulletins-preview form").first.locator("button").click()  # 生成 PDF
    page.wait_for_selector("#manage-flash", timeout=120_000)
    assert "已生成 2026年10月 通报" in page.inner_text("#manage-flash")
    link = page.get_attribute("#bulletins-table a[data-file]", "href")
    assert link.endswith("示范县-通报-2026-10.pdf")
    pdf = county.get(server + link, timeout=60)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert login_session(server, "town").get(server + link, timeout=30).status_code == 403
    page.screenshot(path=shots / "bulletins.png")
    page.goto(server + "/ledger?msg=error:请拨打电话&sig=00")
    page.wait_for_selector("#ledger-counts")
    assert "请拨打电话" not in page.inner_text("body")  # not signed by the server
    page.goto(server + "/bulletin-print?kind=quarter&period=custom&from=2026-07-01&to=2026-09-30")
    page.wait_for_selector("body[data-report-ready='1']", state="attached")
    assert "关于2026年第3季度全县政务服务效能情况的通报" in page.inner_text("body")
    assert page.evaluate("window.__csp") == []
    assert errors == []
    context.close()

    town = login_context(browser, server, "town")
    page = town.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{server}/explanations?month={MONTH}")
    page.wait_for_selector("#explanations-table")
    form = page.locator("#explanations-table details[open] form").first  # one not yet explained
    form.locator("textarea").fill("窗口人员调整,已培训")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#manage-flash")
    assert "已保存说明" in page.inner_text("#manage-flash")
    page.goto(f"{server}/case-audit?month={MONTH}")
    page.wait_for_selector("#case-audit-cases")
    assert page.locator("form.case-audit-row").count() == 0  # town officials read only
    assert "城关街道" in page.inner_text("#case-audit-towns")
    assert "白沙镇" not in page.inner_text("#case-audit-towns")
    page.screenshot(path=shots / "case-audit-town.png")
    assert errors == []
    town.close()
    assert len(list(shots.glob("*.png"))) == 6


def pages_text(path: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split("\f")[:-1]


def test_the_bulletin_pdf_shows_the_figures(server, demo_env, tmp_path):
    from dashboard.components.format import fmt

    out = tmp_path / "通报.pdf"
    done = pulse(demo_env, "bulletin", "--month", MONTH, "--url", server, "--out", str(out))
    assert done.returncode == 0, done.stderr
    texts = pages_text(out)
    whole = "\n".join(texts)
    assert "关于2026年10月全县政务服务效能情况的通报" in texts[0]
    for words in (
        "一、总体情况",
        "二、红黑榜",
        "三、窗口评比",  # 红旗窗口 and 后进窗口 (issue 19)
        "红旗窗口",
        "四、予以表扬",
        "五、点名批评",
        "整改落实情况",
        "体外循环",
    ):
        assert words in whole, words
    figures = pulse(
        demo_env, "metrics", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json"
    )
    rows = json.loads(figures.stdout)
    ranking = next(t for t in texts if "红黑榜" in t)
    for row in rows:
        line = next(x for x in ranking.splitlines() if f" {row['town_name']} " in f" {x} ")
        assert fmt("online_rate", row["online_rate"]) in line, row["town_name"]
    pngs = tmp_path / "png"
    pngs.mkdir()
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(out), str(pngs / "p")], check=True)
    assert len(list(pngs.glob("p-*.png"))) == len(texts)


def test_the_weekly_pdf_shows_rectifications_and_rank_changes(server, demo_env, tmp_path):
    county = login_session(server, "county")
    late = open_item(county, server, DEMO_TOWN, "周报里的逾期事项")
    done_item = open_item(county, server, DEMO_TOWN, "周报里已销号的事项")
    flashed(
        post(
            county, server, f"/manage/ledger/{done_item}/step", {"status": "已销号", "note": "核实"}
        )
    )
    db = sqlite3.connect(Path(demo_env["PULSE_DATA_DIR"]) / "store" / "app.sqlite3")
    with db:
        db.execute(
            "update ledger_items set opened_at = '2026-11-10 09:00:00', deadline = '2026-11-12' "
            "where id in (?, ?)",
            (late, done_item),
        )
        db.execute(
            "update ledger_items set closed_at = '2026-11-12 16:00:00' where id = ?", (done_item,)
        )
    db.close()
    out = tmp_path / "week.pdf"
    done = pulse(demo_env, "snapshot", "--week", "2026-W46", "--url", server, "--out", str(out))
    assert done.returncode == 0, done.stderr
    texts = pages_text(out)
    section = next(t for t in texts if "整改销号情况" in t)
    cells = next(x.split() for x in section.splitlines() if x.split()[:1] == ["城关街道"])
    opened, closed, open_at_end, overdue = map(int, cells[1:5])
    assert opened >= 2 and closed >= 1 and open_at_end >= 1 and overdue >= 1
    ranking = next(t for t in texts if "乡镇排名" in t)
    assert re.search(r"持平|↑\d|↓\d", ranking)  # 升降 filled in, not "—" for every town


class Served:
    """`pulse serve` of its own over a copy of the demo data."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.port = env, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("a") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(self.port),
                 "--workers", "1"],
                cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)


def test_records_survive_a_restart_and_a_backup_restore(demo_env, tmp_path):
    base = tmp_path / "a"
    copy_data(Path(demo_env["PULSE_DATA_DIR"]), base / "data")
    env = {
        **demo_env,
        "PULSE_DATA_DIR": str(base / "data"),
        "PULSE_CONFIG": str(base / "pulse.toml"),
    }
    log = tmp_path / "server.log"
    first = Served(env, log)
    try:
        county, town = login_session(first.url, "county"), login_session(first.url, "town")
        item = open_item(county, first.url, DEMO_TOWN, "重启前立项")
        flashed(
            post(
                town,
                first.url,
                f"/manage/ledger/{item}/step",
                {"status": "整改中", "note": "证据A"},
            )
        )
        flashed(post(county, first.url, "/manage/case-audit/draw", {"month": "2026-09"}))
        sample = read_csv(
            county.get(first.url + "/manage/case-audit.csv?month=2026-09", timeout=60)
        )
        case_id = sample[0]["办件编号"]
        form = {"month": "2026-09", "case_id": case_id, f"result:{CHECK}": "不合格"}
        form[f"note:{CHECK}"] = "重启前的结论"
        _, query = flashed(post(county, first.url, "/manage/case-audit/check", form))
        assert query["msg"].startswith("ok:"), query
        line = read_csv(town.get(first.url + "/manage/explanations.csv?month=2026-09", timeout=60))[
            0
        ]
        flashed(
            post(
                town,
                first.url,
                "/manage/explanations",
                {
                    "month": "2026-09",
                    "town": DEMO_TOWN,
                    "dept": line["部门"],
                    "text": "重启前的说明",
                },
            )
        )
    finally:
        first.stop()

    def check(url: str) -> None:
        county = login_session(url, "county")
        row = ledger_rows(county, url)[str(item)]
        assert (row["问题"], row["状态"], row["最近进展"]) == ("重启前立项", "整改中", "证据A")
        sample = read_csv(county.get(url + "/manage/case-audit.csv?month=2026-09", timeout=60))
        found = next(r for r in sample if r["办件编号"] == case_id)
        assert (found[CHECK], found[f"{CHECK}说明"]) == ("不合格", "重启前的结论")
        notes = read_csv(county.get(url + "/manage/explanations.csv?month=2026-09", timeout=60))
        assert [r["书面说明"] for r in notes if r["书面说明"]] == ["重启前的说明"]

    second = Served(env, log)
    try:
        check(second.url)
    finally:
        second.stop()

    archive = tmp_path / "pulse-backup.tar.gz"
    done = pulse(env, "backup", "--out", str(archive))
    assert done.returncode == 0, done.stderr
    restored = {
        **demo_env,
        "PULSE_DATA_DIR": str(tmp_path / "b" / "data"),
        "PULSE_CONFIG": str(tmp_path / "b" / "pulse.toml"),
    }
    done = pulse(restored, "restore", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
    items = json.loads(pulse(restored, "ledger", "--format", "json").stdout)
    assert [(r["问题"], r["状态"]) for r in items if r["编号"] == item] == [
        ("重启前立项", "整改中")
    ]
    third = Served(restored, log)
    try:
        check(third.url)
    finally:
        third.stop()

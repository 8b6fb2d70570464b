"""Weekly PDF snapshots (issue 7): the county PDF from `pulse snapshot` (private server),
a town's through a running dashboard (--url), both read back with pypdf (pages, fonts,
glyphs) and poppler's pdftotext (words and figures, compared with metrics()); failures
that must be loud; the archive and its download page; e-mail through a local SMTP server
started here; the weekly trigger."""

from __future__ import annotations

import json
import logging
import socketserver
import subprocess
import sys
import threading
from datetime import date, datetime
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.conftest import login_session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WEEK = "2026-W46"  # the demo store's 数据截至 is Friday 2026-11-20: W46 is the last complete
START, END = date(2026, 11, 9), date(2026, 11, 15)
TOWN = "339901100000"  # 青石镇 in the demo county
SHANGHAI = ZoneInfo("Asia/Shanghai")


def pulse(env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def in_demo(demo_env, monkeypatch):
    """This process reads the demo store (as the CLI and the server do)."""
    for key in ("PULSE_DATA_DIR", "PULSE_CONFIG"):
        monkeypatch.setenv(key, demo_env[key])
    monkeypatch.delenv("PULSE_STORE", raising=False)
    monkeypatch.delenv("PULSE_SNAPSHOT_DIR", raising=False)
    return Path(demo_env["PULSE_DATA_DIR"])


@pytest.fixture(scope="module")
def county_pdf(demo_env) -> Path:
    """`pulse snapshot` without options: last complete week, the county, a private server."""
    done = pulse(demo_env, "snapshot")
    assert done.returncode == 0, done.stderr
    path = Path(demo_env["PULSE_DATA_DIR"]) / "snapshots" / f"示范县-{WEEK}.pdf"
    assert str(path) in done.stdout
    return path


@pytest.fixture(scope="module")
def town_pdf(demo_env, server) -> Path:
    """A town's own report, rendered on the running dashboard (--url)."""
    done = pulse(demo_env, "snapshot", "--week", WEEK, "--town", TOWN, "--url", server)
    assert done.returncode == 0, done.stderr
    path = Path(demo_env["PULSE_DATA_DIR"]) / "snapshots" / f"示范县-{WEEK}-{TOWN}.pdf"
    assert str(path) in done.stdout
    return path


# ------------------------------------------------------------------ reading a PDF


def pages_text(path: Path) -> list[str]:
    """Text per page, laid out (poppler). Chromium's Type 3 CJK fonts map some glyphs to
    Kangxi radicals in ToUnicode; pdftotext reads them back as the ideographs."""
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split("\f")[:-1]


def line_tokens(text: str, first: str, after: str) -> list[str]:
    """The whitespace-separated cells of the first line below the line holding `after`
    whose cells include `first`, starting with it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line.split())
    for line in lines[start + 1 :]:
        cells = line.split()
        if first in cells:
            return cells[cells.index(first) :]
    raise AssertionError(f"no line with {first!r}")


def check_fonts_and_glyphs(path: Path) -> int:
    """Every font carries its glyphs (Type 3 glyph procedures, or an embedded font file) and
    no text is drawn with glyph 0 (.notdef: a missing glyph). Returns the page count."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(path)
    fonts_seen = glyphs_drawn = 0
    for number, page in enumerate(reader.pages, 1):
        fonts = page["/Resources"].get("/Font", {})
        glyph_names: dict[str, dict[int, str]] = {}
        for name, ref in fonts.items():
            font = ref.get_object()
            fonts_seen += 1
            subtype = font["/Subtype"]
            if subtype == "/Type3":
                procs = font["/CharProcs"]
                assert len(procs) > 0, (number, name)
                codes: dict[int, str] = {}
                code = 0
                for item in font["/Encoding"]["/Differences"]:
                    if isinstance(item, int):
                        code = item
                    else:
                        codes[code] = str(item)
                        assert str(item) in procs, (number, name, item)
                        code += 1
                glyph_names[name] = codes
                continue
            desc = font.get("/FontDescriptor")
            if subtype == "/Type0":
                desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            desc = desc.get_object()
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                number,
                name,
                "font not embedded",
            )
        current = None
        ops = ContentStream(page.get_contents(), reader).operations
        for operands, op in ops:
            if op == b"Tf":
                current = operands[0]
            elif op in (b"Tj", b"TJ") and current in glyph_names:
                strings = operands[0] if op == b"TJ" else [operands[0]]
                for s in strings:
                    if isinstance(s, int | float) or not hasattr(s, "original_bytes"):
                        continue
                    for byte in s.original_bytes:
                        glyph = glyph_names[current].get(byte)
                        assert glyph not in (None, "/g0"), (number, current, byte, "missing glyph")
                        glyphs_drawn += 1
    assert fonts_seen > 0 and glyphs_drawn > 1000
    return len(reader.pages)


def check_page_numbers(texts: list[str]) -> None:
    n = len(texts)
    for i, text in enumerate(texts, 1):
        assert f"第{i}页/共{n}页" in "".join(text.split()), i


# ------------------------------------------------------------------ the PDFs


def test_county_pdf(county_pdf, in_demo):
    from dashboard.components.format import fmt
    from dashboard.domain.indicators import label
    from dashboard.domain.metrics import default_as_of, metrics
    from dashboard.snapshot.content import RANKED
    from dashboard.store import Store

    n = check_fonts_and_glyphs(county_pdf)
    texts = pages_text(county_pdf)
    assert len(texts) == n
    assert 8 <= n <= 30
    check_page_numbers(texts)
    whole = "\n".join(texts)
    for words in ("示范县", "政务服务效能周报", "2026年第46周", "数据截至 2026-11-20 08:00"):
        assert words in texts[0], words
    for words in ("指标概览", "乡镇排名", "红黑榜", "趋势", "乡镇对比", "超期未办结", "超时预警"):
        assert words in whole, words
    for words in ("体外循环", "12345 热线与好差评", "差评及整改"):
        assert words in whole, words
    # the same figures as metrics() for the same week — every town, every indicator
    store = Store()
    as_of = default_as_of(store)
    towns = metrics(store, START, END, as_of, by="town")
    county = metrics(store, START, END, as_of, by="county").row(0, named=True)
    ranking = next(t for t in texts if "乡镇排名" in t)
    for row in towns.iter_rows(named=True):
        assert row["town_name"] in ranking, row["town_name"]
        cells = line_tokens(ranking, row["town_name"], after="乡镇")
        assert cells[1 : 1 + len(RANKED)] == [fmt(c, row[c]) for c in RANKED], row["town_name"]
    summary = next(t for t in texts if "指标概览" in t)
    for c in RANKED:
        assert line_tokens(summary, label(c), after="变化")[1] == fmt(c, county[c]), c
    assert f"共 {county['overdue_open']:,} 件" in whole
    assert f"共 {county['bad_reviews']:,} 条" in whole
    # the archive's index describes it
    index = json.loads((county_pdf.parent / "index.json").read_text(encoding="utf-8"))
    entry = next(e for e in index["snapshots"] if e["file"] == county_pdf.name)
    assert entry["week"] == WEEK and entry["town_code"] is None
    assert entry["as_of"].startswith("2026-11-20 08:00")
    assert entry["bytes"] == county_pdf.stat().st_size


def test_town_pdf(town_pdf, in_demo):
    from dashboard.components.format import fmt
    from dashboard.domain.indicators import label
    from dashboard.domain.metrics import default_as_of, metrics
    from dashboard.store import Store

    n = check_fonts_and_glyphs(town_pdf)
    texts = pages_text(town_pdf)
    assert len(texts) == n
    check_page_numbers(texts)
    store = Store()
    as_of = default_as_of(store)
    towns = metrics(store, START, END, as_of, by="town")
    county = metrics(store, START, END, as_of, by="county").row(0, named=True)
    mine = towns.filter(towns["town_code"] == TOWN).row(0, named=True)
    assert mine["town_name"] == "青石镇"
    assert "青石镇" in texts[0] and "政务服务效能周报" in texts[0]
    whole = "\n".join(texts)
    for name in towns["town_name"]:  # the town is shown among all towns
        assert name in whole, name
    summary = next(t for t in texts if "指标概览" in t)
    for c in ("cases", "online_rate", "on_time_rate", "overdue_open", "satisfaction_rate"):
        cells = line_tokens(summary, label(c), after="变化")
        assert cells[1] == fmt(c, mine[c]), c  # 本期 (the town)
        assert cells[3] == fmt(c, county[c]), c  # 全县本期
    assert f"共 {mine['overdue_open']:,} 件" in whole


def test_unknown_town_fails_loudly(demo_env, server):
    done = pulse(demo_env, "snapshot", "--week", WEEK, "--town", "不存在镇", "--url", server)
    assert done.returncode == 1
    assert "未知乡镇" in done.stderr
    assert not list((Path(demo_env["PULSE_DATA_DIR"]) / "snapshots").glob("*不存在*"))


def test_no_render_signal_in_time_fails_loudly(demo_env, server, tmp_path):
    out = tmp_path / "never.pdf"
    done = pulse(
        demo_env, "snapshot", "--week", WEEK, "--url", server, "--timeout", "0.5", "--out", str(out)
    )
    assert done.returncode == 1
    assert "周报生成失败" in done.stderr
    assert not out.exists()


def test_archive_page_lists_and_serves_the_files(county_pdf, town_pdf, server, page):
    page.goto(server + "/snapshots")
    page.wait_for_selector("#snapshots-table")
    text = page.inner_text("body")
    assert "周报" in text and "2026年第46周" in text and "青石镇" in text
    links = page.eval_on_selector_all(
        "#snapshots-table a[data-file]", "els => els.map(e => [e.dataset.file, e.href])"
    )
    served = dict(links)
    county = login_session(server, "county")
    for path in (county_pdf, town_pdf):
        resp = county.get(served[path.name], timeout=30)
        assert resp.headers["Content-Type"] == "application/pdf"
        assert resp.content == path.read_bytes()
    for bad in ("nothing.pdf", "..%2Fsecret.key", "..%2F..%2Fstore%2Fpulse.duckdb"):
        assert county.get(f"{server}/snapshots/file/{bad}", timeout=30).status_code == 404
    # nobody signed in: nothing; another town's official: neither the county's report (it
    # lists every town's cases) nor that town's
    for path in (county_pdf, town_pdf):
        assert requests.get(served[path.name], timeout=30).status_code == 401
        assert login_session(server, "town").get(served[path.name], timeout=30).status_code == 404
    assert page.console_errors == []


def test_rerun_replaces_the_week_atomically(tmp_path):
    from dashboard.snapshot import archive

    meta = {"county": "示范县", "week": "2026-W46", "from": "2026-11-09", "to": "2026-11-15"}
    first = archive.publish(b"%PDF-1.4 first", meta, folder=tmp_path)
    town = archive.publish(b"%PDF-1.4 town", {**meta, "town_code": TOWN}, folder=tmp_path)
    again = archive.publish(b"%PDF-1.4 second", meta, folder=tmp_path)
    assert first == again == tmp_path / "示范县-2026-W46.pdf"
    assert town.name == f"示范县-2026-W46-{TOWN}.pdf"
    assert again.read_bytes() == b"%PDF-1.4 second"
    entries = archive.read_index(tmp_path)
    assert [e["file"] for e in entries] == [again.name, town.name]  # county first, no duplicate
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".index.lock", "index.json", again.name, town.name]
    )  # no temporary file left behind
    assert archive.file_name({**meta, "week": None}) == "示范县-2026-11-09_2026-11-15.pdf"


# ------------------------------------------------------------------ e-mail


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP: refuses the first `fail_first` connections with 421."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        srv = self.server
        srv.connections += 1
        if srv.connections <= srv.fail_first:
            self.reply("421 4.3.2 busy, try again later")
            return
        self.reply("220 test.local ESMTP")
        sender, rcpts = None, []
        while line := self.rfile.readline():
            cmd = line.decode("ascii").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test.local")
                self.reply("250 8BITMIME")
            elif verb == "HELO" or verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif cmd.upper().startswith("MAIL FROM:"):
                sender = cmd[10:].strip().split()[0].strip("<>")
                self.reply("250 OK")
            elif cmd.upper().startswith("RCPT TO:"):
                rcpts.append(cmd[8:].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(part[1:] if part.startswith(b"..") else part)
                srv.messages.append((sender, rcpts, b"".join(data)))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_server():
    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), _SmtpHandler)
    srv.connections, srv.fail_first, srv.messages = 0, 0, []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def archived(county_pdf, tmp_path, monkeypatch):
    """The county PDF in a private archive, recipients configured in pulse.toml."""
    from dashboard.snapshot import archive
    from dashboard.snapshot.content import Request
    from dashboard.snapshot.schedule import Produced

    config = tmp_path / "pulse.toml"
    config.write_text(
        '[snapshot]\nrecipients = ["leader@county.example", "office@county.example"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PULSE_CONFIG", str(config))
    monkeypatch.setenv("PULSE_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    meta = json.loads((county_pdf.parent / "index.json").read_text(encoding="utf-8"))
    meta = next(e for e in meta["snapshots"] if e["file"] == county_pdf.name)
    path = archive.publish(county_pdf.read_bytes(), meta)
    return Produced(Request(START, END), path, meta, 0.0, [])


def smtp(port: int, **kw):
    from dashboard.snapshot.mail import SmtpConfig

    return SmtpConfig(
        host="127.0.0.1",
        port=port,
        security="none",
        sender="pulse@county.example",
        retries=3,
        backoff=0.25,
        timeout=5,
        **kw,
    )


def test_email_is_retried_then_delivered(archived, smtp_server, caplog):
    from dashboard.snapshot import archive
    from dashboard.snapshot.schedule import deliver

    smtp_server.fail_first = 1
    waits: list[float] = []
    with caplog.at_level(logging.WARNING, logger="dashboard.snapshot.mail"):
        deliver([archived], smtp(smtp_server.server_address[1]), sleep=waits.append)
    assert smtp_server.connections == 2 and waits == [0.25]
    assert "attempt 1/3" in caplog.text
    ((sender, rcpts, raw),) = smtp_server.messages
    assert sender == "pulse@county.example"
    assert rcpts == ["leader@county.example", "office@county.example"]
    msg = message_from_bytes(raw, policy=email_policy)
    assert "政务服务效能周报" in msg["Subject"] and "2026年第46周" in msg["Subject"]
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == archived.path.name
    assert attachment.get_content() == archived.path.read_bytes()
    (delivery,) = archived.deliveries
    assert delivery.ok and delivery.attempts == 2
    (entry,) = archive.read_index()
    assert entry["deliveries"][-1]["ok"] is True


def test_failed_email_is_logged_and_keeps_the_file(archived, smtp_server, caplog):
    from dashboard.snapshot import archive
    from dashboard.snapshot.schedule import deliver

    smtp_server.fail_first = 99
    waits: list[float] = []
    with caplog.at_level(logging.WARNING, logger="dashboard.snapshot.mail"):
        deliver([archived], smtp(smtp_server.server_address[1]), sleep=waits.append)
    assert smtp_server.connections == 3 and waits == [0.25, 0.5]  # backoff doubles
    assert "failed after 3 attempts" in caplog.text
    assert smtp_server.messages == []
    (delivery,) = archived.deliveries
    assert not delivery.ok and "421" in delivery.errors[-1]
    assert archived.path.is_file() and archived.path.stat().st_size > 0
    (entry,) = archive.read_index()
    assert entry["deliveries"][-1]["ok"] is False


# ------------------------------------------------------------------ the schedule


def test_weekly_trigger_is_monday_0800_shanghai(pulse_env):
    from dashboard.snapshot.schedule import next_runs

    wednesday = datetime(2026, 11, 18, 12, 0, tzinfo=SHANGHAI)
    first, second = next_runs(after=wednesday, n=2)  # the defaults: snapshot.cron, .timezone
    assert first == datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)
    assert first.weekday() == 0 and first.utcoffset().total_seconds() == 8 * 3600
    assert second == datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI)
    # crontab weekdays count from Sunday = 0 (APScheduler 3's own numbers start on Monday)
    (sunday,) = next_runs("15 7 * * 0", "Asia/Shanghai", n=1, after=wednesday)
    assert sunday == datetime(2026, 11, 22, 7, 15, tzinfo=SHANGHAI)
    (friday,) = next_runs("0 18 * * 1-5", "Asia/Shanghai", n=1, after=wednesday)
    assert friday == datetime(2026, 11, 18, 18, 0, tzinfo=SHANGHAI)
    with pytest.raises(ValueError):
        next_runs("0 8 * *", "Asia/Shanghai")


def test_default_week_is_the_last_complete_one_before_as_of():
    from dashboard.snapshot.content import Request, default_week

    assert default_week(datetime(2026, 11, 20, 8)).iso_week == "2026-W46"  # a Friday
    assert default_week(datetime(2026, 11, 23, 7, 30)).iso_week == "2026-W47"  # Monday
    assert default_week(datetime(2026, 11, 22, 23, 59)).iso_week == "2026-W46"  # Sunday
    request = Request.week("2026-W47", TOWN)
    assert (request.start, request.end) == (date(2026, 11, 16), date(2026, 11, 22))
    query = {"period": "custom", "from": "2026-11-16", "to": "2026-11-22", "town": TOWN}
    assert Request.from_args(query) == request
    october = Request(date(2026, 10, 1), date(2026, 10, 31)).period
    assert october.label == "2026年10月" and october.previous().start == date(2026, 9, 1)
    assert not Request(date(2026, 10, 1), date(2026, 11, 30)).is_month
    with pytest.raises(ValueError, match="ISO week"):
        Request.week("2026-47")

"""The 周报 page's button (issue 16, point 10): an admin makes last week's county report from
the page — in a process of its own, with login on — and sees 正在生成… then the archive
refreshed; a county or town user cannot trigger it, over real HTTP; the request is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import login_context, login_session
from tests.e2e.test_security import callback

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WEEK = "2026-W46"  # the last complete week before the demo's 数据截至 (Friday 2026-11-20)


@pytest.fixture
def demo_audit(demo_env, monkeypatch):
    """The audit log of the served demo, read from this process."""
    for key in ("PULSE_DATA_DIR", "PULSE_CONFIG"):
        monkeypatch.setenv(key, demo_env[key])
    monkeypatch.delenv("PULSE_STORE", raising=False)
    monkeypatch.delenv("PULSE_SNAPSHOT_DIR", raising=False)
    from dashboard.auth import appdb, audit

    yield audit
    appdb.close_all()


def test_county_and_town_users_cannot_make_a_report(server, demo_env, demo_audit):
    state = Path(demo_env["PULSE_DATA_DIR"]) / "snapshots" / ".job.json"
    before = state.read_text(encoding="utf-8") if state.exists() else None
    for name in ("county", "town"):
        session = login_session(server, name)
        answer = callback(session, server, "snapshots-started", {"snapshots-produce.n_clicks": 1})
        assert answer.status_code == 403, (name, answer.text[:200])
        assert "请求编号" in answer.json()["message"]
        # their page has no button
        assert "snapshots-produce" not in json.dumps(
            callback(
                session,
                server,
                "_pages_content",
                {"_pages_location.pathname": "/snapshots", "_pages_location.search": ""},
            ).json()
        )
    # the page's follow-up callback gives a town official the archive as their page shows
    # it: their own town's reports only, never the county's (it lists every town's cases)
    town = login_session(server, "town")
    answer = callback(town, server, "snapshots-job", {"snapshots-poll.n_intervals": 1})
    assert answer.status_code == 200
    assert "示范县-2026-W" not in answer.text
    assert (state.read_text(encoding="utf-8") if state.exists() else None) == before
    asked = demo_audit.query(action="snapshot")
    assert not [r for r in asked if r["user_name"] in ("county", "town")]
    denied = [r for r in demo_audit.query(action="denied") if r["user_name"] in ("county", "town")]
    assert {r["user_name"] for r in denied} >= {"county", "town"}


def test_an_admin_makes_last_weeks_report_from_the_page(browser, server, demo_env, demo_audit):
    folder = Path(demo_env["PULSE_DATA_DIR"]) / "snapshots"
    context = login_context(browser, server, "admin")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server + "/snapshots")
        button = page.locator("#snapshots-produce")
        button.wait_for()
        assert button.inner_text() == "生成上周周报"
        button.click()
        status = page.locator("#snapshots-job")
        page.wait_for_function(
            "() => /正在(启动|生成)/.test(document.querySelector('#snapshots-job').innerText)",
            timeout=30_000,
        )
        assert button.is_disabled()  # one report at a time
        page.wait_for_function(
            "() => /已生成|生成失败/.test(document.querySelector('#snapshots-job').innerText)",
            timeout=400_000,
            polling=1000,
        )
        assert "已生成" in status.inner_text(), status.inner_text()
        assert "2026年第46周(11.09–11.15)全县周报" in status.inner_text()
        # the archive on the page refreshed by itself
        row = page.locator(f"#snapshots-table tr[data-file='示范县-{WEEK}.pdf']")
        row.wait_for()
        assert "全县" in row.inner_text()
        assert not button.is_disabled()
    finally:
        context.close()
    assert errors == []
    assert (folder / f"示范县-{WEEK}.pdf").read_bytes()[:5] == b"%PDF-"
    state = json.loads((folder / ".job.json").read_text(encoding="utf-8"))
    assert state["state"] == "done" and state["by"] == "admin" and state["week"] == WEEK
    (asked, *_) = [r for r in demo_audit.query(action="snapshot") if r["user_name"] == "admin"]
    assert json.loads(asked["detail"]) == {"started": True, "week": WEEK}
    assert asked["role"] == "admin" and asked["request_id"]

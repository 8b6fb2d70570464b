"""Early warnings (`pulse notify`): the counts equal `pulse metrics` for the same as_of, the
messages list the rows behind the figures, nothing is sent twice for the same record and
state, failed deliveries are retried (within a run, with backoff, and by the next run), and
delivery works against a webhook receiver and an SMTP server started here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as email_policy
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.manage.conftest import AS_OF, OTHER, TOWN, config
from tests.manage.receivers import Smtp, Webhook

pytestmark = pytest.mark.slow

TOPICS = ("warning_open", "overdue_open", "hotline_overdue_open")
HEADING = re.compile(
    r"\*\*(超时预警|超期未办结|12345超期未办结)\*\* (\S+) · (.+?):新增 (\d+) 件\(当前共 (\d+) 件\)"
    r" \[查看明细\]\((\S+?)\)"
)


@pytest.fixture
def webhook():
    receiver = Webhook()
    yield receiver
    receiver.close()


def _run(demo, as_of=AS_OF, **kw):
    from dashboard.manage import warnings

    waits: list[float] = []
    plans = warnings.run(demo.store(), as_of, sleep=waits.append, **kw)
    return plans, waits


def test_dry_run_counts_equal_pulse_metrics_for_the_same_as_of(clean):
    from dashboard.manage import warnings

    warnings.subscribe("全县", "email", "office@county.example", county_wide=True)
    warnings.subscribe("城关值班", "wecom", "http://127.0.0.1:9/robot", user="town")
    warnings.subscribe("两镇", "dingtalk", "http://127.0.0.1:9/dd", towns=[TOWN, OTHER])
    as_of = f"{AS_OF:%Y-%m-%d %H:%M:%S}"
    done = clean.pulse("notify", "--dry-run", "--format", "json", "--as-of", as_of)
    assert done.returncode == 0, done.stderr
    plans = json.loads(done.stdout)
    assert [p["name"] for p in plans] == ["全县", "城关值班", "两镇"]
    (period,) = {(p["from"], p["to"]) for p in plans}
    figures = clean.pulse(
        "metrics", "--from", period[0], "--to", period[1], "--as-of", as_of, "--format", "json"
    )
    assert figures.returncode == 0, figures.stderr
    by_town = {r["town_code"]: r for r in json.loads(figures.stdout)}
    assert plans[0]["towns"] == sorted(by_town)  # county-wide: every town
    assert plans[1]["towns"] == [TOWN]  # a town account: its towns
    assert plans[2]["towns"] == sorted([TOWN, OTHER])
    for p in plans:
        for indicator in TOPICS:
            expected = sum(by_town[t][indicator] for t in p["towns"])
            assert p["counts"][indicator] == expected, (p["name"], indicator)
            assert p["new"][indicator] == expected  # nothing sent before
        assert p["messages"], p["name"]
    county = plans[0]["counts"]
    assert county["warning_open"] > 0 and county["overdue_open"] > 0  # the test means something
    # threshold alerts: the same figures as metrics for the current month
    month = clean.pulse(
        "metrics",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--as-of",
        as_of,
        "--format",
        "json",
    )
    figures = {r["town_code"]: r for r in json.loads(month.stdout)}
    assert plans[0]["thresholds"]
    for alert in plans[0]["thresholds"]:
        assert alert["value"] == figures[alert["town_code"]][alert["indicator"]]
        assert alert["state"] == "below:2026-11-01"
    # a dry run logs nothing
    assert warnings.log_rows() == []


def test_messages_list_the_rows_behind_the_figures_and_two_runs_send_nothing_twice(clean, webhook):
    from dashboard.domain.trace import count_behind, rows_behind
    from dashboard.manage import warnings

    warnings.subscribe(
        "全县值班群", "wecom", webhook.url + "/cgi-bin/webhook/send?key=k1", county_wide=True
    )
    (plan,), waits = _run(clean)
    assert waits == [] and plan.outcomes and all(o.ok for o in plan.outcomes)
    assert len(webhook.posts) == len(plan.messages) >= 1
    listed: dict[str, set[str]] = {t: set() for t in TOPICS}
    store = clean.store()
    start, end = plan.start, plan.end
    for path, query, body in webhook.posts:
        assert path == "/cgi-bin/webhook/send" and query == {"key": ["k1"]}
        assert body["msgtype"] == "markdown"
        content = body["markdown"]["content"]
        assert len(content.encode("utf-8")) <= 4096
        for _label, _town, dept, new, total, link in HEADING.findall(content):
            args = parse_qs(urlsplit(link).query)
            indicator = args["indicator"][0]
            assert (args["from"][0], args["to"][0]) == (str(start), str(end))
            assert args["dept"][0] == dept
            n, _ = count_behind(
                store, indicator, start, end, town=args["town"][0], dept=dept, as_of=AS_OF
            )
            assert int(total) == n == int(new)  # a fresh log: every current record is new
        for case_id in re.findall(r"^> (\S+) .* 办理期限 ", content, flags=re.MULTILINE):
            listed["warning_open"].add(case_id)
    every = set()
    for indicator in ("warning_open", "overdue_open"):
        every |= set(rows_behind(store, indicator, start, end, as_of=AS_OF)["case_id"].to_list())
    assert listed["warning_open"] and listed["warning_open"] <= every
    sent = {(r["kind"], r["record_id"], r["state"]) for r in warnings.log_rows(status="sent")}
    assert sent == {e.key for e in plan.new}
    assert len(sent) == sum(plan.counts.values()) + plan.new_counts()["threshold"]
    # the second run: nothing new, nothing sent
    (again,), _ = _run(clean)
    assert again.new == [] and again.messages == [] and len(webhook.posts) == len(plan.messages)


def test_a_failed_delivery_is_retried_with_backoff_and_by_the_next_run(
    clean, tmp_path, monkeypatch
):
    from dashboard.manage import warnings

    config(tmp_path, monkeypatch, "[notify]\nretries = 3\nretry_backoff_seconds = 0.5\n")
    flaky = Webhook(fail_first=2)
    try:
        warnings.subscribe("城关", "wecom", flaky.url + "/send", towns=[TOWN], kinds=["warning"])
        (plan,), waits = _run(clean)
        assert waits == [0.5, 1.0]  # backoff doubles
        assert [(o.ok, o.attempts) for o in plan.outcomes] == [(True, 3)]
        assert len(flaky.posts) == 1
    finally:
        flaky.close()
    down = Webhook(fail_first=10**6, mode="errcode")
    try:
        warnings.subscribe("全县", "wecom", down.url + "/send", county_wide=True, kinds=["overdue"])
        recipient = f"wecom:{down.url}/send"
        (_, plan), waits = _run(clean)
        assert plan.new and [(o.ok, o.attempts) for o in plan.outcomes] == [(False, 3)]
        assert "errcode 310000" in plan.outcomes[0].error
        pending = warnings.log_rows(recipient=recipient)
        assert pending and {r["status"] for r in pending} == {"pending"}
        assert {r["attempts"] for r in pending} == {3}
        assert {r["last_error"] for r in pending} == {"errcode 310000: keywords not in content"}
        down.fail_first = 0  # the robot answers again: the next run delivers what is pending
        (_, plan), _ = _run(clean)
        assert [o.ok for o in plan.outcomes] == [True] and len(down.posts) == 1
        rows = warnings.log_rows(recipient=recipient)
        assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {4}
        assert {r["record_id"] for r in rows} == {r["record_id"] for r in pending}
        (_, plan), _ = _run(clean)
        assert plan.messages == [] and len(down.posts) == 1
    finally:
        down.close()


def test_email_through_the_snapshot_smtp_settings_with_a_retry(clean, tmp_path, monkeypatch):
    from dashboard.manage import warnings

    smtp = Smtp(fail_first=1)
    try:
        config(
            tmp_path,
            monkeypatch,
            f'[snapshot]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\n'
            'smtp_security = "none"\nsender = "pulse@county.example"\n'
            "[notify]\nretries = 2\nretry_backoff_seconds = 0.25\n",
        )
        warnings.subscribe("城关", "email", "chengguan@county.example", towns=[TOWN])
        (plan,), waits = _run(clean)
        assert waits == [0.25] and smtp.connections == 2
        ((sender, rcpts, raw),) = smtp.messages
        assert sender == "pulse@county.example" and rcpts == ["chengguan@county.example"]
        msg = message_from_bytes(raw, policy=email_policy)
        assert msg["Subject"] == plan.messages[0].title and "政务服务提醒" in msg["Subject"]
        body = msg.get_content()
        assert f"当前超时预警 {plan.counts['warning_open']} 件" in body
        for e in plan.new:
            if e.kind == "case":
                assert e.record_id in body
        assert "/rows?period=custom" in body
        (plan,), _ = _run(clean)
        assert plan.messages == [] and smtp.connections == 2
    finally:
        smtp.close()


def test_dingtalk_markdown_is_signed_when_the_robot_has_a_secret(clean, webhook):
    from dashboard.manage import warnings

    warnings.subscribe(
        "钉钉", "dingtalk", webhook.url + "/robot/send?access_token=t", towns=[TOWN], secret="SEC1"
    )
    (plan,), _ = _run(clean)
    ((path, query, body),) = webhook.posts
    assert path == "/robot/send" and query["access_token"] == ["t"]
    stamp, sign = query["timestamp"][0], query["sign"][0]
    digest = hmac.new(b"SEC1", f"{stamp}\nSEC1".encode(), hashlib.sha256).digest()
    assert sign == base64.b64encode(digest).decode()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == plan.messages[0].title
    assert body["markdown"]["text"].startswith("### 【政务服务提醒】")
    assert "\n\n" in body["markdown"]["text"]


def test_a_record_is_announced_again_only_when_its_state_changes(clean, webhook):
    from dashboard.domain.trace import rows_behind
    from dashboard.manage import warnings

    warnings.subscribe(
        "全县", "wecom", webhook.url + "/s", county_wide=True, kinds=["warning", "overdue"]
    )
    (plan,), _ = _run(clean)
    warned = [e for e in plan.new if e.topic == "warning"]
    case = warned[0]
    later = case.fields["deadline_at"] + timedelta(hours=1)
    start, end = warnings.watched_period(later)
    overdue = rows_behind(clean.store(), "overdue_open", start, end, as_of=later)
    assert case.record_id in overdue["case_id"].to_list()
    (plan,), _ = _run(clean, as_of=later)
    again = {(e.record_id, e.state) for e in plan.new}
    assert (case.record_id, "overdue") in again
    assert (case.record_id, "warning") not in again
    (plan,), _ = _run(clean, as_of=later)
    assert plan.new == []


def test_threshold_alerts_once_per_period(clean, webhook):
    from dashboard.manage import warnings

    warnings.subscribe("全县", "wecom", webhook.url + "/s", county_wide=True, kinds=["threshold"])
    (plan,), _ = _run(clean)
    november = [e for e in plan.new if e.topic == "threshold"]
    assert november and {e.state for e in november} == {"below:2026-11-01"}
    assert all(e.fields["indicator"] in ("on_time_rate", "satisfaction_rate", "evaluation_rate",
               "hotline_on_time_rate") for e in november)  # fmt: skip
    (plan,), _ = _run(clean, as_of=AS_OF + timedelta(days=1))
    assert plan.new == []  # the same period: said once
    (plan,), _ = _run(clean, as_of=datetime(2026, 10, 20, 9, 0))
    assert plan.new and {e.state for e in plan.new} == {"below:2026-10-01"}


def test_long_warnings_are_split_within_the_robots_limit(clean, webhook, tmp_path, monkeypatch):
    from dashboard.manage import warnings

    config(tmp_path, monkeypatch, "[notify]\nwecom_max_bytes = 1500\nmax_parts = 2\n")
    warnings.subscribe("全县", "wecom", webhook.url + "/s", county_wide=True)
    (plan,), _ = _run(clean)
    assert len(plan.messages) == 2 == len(webhook.posts)
    for _, _, body in webhook.posts:
        assert len(body["markdown"]["content"].encode("utf-8")) <= 1500
    assert "(1/2)" in plan.messages[0].title and "(2/2)" in plan.messages[1].title
    assert "……另有新增" in plan.messages[1].text  # the rest counted, with links
    covered = [k for m in plan.messages for k in m.keys]
    assert sorted(covered) == sorted(e.key for e in plan.new)  # each record exactly once
    assert {r["status"] for r in warnings.log_rows()} == {"sent"}


def test_subscribers_get_nothing_without_towns(clean):
    from dashboard.auth import accounts
    from dashboard.manage import warnings

    with pytest.raises(ValueError, match="须指定乡镇"):
        warnings.subscribe("无", "email", "x@county.example")
    with pytest.raises(ValueError, match="不是乡镇用户"):
        warnings.subscribe("县", "email", "x@county.example", user="county")
    with pytest.raises(ValueError):
        warnings.subscribe("坏", "wecom", "file:///etc/passwd", county_wide=True)
    sid = warnings.subscribe("城关", "email", "x@county.example", user="town")
    (sub,) = warnings.subscriptions(ids=[sid])
    every = clean.store().every_town()
    assert warnings.subscriber_towns(sub, every) == (TOWN,)
    accounts.set_disabled("town", True)
    try:
        assert warnings.subscriber_towns(sub, every) == ()
        (plan,), _ = _run(clean, dry_run=True)
        assert plan.towns == () and plan.counts == dict.fromkeys(TOPICS, 0) and plan.messages == []
    finally:
        accounts.set_disabled("town", False)


def test_the_daily_run_is_at_0800_shanghai(clean):
    from zoneinfo import ZoneInfo

    from dashboard.snapshot.schedule import next_runs
    from etl import settings

    shanghai = ZoneInfo("Asia/Shanghai")
    first, second = next_runs(
        settings.get("notify.cron"),
        settings.get("notify.timezone"),
        n=2,
        after=datetime(2026, 11, 18, 12, 0, tzinfo=shanghai),
    )
    assert first == datetime(2026, 11, 19, 8, 0, tzinfo=shanghai)
    assert second == datetime(2026, 11, 20, 8, 0, tzinfo=shanghai)

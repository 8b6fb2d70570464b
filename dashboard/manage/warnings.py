"""Early warnings (超时预警机制: "对即将超时的业务进行提醒") and threshold alerts.

`pulse notify` (daily from `pulse schedule`, notify.cron) sends every subscriber, within
their towns:

- the cases that are now 超时预警 (warning_open) and those newly 超期未办结 (overdue_open),
  grouped by department, with links to the rows (明细);
- the 12345 tickets newly 超期未办结 (hotline_overdue_open), likewise;
- threshold alerts: a town's figure (notify.threshold_indicators) that misses its target
  (targets.*) in the current period (notify.threshold_period), once per period.

Which records these are is decided by the figures' own definitions: dashboard.trace.rows_behind
for the period [数据截至 − notify.lookback_days, 数据截至] with the subscriber's towns as the
scope, and metrics() for the thresholds. Nothing here judges lateness itself, so a warning
always equals `pulse metrics` for the same as_of.

Subscribers (table notify_subscriptions, `pulse notify subscribe/unsubscribe/list`) name a
channel (email | wecom | dingtalk), an address or webhook URL, and their towns: a town
account's towns, explicit town codes, or — only when said so — the whole county. A
subscription without towns gets nothing.

The sent-log (notify_log) has one row per (recipient, record, state). A record is announced
to a recipient once per state: a case that was 预警 is announced again when it becomes 超期,
never twice as either. A failed delivery leaves its rows pending; the next run sends them
again (while the record is still in that state; otherwise they expire).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from dashboard.auth import appdb
from dashboard.manage import channels
from dashboard.manage.channels import Message, Outcome
from dashboard.store import Scope, Store
from etl import settings

# topic → (indicator, log kind, log state, label)
TOPICS: dict[str, tuple[str, str, str, str]] = {
    "warning": ("warning_open", "case", "warning", "超时预警"),
    "overdue": ("overdue_open", "case", "overdue", "超期未办结"),
    "hotline": ("hotline_overdue_open", "ticket", "hotline_overdue", "12345超期未办结"),
}
THRESHOLD = "threshold"
KINDS: dict[str, str] = {**{k: v[3] for k, v in TOPICS.items()}, THRESHOLD: "未达目标"}
EXPIRE_DAYS = 400  # sent-log rows older than this (and settled) are dropped


# --- subscriptions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    id: int
    name: str
    channel: str
    target: str
    secret: str | None
    user_name: str | None
    towns: tuple[str, ...]
    county_wide: bool
    kinds: tuple[str, ...]
    enabled: bool
    created_at: str
    created_by: str | None

    @property
    def recipient(self) -> str:
        return f"{self.channel}:{self.target}"

    def describe_towns(self) -> str:
        parts = []
        if self.county_wide:
            parts.append("全县")
        if self.user_name:
            parts.append(f"账号 {self.user_name} 的乡镇")
        if self.towns:
            parts.append(",".join(self.towns))
        return ";".join(parts) or "无(不发送)"


def _subscription(row) -> Subscription:
    r = dict(row)
    return Subscription(
        id=r["id"],
        name=r["name"],
        channel=r["channel"],
        target=r["target"],
        secret=r["secret"],
        user_name=r["user_name"],
        towns=tuple(json.loads(r["towns"] or "[]")),
        county_wide=bool(r["county_wide"]),
        kinds=tuple(json.loads(r["kinds"] or "[]")) or tuple(KINDS),
        enabled=bool(r["enabled"]),
        created_at=r["created_at"],
        created_by=r["created_by"],
    )


def subscribe(
    name: str,
    channel: str,
    target: str,
    *,
    user: str | None = None,
    towns: Iterable[str] = (),
    county_wide: bool = False,
    kinds: Iterable[str] | None = None,
    secret: str | None = None,
    created_by: str | None = None,
) -> int:
    """Add a subscriber; returns its id. `user` must be an account (a town account lends its
    towns); towns must be given, or county_wide, or a town account — otherwise it is refused
    (it would get nothing)."""
    from dashboard.auth import accounts

    target = channels.check_target(channel, target)
    chosen = tuple(kinds) if kinds else tuple(KINDS)
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise ValueError(f"未知的提醒类型 {', '.join(unknown)}(可选 {', '.join(KINDS)})")
    towns = tuple(sorted(set(towns)))
    if user is not None:
        account = accounts.get(user)
        if account is None:
            raise ValueError(f"没有账号 {user}")
        if account.role != "town" and not (towns or county_wide):
            raise ValueError(f"账号 {user} 不是乡镇用户:请用 --town 指定乡镇,或用 --county")
    if not (towns or county_wide or user):
        raise ValueError("订阅须指定乡镇(--town)、乡镇用户(--user)或全县(--county)")
    if secret and channel != "dingtalk":
        raise ValueError("加签密钥只用于钉钉机器人")
    with appdb.transaction() as con:
        cur = con.execute(
            "insert into notify_subscriptions (name, channel, target, secret, user_name, towns, "
            "county_wide, kinds, enabled, created_at, created_by) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (
                name.strip() or target,
                channel,
                target,
                secret or None,
                user,
                json.dumps(list(towns)),
                int(bool(county_wide)),
                json.dumps(list(chosen)),
                appdb.now(),
                created_by,
            ),
        )
        return int(cur.lastrowid)


def unsubscribe(subscription_id: int) -> bool:
    with appdb.transaction() as con:
        return (
            con.execute(
                "delete from notify_subscriptions where id = ?", (int(subscription_id),)
            ).rowcount
            > 0
        )


def subscriptions(
    enabled_only: bool = False, ids: Iterable[int] | None = None
) -> list[Subscription]:
    sql = "select * from notify_subscriptions"
    where, params = [], []
    if enabled_only:
        where.append("enabled = 1")
    if ids is not None:
        where.append("id in (select value from json_each(?))")
        params.append(json.dumps([int(i) for i in ids]))
    if where:
        sql += " where " + " and ".join(where)
    rows = appdb.connect().execute(sql + " order by id", params).fetchall()
    return [_subscription(r) for r in rows]


def subscriber_towns(sub: Subscription, every_town: Iterable[str]) -> tuple[str, ...]:
    """The towns a subscriber hears about, decided when sending: the explicit codes, a town
    account's towns (a disabled account: none), every town when county-wide. Default deny."""
    from dashboard.auth import accounts

    every = set(every_town)
    towns = set(sub.towns)
    if sub.county_wide:
        towns |= every
    if sub.user_name:
        account = accounts.get(sub.user_name)
        if account is None or account.disabled:
            return ()
        if account.role == "town":
            towns |= set(account.towns)
    return tuple(sorted(towns & every))


# --- what would be sent -------------------------------------------------------------------------


@dataclass
class Entry:
    topic: str  # warning | overdue | hotline | threshold
    kind: str  # case | ticket | threshold (the log's)
    record_id: str
    state: str
    town_code: str
    dept_name: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.record_id, self.state)


@dataclass
class Plan:
    subscription: Subscription
    towns: tuple[str, ...]
    start: date
    end: date
    as_of: datetime
    counts: dict[str, int]  # indicator → rows behind it now, within the towns (= metrics)
    current: list[Entry]
    new: list[Entry]  # not yet delivered to this recipient
    messages: list[Message] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def new_counts(self) -> dict[str, int]:
        out = {TOPICS[t][0]: 0 for t in TOPICS}
        out[THRESHOLD] = 0
        for e in self.new:
            out[TOPICS[e.topic][0] if e.topic in TOPICS else THRESHOLD] += 1
        return out

    def as_json(self) -> dict[str, Any]:
        s = self.subscription
        return {
            "subscription": s.id,
            "name": s.name,
            "channel": s.channel,
            "recipient": s.recipient,
            "towns": list(self.towns),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "as_of": self.as_of.isoformat(sep=" "),
            "counts": self.counts,
            "new": self.new_counts(),
            "thresholds": [
                {**e.fields, "town_code": e.town_code, "state": e.state}
                for e in self.current
                if e.topic == THRESHOLD
            ],
            "messages": [
                {"title": m.title, "text": m.text, "records": len(m.keys)} for m in self.messages
            ],
            "delivered": [
                {"ok": o.ok, "attempts": o.attempts, "error": o.error} for o in self.outcomes
            ],
        }


def watched_period(as_of: datetime) -> tuple[date, date]:
    """The period whose open records are watched: notify.lookback_days up to 数据截至."""
    end = as_of.date()
    return end - timedelta(days=int(settings.get("notify.lookback_days"))), end


def base_url() -> str:
    configured = str(settings.get("notify.base_url") or "").rstrip("/")
    if configured:
        return configured
    return f"http://{settings.get('serve.host')}:{settings.get('serve.port')}"


def rows_link(indicator: str, start: date, end: date, town: str | None, dept: str | None) -> str:
    """The absolute 明细 URL of a figure (dashboard.drill.rows_href)."""
    from dashboard.drill import rows_href
    from dashboard.filters import Filters

    f = Filters(period="custom", date_from=start, date_to=end)
    return base_url() + rows_href(f, indicator, town, dept)


def current_entries(
    store: Store,
    sub: Subscription,
    towns: tuple[str, ...],
    as_of: datetime,
) -> tuple[list[Entry], dict[str, int]]:
    """Every record the subscriber should know of now, and the figures they make up."""
    from dashboard.domain.trace import rows_behind

    start, end = watched_period(as_of)
    scope = Scope(towns)
    entries: list[Entry] = []
    counts: dict[str, int] = {}
    for topic, (indicator, kind, state, _) in TOPICS.items():
        rows = rows_behind(store, indicator, start, end, as_of=as_of, scope=scope)
        counts[indicator] = rows.height
        if topic not in sub.kinds:
            continue
        id_column = "ticket_id" if kind == "ticket" else "case_id"
        for r in rows.iter_rows(named=True):
            entries.append(
                Entry(
                    topic,
                    kind,
                    r[id_column],
                    state,
                    r["town_code"],
                    r["dept_name"],
                    {
                        k: r.get(k)
                        for k in ("item_name", "deadline_at", "topic", "request_type", "due_at")
                        if k in r
                    },
                )
            )
    if THRESHOLD in sub.kinds and towns:
        entries += threshold_entries(store, towns, as_of)
    return entries, counts


def threshold_entries(store: Store, towns: tuple[str, ...], as_of: datetime) -> list[Entry]:
    """Towns whose figure misses its target in the current period (metrics() by town, the
    colouring of every page: components.format.status)."""
    from dashboard.components.format import fmt, status, target
    from dashboard.domain import indicators, periods
    from dashboard.domain.metrics import metrics

    period = periods.named(str(settings.get("notify.threshold_period")), as_of.date())
    chosen = [str(i) for i in settings.get("notify.threshold_indicators")]
    unknown = [i for i in chosen if i not in indicators.BY_KEY]
    if unknown:
        raise ValueError(f"notify.threshold_indicators: unknown {', '.join(unknown)}")
    frame = metrics(
        store, period.start, period.end, as_of, by="town", scope=Scope(towns), flags=False
    )
    out = []
    for r in frame.iter_rows(named=True):
        for ind in chosen:
            value = r.get(ind)
            if status(ind, value) not in ("red", "amber"):
                continue
            goal = 0 if indicators.BY_KEY[ind].better == "lower" else target(ind)
            out.append(
                Entry(
                    THRESHOLD,
                    THRESHOLD,
                    f"{r['town_code']}:{ind}",
                    f"below:{period.start.isoformat()}",
                    r["town_code"],
                    "",
                    {
                        "town_name": r["town_name"],
                        "indicator": ind,
                        "label": indicators.label(ind),
                        "value": value,
                        "value_text": fmt(ind, value),
                        "target_text": fmt(ind, goal),
                        "period": period.label,
                        "from": period.start.isoformat(),
                        "to": period.end.isoformat(),
                    },
                )
            )
    return out


def _delivered(recipient: str, entries: list[Entry]) -> set[tuple[str, str, str]]:
    """Keys of `entries` already delivered to the recipient."""
    if not entries:
        return set()
    ids = sorted({e.record_id for e in entries})
    rows = (
        appdb.connect()
        .execute(
            "select kind, record_id, state from notify_log where recipient = ? and status = "
            "'sent' and record_id in (select value from json_each(?))",
            (recipient, json.dumps(ids)),
        )
        .fetchall()
    )
    return {(r["kind"], r["record_id"], r["state"]) for r in rows}


def plan(
    store: Store, sub: Subscription, as_of: datetime, every_town: Iterable[str], names: dict
) -> Plan:
    """What one subscriber would be sent now."""
    towns = subscriber_towns(sub, every_town)
    start, end = watched_period(as_of)
    current, counts = current_entries(store, sub, towns, as_of)
    sent = _delivered(sub.recipient, current)
    new = [e for e in current if e.key not in sent]
    result = Plan(sub, towns, start, end, as_of, counts, current, new)
    result.messages = compose(result, names)
    return result


# --- the messages ------------------------------------------------------------------------------


@dataclass
class Block:
    """One department's new records of one kind (or the threshold alerts)."""

    topic: str
    label: str  # 超时预警 …
    heading: str  # where, and how many
    link: str | None
    lines: list[str]
    entries: list[Entry]


def _deadline(value: Any) -> str:
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second) == (23, 59, 59):
            return f"{value:%Y-%m-%d}"
        return f"{value:%Y-%m-%d %H:%M}"
    return "" if value is None else str(value)


def blocks(p: Plan, names: dict[str, str]) -> list[Block]:
    most = max(1, int(settings.get("notify.max_rows_per_dept")))
    out: list[Block] = []
    for topic, (indicator, _kind, _state, label) in TOPICS.items():
        groups: dict[tuple[str, str], list[Entry]] = {}
        for e in p.new:
            if e.topic == topic:
                groups.setdefault((e.town_code, e.dept_name), []).append(e)
        totals: dict[tuple[str, str], int] = {}
        for e in p.current:
            if e.topic == topic:
                totals[(e.town_code, e.dept_name)] = totals.get((e.town_code, e.dept_name), 0) + 1
        for (town, dept), found in sorted(groups.items()):
            where = f"{names.get(town, town)} · {dept}"
            heading = f"{where}:新增 {len(found)} 件(当前共 {totals[(town, dept)]} 件)"
            lines = []
            for e in found[:most]:
                if e.kind == "ticket":
                    what = e.fields.get("topic") or e.fields.get("request_type") or ""
                    lines.append(
                        f"{e.record_id} {what} 办理时限 {_deadline(e.fields.get('due_at'))}"
                    )
                else:
                    lines.append(
                        f"{e.record_id} {e.fields.get('item_name') or ''} "
                        f"办理期限 {_deadline(e.fields.get('deadline_at'))}"
                    )
            if len(found) > most:
                lines.append(f"……等 {len(found)} 件,见明细")
            link = rows_link(indicator, p.start, p.end, town, dept)
            out.append(Block(topic, label, heading, link, lines, found))
    alerts = [e for e in p.new if e.topic == THRESHOLD]
    if alerts:
        lines = [
            f"{names.get(e.town_code, e.town_code)} {e.fields['label']} {e.fields['value_text']},"
            f"目标 {e.fields['target_text']}({e.fields['period']})"
            for e in alerts
        ]
        out.append(Block(THRESHOLD, "未达目标", f"{len(alerts)} 项", None, lines, alerts))
    return out


def _title(p: Plan) -> str:
    county = settings.get("county.name")
    n = p.new_counts()
    parts = [
        f"{label} {n[TOPICS[t][0]]} 件" for t, (_, _, _, label) in TOPICS.items() if n[TOPICS[t][0]]
    ]
    if n[THRESHOLD]:
        parts.append(f"未达目标 {n[THRESHOLD]} 项")
    return f"【政务服务提醒】{county} {p.as_of:%m-%d}:新增" + "、".join(parts)


def _intro(p: Plan) -> str:
    return (
        f"数据截至 {p.as_of:%Y-%m-%d %H:%M};统计 {p.start} 至 {p.end} 受理的办件和工单。"
        f"当前超时预警 {p.counts['warning_open']} 件、超期未办结 {p.counts['overdue_open']} 件、"
        f"12345超期未办结 {p.counts['hotline_overdue_open']} 件。"
    )


def compose(p: Plan, names: dict[str, str]) -> list[Message]:
    """The messages of a plan for its channel; every new entry is covered by exactly one."""
    if not p.new:
        return []
    channel = p.subscription.channel
    title = _title(p)
    if channel == "email":
        return [_email_text(p, title, names)]
    return _robot_parts(p, title, names, channel)


def _email_text(p: Plan, title: str, names: dict[str, str]) -> Message:
    out = [title, "", _intro(p), ""]
    for b in blocks(p, names):
        out.append(f"【{b.label}】{b.heading}")
        out += [f"  {line}" for line in b.lines]
        if b.link:
            out.append(f"  明细:{b.link}")
        out.append("")
    out.append("本邮件由政务服务效能看板自动发送,请勿直接回复。同一办件同一状态只提醒一次。")
    return Message(title, "\n".join(out), [e.key for e in p.new])


def _markdown(b: Block, sep: str) -> str:
    head = f"**{b.label}** {b.heading}"
    if b.link:
        head += f" [查看明细]({b.link})"
    lines = [head, *(f"> {line}" for line in b.lines)]
    return sep.join(lines)


def _robot_parts(p: Plan, title: str, names: dict[str, str], channel: str) -> list[Message]:
    """Markdown for a group robot, split into messages of at most the channel's byte limit
    (企业微信 4096). Beyond notify.max_parts, the last message counts what is left and links
    to it."""
    sep = "\n\n" if channel == "dingtalk" else "\n"
    limit = channels.byte_limit(channel) or 4096
    most_parts = max(1, int(settings.get("notify.max_parts")))
    head = f"### {title}(99/99){sep}{_intro(p)}"

    def size(*texts: str) -> int:
        return len(sep.join([head, *texts]).encode("utf-8"))

    room = limit - size() - len(sep.encode())
    pieces = [(_fit(_markdown(b, sep), room, sep), b.entries) for b in blocks(p, names)]
    parts: list[list[tuple[str, list[Entry]]]] = []
    for text, entries in pieces:
        if parts and size(*(t for t, _ in parts[-1]), text) <= limit:
            parts[-1].append((text, entries))
        else:
            parts.append([(text, entries)])
    if len(parts) > most_parts:
        kept, last = parts[: most_parts - 1], parts[most_parts - 1]
        left = [e for part in parts[most_parts:] for _, entries in part for e in entries]
        while True:
            tail = _tail(p, left)
            if size(*(t for t, _ in last), tail) <= limit or not last:
                break
            _, entries = last.pop()
            left = entries + left
        parts = [*kept, [*last, (tail, left)]]
    out = []
    for i, part in enumerate(parts, 1):
        numbered = f"{title}({i}/{len(parts)})" if len(parts) > 1 else title
        text = sep.join([f"### {numbered}{sep}{_intro(p)}", *(t for t, _ in part)])
        out.append(Message(numbered, text, [e.key for _, entries in part for e in entries]))
    return out


def _tail(p: Plan, left: list[Entry]) -> str:
    """The line that stands for the records no message lists: counts and links."""
    parts = []
    for topic, (indicator, _, _, label) in TOPICS.items():
        n = sum(1 for e in left if e.topic == topic)
        if n:
            parts.append(
                f"{label} {n} 件 [明细]({rows_link(indicator, p.start, p.end, None, None)})"
            )
    n = sum(1 for e in left if e.topic == THRESHOLD)
    if n:
        parts.append(f"未达目标 {n} 项")
    return "……另有新增" + "、".join(parts) + ",请在看板查看。"


def _fit(text: str, limit: int, sep: str) -> str:
    """Cut one block to `limit` bytes at a line end (its heading and link stay)."""
    lines = text.split(sep)
    while len(lines) > 1 and len(sep.join(lines).encode("utf-8")) > limit:
        lines.pop()
    return sep.join(lines)


# --- sending ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _one_run_at_a_time() -> Iterator[None]:
    """Two runs at once would both see a record as new: they queue on a file lock."""
    path = appdb.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".notify.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _log_pending(recipient: str, entries: list[Entry]) -> None:
    now = appdb.now()
    with appdb.transaction() as con:
        con.executemany(
            "insert into notify_log (recipient, kind, record_id, state, town_code, status, "
            "first_at) values (?, ?, ?, ?, ?, 'pending', ?) "
            "on conflict (recipient, kind, record_id, state) do nothing",
            [(recipient, e.kind, e.record_id, e.state, e.town_code, now) for e in entries],
        )


def _log_outcome(recipient: str, keys: list[tuple[str, str, str]], outcome: Outcome) -> None:
    now = appdb.now()
    with appdb.transaction() as con:
        con.executemany(
            "update notify_log set attempts = attempts + ?, last_attempt_at = ?, last_error = ?, "
            "status = case when ? then 'sent' else status end, "
            "sent_at = case when ? then ? else sent_at end "
            "where recipient = ? and kind = ? and record_id = ? and state = ? "
            "and status <> 'sent'",
            [
                (
                    outcome.attempts,
                    now,
                    None if outcome.ok else outcome.error,
                    int(outcome.ok),
                    int(outcome.ok),
                    now,
                    recipient,
                    *key,
                )
                for key in keys
            ],
        )


def _expire(recipient: str, current: list[Entry]) -> None:
    """Pending rows of records no longer in that state: nothing left to tell."""
    keys = json.dumps(sorted("\x1f".join(e.key) for e in current))
    cutoff = (datetime.now() - timedelta(days=EXPIRE_DAYS)).isoformat(sep=" ")
    with appdb.transaction() as con:
        con.execute(
            "update notify_log set status = 'expired' where recipient = ? and status = 'pending' "
            "and kind || char(31) || record_id || char(31) || state "
            "not in (select value from json_each(?))",
            (recipient, keys),
        )
        con.execute("delete from notify_log where status <> 'pending' and first_at < ?", (cutoff,))


def run(
    store: Store,
    as_of: datetime | None = None,
    dry_run: bool = False,
    ids: Iterable[int] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Plan]:
    """Plan every enabled subscription and, unless dry_run, deliver and log. The store must be
    read as SYSTEM (the CLI, the schedule): each subscriber's towns are the scope."""
    from dashboard.domain.metrics import default_as_of

    as_of = as_of or default_as_of(store)
    every = store.every_town()
    names = dict(store.sql("select town_code, town_name from towns", public=True).iter_rows())
    chosen = subscriptions(enabled_only=ids is None, ids=ids)
    with _one_run_at_a_time():
        plans = [plan(store, s, as_of, every, names) for s in chosen]
        if dry_run:
            return plans
        for p in plans:
            sub = p.subscription
            _expire(sub.recipient, p.current)
            _log_pending(sub.recipient, p.new)
            for message in p.messages:
                outcome = channels.deliver(sub.channel, sub.target, message, sub.secret, sleep)
                p.outcomes.append(outcome)
                _log_outcome(sub.recipient, message.keys, outcome)
    return plans


def log_rows(
    recipient: str | None = None, status: str | None = None, limit: int = 200
) -> list[dict]:
    where, params = ["1"], []
    if recipient:
        where.append("recipient = ?")
        params.append(recipient)
    if status:
        where.append("status = ?")
        params.append(status)
    rows = (
        appdb.connect()
        .execute(
            "select recipient, kind, record_id, state, town_code, status, attempts, last_error, "
            f"first_at, last_attempt_at, sent_at from notify_log where {' and '.join(where)} "
            "order by id desc limit ?",
            [*params, int(limit)],
        )
        .fetchall()
    )
    return [dict(r) for r in rows]


def daily_job() -> list[Plan]:
    """The scheduled run (pulse schedule, notify.cron): every subscription, as SYSTEM."""
    from dashboard.auth.access import SYSTEM, acting_as

    with acting_as(SYSTEM):
        return run(Store(access=SYSTEM))

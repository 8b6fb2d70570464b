"""Producing snapshots: render → archive (atomic) → e-mail, for `pulse snapshot` and for
`pulse schedule`, which runs the weekly job in the foreground on a cron trigger
(APScheduler's BlockingScheduler; default Monday 08:00 Asia/Shanghai; settings snapshot.*).

The weekly job reports the last complete Monday–Sunday week before the 数据截至 date of the
store (see content.default_week), for the county and, with snapshot.towns, for every town.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.snapshot import archive, mail
from dashboard.snapshot.content import Request, default_week
from dashboard.snapshot.render import Renderer, RenderError
from etl import settings

log = logging.getLogger(__name__)


@dataclass
class Produced:
    request: Request
    path: Path
    meta: dict[str, Any]
    seconds: float
    deliveries: list[mail.Delivery]


def produce(
    requests: list[Request],
    url: str | None = None,
    out: Path | None = None,
    send_mail: bool = False,
    timeout: float | None = None,
    on_done: Callable[[Produced], None] | None = None,
) -> list[Produced]:
    """Render each request; archive it (or write it to `out`, for a single request); then,
    with send_mail, e-mail the archived files to their configured recipients.
    Raises RenderError for the first report that cannot be rendered completely."""
    if out is not None and len(requests) != 1:
        raise ValueError("--out takes exactly one report")
    done: list[Produced] = []
    with Renderer(url, timeout=timeout) as renderer:
        for request in requests:
            rendered = renderer.render(request)
            if out is not None:
                archive.write_atomic(out, rendered.pdf)
                path = out
            else:
                path = archive.publish(rendered.pdf, rendered.meta)
            item = Produced(request, path, rendered.meta, rendered.seconds, [])
            log.info("snapshot %s written in %.1f s", path, rendered.seconds)
            done.append(item)
            if on_done:
                on_done(item)
    if send_mail:
        deliver(done)
    return done


def deliver(items: list[Produced], cfg: mail.SmtpConfig | None = None, **kwargs) -> None:
    """E-mail archived files (after archiving: a failed delivery never loses a file)."""
    cfg = cfg or mail.SmtpConfig.from_settings()
    if cfg is None:
        log.info("snapshot e-mail off (snapshot.smtp_host is empty)")
        return
    for item in items:
        to = mail.recipients_for(item.meta)
        if not to:
            continue
        result = mail.send(cfg, item.path, to, item.meta, **kwargs)
        item.deliveries.append(result)
        if item.path.parent == archive.out_dir():
            archive.record_delivery(item.path.name, result.as_json())


def town_codes() -> list[str]:
    from dashboard.auth.access import SYSTEM
    from dashboard.store import Store

    return Store(access=SYSTEM).query("shell__towns")["town_code"].to_list()


def weekly_job(
    towns: bool | None = None, url: str | None = None, send_mail: bool = True
) -> list[Produced]:
    """Last complete week's county PDF (and every town's, with towns), archived and sent."""
    from dashboard.auth.access import SYSTEM
    from dashboard.domain.metrics import default_as_of
    from dashboard.store import Store

    as_of = default_as_of(Store(access=SYSTEM))
    request = default_week(as_of)
    tz = ZoneInfo(str(settings.get("snapshot.timezone")))
    expected = default_week(datetime.now(tz))
    if request != expected:
        log.warning(
            "数据截至 %s: reporting %s, not %s (load the latest exports before the schedule)",
            as_of,
            request.iso_week,
            expected.iso_week,
        )
    with_towns = bool(settings.get("snapshot.towns")) if towns is None else towns
    requests = [request]
    if with_towns:
        requests += [Request(request.start, request.end, code) for code in town_codes()]
    log.info("weekly snapshot %s: %d report(s)", request.iso_week, len(requests))
    return produce(requests, url=url, send_mail=send_mail)


# ------------------------------------------------------------------------ schedule

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_names(field: str) -> str:
    """Crontab weekdays (0 or 7 = Sunday) as names: APScheduler 3 numbers them from Monday."""

    def names(part: str) -> str:
        rng, _, step = part.partition("/")
        rng = re.sub(
            r"\d+", lambda m: _DAY_NAMES[int(m.group())] if int(m.group()) <= 7 else m.group(), rng
        )
        return rng + (f"/{step}" if step else "")

    return ",".join(names(p) for p in field.split(","))


def trigger(cron: str | None = None, timezone: str | None = None):
    """The cron trigger of the weekly job: standard crontab (minute hour day month weekday)."""
    from apscheduler.triggers.cron import CronTrigger

    expr = (cron or str(settings.get("snapshot.cron"))).split()
    if len(expr) != 5:
        raise ValueError(
            f"cron expression needs 5 fields (minute hour day month weekday): {cron!r}"
        )
    minute, hour, day, month, weekday = expr
    tz = ZoneInfo(timezone or str(settings.get("snapshot.timezone")))
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(weekday),
        timezone=tz,
    )


def next_runs(
    cron: str | None = None, timezone: str | None = None, n: int = 3, after: datetime | None = None
) -> list[datetime]:
    trig = trigger(cron, timezone)
    now = after or datetime.now(trig.timezone)
    out: list[datetime] = []
    previous = None
    for _ in range(n):
        fire = trig.get_next_fire_time(previous, now)
        if fire is None:
            break
        out.append(fire)
        previous, now = fire, fire
    return out


def run_forever(
    cron: str | None = None,
    timezone: str | None = None,
    towns: bool | None = None,
    url: str | None = None,
    run_now: bool = False,
) -> None:
    """Block, producing the weekly snapshots on every trigger (Ctrl-C or SIGTERM stops)."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.schedulers.blocking import BlockingScheduler

    trig = trigger(cron, timezone)
    scheduler = BlockingScheduler(timezone=trig.timezone)
    job = scheduler.add_job(
        weekly_job,
        trig,
        kwargs={"towns": towns, "url": url},
        id="weekly-snapshot",
        name="weekly PDF snapshot",
        max_instances=1,
        coalesce=True,  # after downtime: one run, not one per missed week
        misfire_grace_time=12 * 3600,  # a machine started late on Monday still sends it
    )

    def listen(event) -> None:
        if event.exception:
            log.error("weekly snapshot failed: %s", event.exception)
        else:
            log.info("weekly snapshot done; next run %s", job.next_run_time)

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    add_daily_warnings(scheduler)  # issue 17: early warnings, notify.cron (every day 08:00)
    if run_now:
        try:
            weekly_job(towns=towns, url=url)
        except (RenderError, ValueError, OSError) as exc:
            log.error("snapshot failed: %s", exc)
    log.info(
        "pulse schedule: next runs %s",
        ", ".join(f"{t:%Y-%m-%d %H:%M %Z}" for t in next_runs(cron, timezone)),
    )
    scheduler.start()


def notify_trigger():
    """The daily early warnings' trigger (notify.cron in notify.timezone)."""
    return trigger(str(settings.get("notify.cron")), str(settings.get("notify.timezone")))


def add_daily_warnings(scheduler) -> None:
    """`pulse notify` every day on notify.cron (dashboard/manage/warnings.py)."""
    from dashboard.manage.warnings import daily_job

    scheduler.add_job(
        daily_job,
        notify_trigger(),
        id="daily-warnings",
        name="early warnings (pulse notify)",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    cron, tz = str(settings.get("notify.cron")), str(settings.get("notify.timezone"))
    (first,) = next_runs(cron, tz, n=1)
    log.info(
        "pulse schedule: early warnings (pulse notify) next at %s", f"{first:%Y-%m-%d %H:%M %Z}"
    )


def produce_bulletins(
    requests: list,
    url: str | None = None,
    out: Path | None = None,
    timeout: float | None = None,
) -> list[tuple[Path, dict[str, Any], float]]:
    """通报 (dashboard/manage/bulletin.py BulletinRequest): render each as the weekly PDF is
    rendered and archive it in bulletins/, or write it to `out` (one request)."""
    from dashboard.manage.bulletin import archive_dir

    if out is not None and len(requests) != 1:
        raise ValueError("--out takes exactly one bulletin")
    done = []
    with Renderer(url, timeout=timeout) as renderer:
        for request in requests:
            rendered = renderer.render(request)
            if out is not None:
                archive.write_atomic(out, rendered.pdf)
                path = out
            else:
                path = archive.publish(rendered.pdf, rendered.meta, folder=archive_dir())
            done.append((path, rendered.meta, rendered.seconds))
    return done

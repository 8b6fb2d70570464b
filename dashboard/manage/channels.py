"""Delivering a warning: by e-mail (the snapshot's SMTP settings and code,
dashboard/snapshot/mail.py), or as a JSON POST to a 企业微信 group robot or a 钉钉 custom
robot (both answer {"errcode": 0, "errmsg": "ok"} when they took the message).

Every channel is tried notify.retries times, waiting notify.retry_backoff_seconds before the
second attempt and twice as long before each further one. Nothing here raises for a failed
delivery: the outcome says what happened, and dashboard/manage/warnings.py keeps the
message unsent in its log until a later run delivers it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import quote, urlsplit

from etl import settings

log = logging.getLogger(__name__)

CHANNELS: dict[str, str] = {
    "email": "电子邮件",
    "wecom": "企业微信群机器人",
    "dingtalk": "钉钉群机器人",
}
_EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")


class DeliveryError(RuntimeError):
    """The receiver did not take the message."""


@dataclass
class Message:
    title: str  # e-mail subject; 钉钉's title (shown in the notification)
    text: str  # plain text (e-mail) or markdown (robots)
    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, record, state)


@dataclass
class Outcome:
    ok: bool
    attempts: int
    errors: list[str] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return self.errors[-1] if self.errors else None


def check_target(channel: str, target: str) -> str:
    """The address or webhook URL, checked: an e-mail address, or an http(s) URL (never a
    file: or other scheme urllib would open)."""
    target = (target or "").strip()
    if channel not in CHANNELS:
        raise ValueError(f"未知的渠道 {channel!r}(email | wecom | dingtalk)")
    if channel == "email":
        if not _EMAIL.fullmatch(target):
            raise ValueError(f"电子邮件地址无效: {target[:80]}")
        return target
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("机器人地址应为 http:// 或 https:// 开头的 webhook 地址")
    return target


def byte_limit(channel: str) -> int | None:
    if channel == "wecom":
        return int(settings.get("notify.wecom_max_bytes"))
    if channel == "dingtalk":
        return int(settings.get("notify.dingtalk_max_bytes"))
    return None


def payload(channel: str, message: Message) -> dict:
    """The robot's JSON body: 企业微信 markdown (content), 钉钉 markdown (title, text)."""
    if channel == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": message.text}}
    if channel == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.text}}
    raise ValueError(f"{channel} is not a robot")


def signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """钉钉 加签: timestamp and sign = base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def post_json(url: str, body: dict, timeout: float) -> None:
    """POST `body` as JSON; raises DeliveryError unless the robot answers errcode 0."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None
    try:
        result = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DeliveryError("robot answered something that is not JSON") from None
    code = result.get("errcode", 0) if isinstance(result, dict) else None
    if code != 0:
        message = result.get("errmsg") if isinstance(result, dict) else ""
        raise DeliveryError(f"errcode {code}: {message}")


def _retries() -> tuple[int, float, float]:
    return (
        max(1, int(settings.get("notify.retries"))),
        float(settings.get("notify.retry_backoff_seconds")),
        float(settings.get("notify.timeout_seconds")),
    )


def deliver(
    channel: str,
    target: str,
    message: Message,
    secret: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send one message to one subscriber, with retries and backoff."""
    retries, backoff, timeout = _retries()
    if channel == "email":
        return _email(target, message, retries, backoff, timeout, sleep)
    url = check_target(channel, target)
    body = payload(channel, message)
    errors: list[str] = []
    label = f"warning {CHANNELS[channel]} {urlsplit(url).netloc}"
    for attempt in range(1, retries + 1):
        try:
            post_json(signed_url(url, secret) if secret else url, body, timeout)
        except DeliveryError as exc:
            errors.append(str(exc))
            if attempt < retries:
                wait = backoff * 2 ** (attempt - 1)
                log.warning(
                    "%s failed (attempt %d/%d): %s; retrying in %.1f s",
                    label,
                    attempt,
                    retries,
                    exc,
                    wait,
                )
                sleep(wait)
            else:
                log.error("%s failed after %d attempts: %s", label, attempt, exc)
        else:
            log.info("%s sent (attempt %d)", label, attempt)
            return Outcome(True, attempt, errors)
    return Outcome(False, retries, errors)


def _email(
    target: str,
    message: Message,
    retries: int,
    backoff: float,
    timeout: float,
    sleep: Callable[[float], None],
) -> Outcome:
    from dashboard.snapshot import mail

    cfg = mail.SmtpConfig.from_settings()
    if cfg is None:
        return Outcome(False, 0, ["未配置邮件服务器(snapshot.smtp_host)"])
    cfg = replace(cfg, retries=retries, backoff=backoff, timeout=timeout)
    msg = EmailMessage()
    msg["Subject"] = message.title
    msg["From"] = cfg.sender or cfg.user
    msg["To"] = check_target("email", target)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="service-pulse")
    msg.set_content(message.text)
    ok, attempts, errors = mail.send_with_retries(cfg, msg, f"warning e-mail → {target}", sleep)
    return Outcome(ok, attempts, errors)

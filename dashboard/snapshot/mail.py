"""E-mail delivery of archived snapshots over SMTP (standard library only).

Delivery always happens after the PDF is in the archive, so a failure never loses the file.
Each message is tried `snapshot.retries` times, waiting `snapshot.retry_backoff_seconds`
before the second attempt and twice as long before each further one; every failure is
logged, and the outcome of every message is recorded in the archive's index.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from etl import settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    password: str = ""
    sender: str = ""
    retries: int = 3
    backoff: float = 60.0
    timeout: float = 30.0

    @classmethod
    def from_settings(cls) -> SmtpConfig | None:
        """None when no SMTP host is configured (e-mail off)."""
        host = str(settings.get("snapshot.smtp_host") or "")
        if not host:
            return None
        security = str(settings.get("snapshot.smtp_security"))
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"snapshot.smtp_security: {security!r} (starttls | ssl | none)")
        return cls(
            host=host,
            port=int(settings.get("snapshot.smtp_port")),
            security=security,
            user=str(settings.get("snapshot.smtp_user") or ""),
            password=str(settings.get("snapshot.smtp_password") or ""),
            sender=str(settings.get("snapshot.sender") or ""),
            retries=max(1, int(settings.get("snapshot.retries"))),
            backoff=float(settings.get("snapshot.retry_backoff_seconds")),
        )


@dataclass
class Delivery:
    file: str
    to: list[str]
    ok: bool
    attempts: int
    at: str
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "ok": self.ok,
            "attempts": self.attempts,
            "at": self.at,
            "error": self.errors[-1] if self.errors else None,
        }


def message(cfg: SmtpConfig, path: Path, to: list[str], meta: dict[str, Any]) -> EmailMessage:
    title = meta.get("title") or "政务服务效能周报"
    period = meta.get("period_label") or f"{meta.get('from')} 至 {meta.get('to')}"
    msg = EmailMessage()
    msg["Subject"] = f"{title} {period}"
    msg["From"] = cfg.sender or cfg.user
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="service-pulse")
    msg.set_content(
        f"您好:\n\n附件为{title}({period}),数据截至 {str(meta.get('as_of', ''))[:16]}。\n"
        "本邮件由政务服务效能看板自动发送,请勿直接回复。\n"
    )
    msg.add_attachment(path.read_bytes(), maintype="application", subtype="pdf", filename=path.name)
    return msg


def _send_once(cfg: SmtpConfig, msg: EmailMessage) -> None:
    if cfg.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
    with smtp:
        smtp.ehlo()
        if cfg.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if cfg.user:
            smtp.login(cfg.user, cfg.password)
        smtp.send_message(msg)


def send(
    cfg: SmtpConfig,
    path: Path,
    to: list[str],
    meta: dict[str, Any],
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send one archived PDF to `to`, with retries and backoff. Never raises for a delivery
    failure: the result says what happened (and the log has every attempt)."""
    msg = message(cfg, path, to, meta)
    ok, attempts, errors = send_with_retries(
        cfg, msg, f"snapshot e-mail {path.name} → {', '.join(to)}", sleep, keeps=path
    )
    return Delivery(path.name, to, ok, attempts, _now(), errors)


def send_with_retries(
    cfg: SmtpConfig,
    msg: EmailMessage,
    label: str,
    sleep: Callable[[float], None] = time.sleep,
    keeps: Path | None = None,
) -> tuple[bool, int, list[str]]:
    """Send one message, trying cfg.retries times with cfg.backoff doubling between attempts
    (the snapshots and the early warnings of dashboard/manage both send through here).
    Returns (delivered, attempts, errors); never raises for a delivery failure."""
    errors: list[str] = []
    for attempt in range(1, cfg.retries + 1):
        try:
            _send_once(cfg, msg)
        except (OSError, smtplib.SMTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            if attempt < cfg.retries:
                wait = cfg.backoff * 2 ** (attempt - 1)
                log.warning(
                    "%s failed (attempt %d/%d): %s; retrying in %.0f s",
                    label,
                    attempt,
                    cfg.retries,
                    errors[-1],
                    wait,
                )
                sleep(wait)
            else:
                log.error(
                    "%s failed after %d attempts: %s%s",
                    label,
                    attempt,
                    errors[-1],
                    f" (the file stays in the archive: {keeps})" if keeps else "",
                )
        else:
            log.info("%s sent (attempt %d)", label, attempt)
            return True, attempt, errors
    return False, cfg.retries, errors


def recipients_for(meta: dict[str, Any]) -> list[str]:
    """The county PDF goes to snapshot.recipients; a town's to snapshot.town_recipients[code]."""
    town = meta.get("town_code")
    if town:
        mapping = settings.get("snapshot.town_recipients") or {}
        return list(mapping.get(town, []))
    return list(settings.get("snapshot.recipients") or [])


def _now() -> str:
    return datetime.now().isoformat(sep=" ", timespec="seconds")

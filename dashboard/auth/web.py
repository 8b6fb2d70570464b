"""What the gate and the login page both need to know about the request in hand: where it
came from (behind a trusted proxy), whether it came over HTTPS, how the session cookie is
set, and which redirect targets are safe."""

from __future__ import annotations

from flask import Response, request

from dashboard.auth import sessions
from etl import settings


def trusted_proxy() -> bool:
    remote = request.remote_addr or ""
    return remote in {str(a) for a in settings.get("auth.trusted_proxies")}


def proxy_user() -> str | None:
    header = str(settings.get("auth.proxy_header") or "")
    if not header or not trusted_proxy():
        return None
    value = (request.headers.get(header) or "").strip()
    return value or None


def client_address() -> str | None:
    """The client's address; behind a trusted proxy, the first X-Forwarded-For entry."""
    if trusted_proxy():
        forwarded = (request.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.remote_addr


def is_secure() -> bool:
    mode = str(settings.get("auth.secure_cookies"))
    if mode == "always":
        return True
    if mode == "never":
        return False
    if request.is_secure:
        return True
    return trusted_proxy() and request.headers.get("X-Forwarded-Proto", "") == "https"


def set_session_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        sessions.COOKIE,
        value,
        httponly=True,
        samesite="Lax",
        secure=is_secure(),
        path="/",
    )


def safe_next(target: str | None) -> bool:
    """A relative path of this site (no scheme, host or protocol-relative //)."""
    return bool(target) and target.startswith("/") and not target.startswith(("//", "/\\"))

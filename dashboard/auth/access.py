"""Who is asking: the viewer's role and the towns whose rows they may see.

This module knows nothing of Flask or Dash. The route gate (dashboard/auth/gate.py) sets
the viewer of each request with `bind()`; the CLI and the scheduled jobs act as SYSTEM.
The Store (dashboard/store.py) reads `current()` on every query and intersects the query's
towns with the viewer's: a viewer's towns come from the session, never from a URL. The
default is DENIED — a query made where nobody set a viewer returns nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "county", "town", "wall", "job"]

# Roles an account can have (job is the internal credential of the weekly PDF run).
ACCOUNT_ROLES: tuple[Role, ...] = ("admin", "county", "town", "wall")
ROLE_LABELS: dict[str, str] = {
    "admin": "管理员",
    "county": "县级用户",
    "town": "乡镇用户",
    "wall": "大屏设备",
    "job": "周报任务",
}


@dataclass(frozen=True)
class Access:
    """A viewer. towns=None: every town's rows; an empty set: none at all."""

    user: str | None
    role: Role | None
    towns: frozenset[str] | None

    @property
    def denied(self) -> bool:
        return self.role is None

    @property
    def whole_county(self) -> bool:
        """Sees every town's rows (admin, county, a county-wide wall, the PDF job)."""
        return not self.denied and self.towns is None

    @property
    def sees_published(self) -> bool:
        """May see every town's published figures (the ranking, as in a 通报): every
        signed-in viewer; a town official sees other towns only this way."""
        return not self.denied

    def row_towns(self, every_town: Iterable[str]) -> list[str]:
        """The towns whose rows this viewer may see, out of the store's towns."""
        if self.denied:
            return []
        every = sorted(set(every_town))
        if self.towns is None:
            return every
        return [t for t in every if t in self.towns]

    def label(self) -> str:
        return f"{self.user or '—'}({ROLE_LABELS.get(self.role or '', '未登录')})"


DENIED = Access(None, None, frozenset())
SYSTEM = Access("system", "admin", None)  # the CLI and scheduled jobs on this machine

_current: ContextVar[Access] = ContextVar("pulse_access", default=DENIED)


def current() -> Access:
    """The viewer of the running request or job; DENIED when none was set."""
    return _current.get()


def bind(access: Access) -> Token:
    return _current.set(access)


def unbind(token: Token | None = None) -> None:
    if token is not None:
        _current.reset(token)
    else:
        _current.set(DENIED)


@contextlib.contextmanager
def acting_as(access: Access) -> Iterator[Access]:
    token = _current.set(access)
    try:
        yield access
    finally:
        _current.reset(token)


class AccessDenied(PermissionError):
    """The viewer may not see what was asked for."""

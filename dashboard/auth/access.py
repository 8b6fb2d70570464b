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

Role = Literal["admin", "city", "county", "town", "wall", "job"]

# Roles an account can have (job is the internal credential of the weekly PDF run).
# city: every county of the instance; county: the towns of its counties (issue 18; an account
# without counties sees every town while the instance holds one county, none once it holds
# several: it must be given its counties).
ACCOUNT_ROLES: tuple[Role, ...] = ("admin", "city", "county", "town", "wall")
ROLE_LABELS: dict[str, str] = {
    "admin": "管理员",
    "city": "市级用户",
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

    def sees_all(self, every_town: Iterable[str]) -> bool:
        """Whether this viewer's rows are every town's (whole_county queries: loads,
        rejects, the management loop — they are not split by town)."""
        every = set(every_town)
        return not self.denied and set(self.row_towns(every)) == every

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


def county_of(town_code: str) -> str:
    """A town's county: digits 1-6 of its 12-digit statistical division code (the rule the
    store's town_counties view applies in SQL, etl/sql/marts/03_counties.sql)."""
    return town_code[:6]


def county_towns(
    role: str, counties: Iterable[str], every_town: Iterable[str]
) -> frozenset[str] | None:
    """The towns a county-level account may see, from its counties and the store's towns:
    None (every town) when they cover every county of the store; an account without counties
    sees every town while the store holds one county, and none once it holds several."""
    every = set(every_town)
    held = {county_of(t) for t in every}
    mine = set(counties)
    if role != "county":
        raise ValueError(role)
    if not mine:
        return None if len(held) <= 1 else frozenset()
    if held <= mine:
        return None
    return frozenset(t for t in every if county_of(t) in mine)


class AccessDenied(PermissionError):
    """The viewer may not see what was asked for."""

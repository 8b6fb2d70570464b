"""Demo accounts, one per role, for `pulse serve --demo-if-empty` (the README's run command):
created once with random passwords that are printed once at start; the login page then
says 演示数据."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from dashboard.auth import accounts, appdb, audit
from dashboard.auth.access import SYSTEM, acting_as


@dataclass(frozen=True)
class DemoAccount:
    role: str
    name: str
    secret: str  # the password, or the wall device's token
    towns: tuple[str, ...] = ()


def ensure(first_town: tuple[str, str] | None) -> list[DemoAccount]:
    """Create the demo accounts when the app database has no user yet; returns what was
    created (empty when accounts already exist: their passwords are not kept)."""
    if accounts.count():
        return []
    created: list[DemoAccount] = []
    with acting_as(SYSTEM):
        for role, name in (("admin", "admin"), ("county", "county")):
            password = secrets.token_urlsafe(9)
            accounts.add(name, role, (), password, demo=True)
            created.append(DemoAccount(role, name, password))
        if first_town is not None:
            password = secrets.token_urlsafe(9)
            accounts.add("town", "town", (first_town[0],), password, demo=True)
            created.append(DemoAccount("town", "town", password, (first_town[1],)))
        token = accounts.add("wall", "wall", (), None, demo=True) or ""
        created.append(DemoAccount("wall", "wall", token))
        for account in created:
            audit.record(
                "user_change",
                {"change": "add", "name": account.name, "role": account.role, "demo": True},
            )
    appdb.set_meta("demo", "1")
    return created


def describe(created: list[DemoAccount], base_url: str) -> str:
    """The lines printed once at start."""
    labels = {"admin": "管理员", "county": "县级用户", "town": "乡镇用户"}
    lines = ["演示账号(密码只显示这一次,请记下;忘记可用 pulse user passwd 重设):"]
    for a in created:
        if a.role == "wall":
            lines.append(f"  大屏设备  {base_url}/wall?token={a.secret}")
        else:
            town = f"({'、'.join(a.towns)})" if a.towns else ""
            lines.append(f"  {labels[a.role]}{town}  用户名 {a.name}  密码 {a.secret}")
    return "\n".join(lines)

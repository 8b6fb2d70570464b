"""Accounts: people with a password (admin, county, town) and wall devices with a token.

Passwords are hashed with argon2id (argon2-cffi, its default parameters); tokens are long
random strings of which only a SHA-256 is kept. Repeated failed logins lock an account for
a while (settings auth.max_failed_logins, auth.lockout_minutes). Every change to an account
is written to the audit log by the caller's layer (CLI or admin page) through `audit`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dashboard.auth import appdb
from dashboard.auth.access import ACCOUNT_ROLES, Access, county_towns
from etl import settings

NAME = re.compile(r"^[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,64}$")
_hasher = PasswordHasher()
# a real hash of a random password: unknown names cost the same time as known ones
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done, in Chinese."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    towns: tuple[str, ...]
    disabled: bool
    locked_until: str | None
    last_login_at: str | None
    created_at: str
    demo: bool
    has_token: bool
    counties: tuple[str, ...] = ()  # county role: its counties (6-digit codes)

    def access(self) -> Access:
        """The viewer this account is, for the request at hand. A county-level account's
        towns are computed here, from its counties and the published store's towns (never
        from a request): every page and query then narrows by those towns."""
        if self.role == "county":
            every = _towns()
            if every is None:  # the store cannot be read now: no rows (default deny)
                return Access(self.name, "county", frozenset())
            return Access(self.name, "county", county_towns("county", self.counties, every))
        towns = frozenset(self.towns) if self.role == "town" or self.towns else None
        return Access(self.name, self.role, towns)  # type: ignore[arg-type]

    @property
    def locked(self) -> bool:
        return bool(self.locked_until) and self.locked_until > appdb.now()


def _towns() -> tuple[str, ...] | None:
    """Every town of the published store (none yet: nothing to see); None when the store
    cannot be read (signing in still works; the pages then say what is wrong)."""
    from dashboard.store import StoreEmpty, default_store

    try:
        return default_store().every_town()
    except StoreEmpty:
        return ()
    except Exception:  # a broken or half-copied store: logged by the query that hits it
        return None


def _user(row) -> User:
    return User(
        name=row["name"],
        role=row["role"],
        towns=tuple(json.loads(row["towns"] or "[]")),
        disabled=bool(row["disabled"]),
        locked_until=row["locked_until"],
        last_login_at=row["last_login_at"],
        created_at=row["created_at"],
        demo=bool(row["demo"]),
        has_token=row["token_hash"] is not None,
        counties=tuple(json.loads(row["counties"] or "[]")),
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get(name: str) -> User | None:
    row = appdb.connect().execute("select * from users where name = ?", (name,)).fetchone()
    return _user(row) if row else None


def all_users() -> list[User]:
    rows = appdb.connect().execute("select * from users order by role, name").fetchall()
    return [_user(r) for r in rows]


def count() -> int:
    return appdb.connect().execute("select count(*) from users").fetchone()[0]


def check_password(password: str) -> None:
    shortest = int(settings.get("auth.min_password_length"))
    if len(password) < shortest:
        raise AccountError(f"密码至少需要 {shortest} 个字符")
    if len(password) > 256:
        raise AccountError("密码过长")


COUNTY_CODE = re.compile(r"^[0-9]{6}$")


def _check(name: str, role: str, towns: tuple[str, ...], counties: tuple[str, ...] = ()) -> None:
    if not NAME.match(name):
        raise AccountError("用户名只能包含字母、数字、汉字和 _ . @ -,最长 64 个字符")
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"未知角色 {role}(可选:{'、'.join(ACCOUNT_ROLES)})")
    if role == "town" and not towns:
        raise AccountError("乡镇用户至少需要一个乡镇(--town 乡镇代码)")
    if role in ("admin", "city", "county") and towns:
        raise AccountError("管理员、市级和县级用户按县区查看,不设乡镇")
    if counties and role != "county":
        raise AccountError("只有县级用户设县区(--county 县区代码)")
    if any(not COUNTY_CODE.match(c) for c in counties):
        raise AccountError("县区代码应为6位数字")


def add(
    name: str,
    role: str,
    towns: tuple[str, ...] = (),
    password: str | None = None,
    demo: bool = False,
    counties: tuple[str, ...] = (),
) -> str | None:
    """Create an account. People need a password; a wall device gets a token, returned
    once (only its hash is kept)."""
    _check(name, role, towns, counties)
    token = None
    if role == "wall":
        token = secrets.token_urlsafe(32)
        password_hash = None
    else:
        if password is None:
            raise AccountError("需要密码")
        check_password(password)
        password_hash = _hasher.hash(password)
    stamp = appdb.now()
    with appdb.transaction() as con:
        if con.execute("select 1 from users where name = ?", (name,)).fetchone():
            raise AccountError(f"用户 {name} 已存在")
        con.execute(
            "insert into users (name, role, towns, password_hash, token_hash, demo, "
            "created_at, updated_at, counties) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                role,
                json.dumps(sorted(set(towns))),
                password_hash,
                token_hash(token) if token else None,
                int(demo),
                stamp,
                stamp,
                json.dumps(sorted(set(counties))),
            ),
        )
    return token


def set_password(name: str, password: str) -> None:
    check_password(password)
    _require(name)
    with appdb.transaction() as con:
        con.execute(
            "update users set password_hash = ?, failed_logins = 0, locked_until = null, "
            "updated_at = ? where name = ?",
            (_hasher.hash(password), appdb.now(), name),
        )
        con.execute("delete from sessions where user_name = ?", (name,))


def new_token(name: str) -> str:
    """A new token for a wall device; the old one and its sessions stop working."""
    user = _require(name)
    if user.role != "wall":
        raise AccountError("只有大屏设备(wall)账号使用令牌")
    token = secrets.token_urlsafe(32)
    with appdb.transaction() as con:
        con.execute(
            "update users set token_hash = ?, updated_at = ? where name = ?",
            (token_hash(token), appdb.now(), name),
        )
        con.execute("delete from sessions where user_name = ?", (name,))
    return token


def set_disabled(name: str, disabled: bool) -> None:
    _require(name)
    with appdb.transaction() as con:
        con.execute(
            "update users set disabled = ?, failed_logins = 0, locked_until = null, "
            "updated_at = ? where name = ?",
            (int(disabled), appdb.now(), name),
        )
        if disabled:
            con.execute("delete from sessions where user_name = ?", (name,))


def _require(name: str) -> User:
    user = get(name)
    if user is None:
        raise AccountError(f"没有用户 {name}")
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # ok | unknown | bad_password | disabled | locked
    message: str  # for the login page


def verify_login(name: str, password: str) -> LoginResult:
    """Check a password; count failures and lock the account after too many."""
    row = appdb.connect().execute("select * from users where name = ?", (name,)).fetchone()
    if row is None or row["password_hash"] is None:
        _verify(_DUMMY, password)  # the same time for a name that does not exist
        return LoginResult(None, "unknown", "用户名或密码错误")
    user = _user(row)
    if user.disabled:
        _verify(_DUMMY, password)
        return LoginResult(user, "disabled", "账号已停用,请联系管理员")
    if user.locked:
        _verify(_DUMMY, password)
        return LoginResult(
            user, "locked", f"登录失败次数过多,账号已锁定至 {user.locked_until[11:16]}"
        )
    if not _verify(row["password_hash"], password):
        most = int(settings.get("auth.max_failed_logins"))
        with appdb.transaction() as con:
            failed = con.execute(
                "update users set failed_logins = failed_logins + 1 where name = ? "
                "returning failed_logins",
                (name,),
            ).fetchone()[0]
            if failed >= most:
                until = datetime.now() + timedelta(
                    minutes=int(settings.get("auth.lockout_minutes"))
                )
                con.execute(
                    "update users set locked_until = ?, failed_logins = 0 where name = ?",
                    (until.isoformat(sep=" ", timespec="seconds"), name),
                )
                return LoginResult(user, "locked", "登录失败次数过多,账号已暂时锁定")
        return LoginResult(user, "bad_password", "用户名或密码错误")
    with appdb.transaction() as con:
        con.execute(
            "update users set failed_logins = 0, locked_until = null, last_login_at = ? "
            "where name = ?",
            (appdb.now(), name),
        )
        if _hasher.check_needs_rehash(row["password_hash"]):
            con.execute(
                "update users set password_hash = ? where name = ?",
                (_hasher.hash(password), name),
            )
    return LoginResult(get(name), "ok", "")


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def by_token(token: str) -> User | None:
    """The enabled wall device holding this token."""
    if not token or len(token) > 200:
        return None
    row = (
        appdb.connect()
        .execute(
            "select * from users where token_hash = ? and role = 'wall' and not disabled",
            (token_hash(token),),
        )
        .fetchone()
    )
    return _user(row) if row else None


def touch_login(name: str) -> None:
    with appdb.transaction() as con:
        con.execute("update users set last_login_at = ? where name = ?", (appdb.now(), name))

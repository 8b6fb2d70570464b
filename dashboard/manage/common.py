"""What the management modules share: who may do what, the viewer's towns as SQL, months."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from dashboard.auth.access import Access, AccessDenied

MANAGERS = ("admin", "city", "county")  # open and close ledger items, draw samples, record checks
TOWN_ROLE = "town"
MAX_TEXT = 2000  # a note, a problem, an explanation


class ManageError(ValueError):
    """A request the management records refuse, with a Chinese message for people."""


def require_signed_in(viewer: Access) -> None:
    """People who may read management records (and the PDF job, which reads as the county)."""
    if viewer.denied or viewer.role not in (*MANAGERS, TOWN_ROLE, "job"):
        raise AccessDenied("无权访问管理记录")


def require_person(viewer: Access) -> None:
    """Someone signed in who may write records: county staff or a town official."""
    if viewer.denied or viewer.role not in (*MANAGERS, TOWN_ROLE):
        raise AccessDenied("无权修改管理记录")


def require_manager(viewer: Access, what: str) -> None:
    """County staff only (admin, county)."""
    if viewer.denied or viewer.role not in MANAGERS or not viewer.whole_county:
        raise AccessDenied(f"仅县级用户可以{what}")


def may_see_town(viewer: Access, town_code: str | None) -> bool:
    """Whether the viewer may see records of this town (None: a county-level department,
    county staff only)."""
    if viewer.denied:
        return False
    if viewer.towns is None:
        return True
    return town_code is not None and town_code in viewer.towns


def town_clause(viewer: Access, column: str = "town_code") -> tuple[str, list]:
    """SQL (SQLite) restricting `column` to the viewer's towns, with its bound parameters.
    Whole-county viewers: no restriction; town officials: their towns (from the session),
    never a county-level row; nobody: nothing."""
    if viewer.denied:
        return "0", []
    if viewer.towns is None:
        return "1", []
    return f"{column} in (select value from json_each(?))", [json.dumps(sorted(viewer.towns))]


def clean_text(value: str | None, what: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ManageError(f"请填写{what}")
    if len(text) > MAX_TEXT:
        raise ManageError(f"{what}过长(最多 {MAX_TEXT} 字)")
    return text


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> tuple[date, date]:
    """'2026-10' → (2026-10-01, 2026-10-31)."""
    found = _MONTH.fullmatch((text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) < 2100:
        raise ManageError(f"月份格式应为 YYYY-MM:{(text or '')[:20]}")
    start = date(int(found.group(1)), int(found.group(2)), 1)
    return start, month_end(start)


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def last_complete_month(today: date) -> str:
    """The month before the one `today` is in (a month is audited once it is over)."""
    return month_key(today.replace(day=1) - timedelta(days=1))


def recent_months(today: date, n: int = 12) -> list[str]:
    """This month and the n-1 before it, newest first."""
    out, d = [], today.replace(day=1)
    for _ in range(n):
        out.append(month_key(d))
        d = (d - timedelta(days=1)).replace(day=1)
    return out


def month_label(month: str) -> str:
    start, _ = parse_month(month)
    return f"{start.year}年{start.month}月"


def has_windows(store) -> bool:
    """Whether the store's cases carry 受理窗口 (window_name, an optional column of the case
    export that newer loads keep)."""
    found = store.sql(
        "select count(*) as n from information_schema.columns "
        "where table_name = 'cases' and column_name = 'window_name'",
        public=True,
    )
    return bool(found["n"][0])

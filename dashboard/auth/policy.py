"""Which role may use which route, page and callback — the one table of the route gate.

Everything is denied unless a rule here allows it. Pages carry their roles in their
`dash.register_page(..., roles=...)` call (default: ANALYSTS); callbacks are allowed to the
roles of the page whose module defines them; the analyst shell's callbacks to every
signed-in role.
"""

from __future__ import annotations

from dashboard.auth.access import Role

ANALYSTS: tuple[Role, ...] = ("admin", "city", "county", "town")
COUNTY_STAFF: tuple[Role, ...] = ("admin", "city", "county")
SIGNED_IN: tuple[Role, ...] = ("admin", "city", "county", "town", "wall", "job")

# Paths anyone may fetch: the login page, the health check, static assets (CSS, fonts,
# scripts of our own: no data), the favicon.
PUBLIC_PREFIXES: tuple[str, ...] = ("/login", "/healthz", "/assets/", "/favicon.ico")

# Flask routes outside Dash's pages, by prefix: the roles that may use them.
ROUTES: tuple[tuple[str, tuple[Role, ...]], ...] = (
    ("/logout", SIGNED_IN),
    ("/_dash-component-suites/", SIGNED_IN),
    ("/_dash-layout", SIGNED_IN),
    ("/_dash-dependencies", SIGNED_IN),
    ("/_reload-hash", SIGNED_IN),
    ("/_favicon", SIGNED_IN),
    ("/_dash-update-component", SIGNED_IN),  # then per callback: callback_roles()
    ("/export/outside.csv", ANALYSTS),  # 体外循环 evidence: the viewer's towns only (Store)
    ("/export/", ANALYSTS),  # and only the viewer's towns' rows (the Store)
    ("/snapshots/file/", ANALYSTS),  # town users: their towns' reports only (the route)
    ("/admin/", ("admin",)),
    ("/manage/", ANALYSTS),  # issue 17: each form and download checks the role and towns itself
)

# Module of the analyst shell's callbacks (URL ↔ filters, 数据截至, navigation links).
SHELL_MODULES = ("dashboard.app", "dashboard.components.notices")
# Dash's own router callback: renders the page for `_pages_location.pathname`.
ROUTER_MODULE = "dash.dash"


def page_roles(page: dict) -> tuple[str, ...]:
    return tuple(page.get("roles") or ANALYSTS)


def allowed(role: str | None, roles: tuple[str, ...]) -> bool:
    return role is not None and role in roles


def landing(role: str | None) -> str:
    """Where a role goes after signing in."""
    return {"wall": "/wall", "job": "/report"}.get(role or "", "/")

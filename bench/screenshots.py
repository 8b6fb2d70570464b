"""Screenshots of every page (1440×900 viewport, full page) for docs/ and the README, taken
from a running `pulse serve` with Debian's chromium.

    uv run python bench/screenshots.py --url http://127.0.0.1:8071

Writes docs/screenshots/<page module>.png (overview.png, cases.png, status.png, …), then the
views of VIEWS (the wall at three sizes, a phone, a 体外循环 department's evidence …), and
fails when a page logs an error in the browser console. Sign in as an admin (`--account
USER:PASSWORD`) to include the admin pages; the default bench account is county staff.
Look at the images afterwards.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, signed_in_context

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# A complete month reads better than a month in progress; some pages need page state.
QUERY = {"period": "last_month"}
PAGE_QUERY = {"/rows": {"indicator": "on_time_rate"}, "/wall": {"period": "this_month"}}


OUTSIDE = "/outside?period=this_year&town=339901105000&dept=自然资源&signal=late_entry"
# (file stem, path and query, viewport, whole page?) beyond one shot per page
VIEWS = [
    ("wall-1366", "/wall?period=this_month", (1366, 768), False),
    ("wall-1920", "/wall?period=this_month", (1920, 1080), False),
    ("wall-3840", "/wall?period=this_month", (3840, 2160), False),
    ("overview-running", "/?period=this_month", (1440, 900), False),
    ("overview-phone", "/?period=last_month", (390, 844), True),
    ("town-phone", "/town?period=last_month", (390, 844), True),
    ("overview-no-data", "/?period=custom&from=2030-01-01&to=2030-01-31", (1440, 900), False),
    ("outside-evidence", OUTSIDE, (1440, 900), True),
    ("rows-breakdown", "/rows?period=last_month&indicator=overdue_completed", (1440, 900), True),
]


def last_week() -> dict[str, str]:
    """The report prints one week: the last complete Monday–Sunday before today."""
    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    return {"period": "custom", "from": str(monday), "to": str(monday + timedelta(days=6))}


def registered_pages() -> list[tuple[str, str]]:
    """(path, file stem) of every page a fresh create_app() registers."""
    import dash

    from dashboard.app import create_app

    create_app()
    return [(p["path"], p["module"].rsplit(".", 1)[-1]) for p in dash.page_registry.values()]


def settle(page) -> None:
    page.wait_for_load_state("networkidle", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=60_000
    )
    page.wait_for_timeout(800)  # plotly's transitions and fonts


def full_page(page, target: Path) -> None:
    """The whole page. The viewport is made as tall as the page first: Chromium does not
    paint composited layers (AG Grid's) far below the viewport in a full-page capture."""
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    page.wait_for_timeout(500)
    page.screenshot(path=str(target), full_page=True)
    page.set_viewport_size(size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="a running `pulse serve`")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--only", nargs="*", help="page paths or view names (default: all)")
    ap.add_argument("--account", help="USER:PASSWORD to sign in as (default: the bench account)")
    args = ap.parse_args()
    account = tuple(args.account.split(":", 1)) if args.account else None
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    failures = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = signed_in_context(
            browser, args.url, account, viewport={"width": 1440, "height": 900}
        )
        for path, stem in registered_pages():
            if args.only and path not in args.only:
                continue
            if path == "/city" and not args.only:  # needs several counties: docs/multi-county.md
                continue
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
            page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
            extra = last_week() if path == "/report" else PAGE_QUERY.get(path, {})
            query = urlencode({**QUERY, **extra})
            page.goto(f"{args.url.rstrip('/')}{path}?{query}")
            settle(page)
            target = args.out / f"{stem}.png"
            if path == "/wall":  # the wall fills its screen: exactly the viewport
                page.screenshot(path=str(target))
            else:
                full_page(page, target)
            print(
                f"{path:14} → {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
            )
            if errors:
                failures[path] = errors
            page.close()
        for stem, where, (width, height), whole in VIEWS:
            if args.only and stem not in args.only:
                continue
            page = context.new_page()
            page.set_viewport_size({"width": width, "height": height})
            errors = []
            page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
            page.goto(f"{args.url.rstrip('/')}{where}")
            settle(page)
            target = args.out / f"{stem}.png"
            if whole:
                full_page(page, target)
            else:
                page.screenshot(path=str(target))
            print(f"{stem:14} → {target}")
            if errors:
                failures[stem] = errors
            page.close()
        browser.close()
    if failures:
        for path, errors in failures.items():
            print(f"console errors on {path}: {errors}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

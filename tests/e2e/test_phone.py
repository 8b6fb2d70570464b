"""Phones (issue 16, point 8), in Chromium at 390×844: the navigation collapses behind a
button, the KPI cards stack, the filter bar wraps, and no page is wider than the screen.
At 1440×900 the navigation is open and the button hidden."""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.conftest import login_context

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES = (
    "/?period=last_month",
    "/town?period=last_month",
    "/hotline?period=last_month",
    "/evaluations?period=last_month",
    "/cases?period=last_month",
    "/rows?period=last_month&indicator=overdue_completed",
    "/quality",
    "/snapshots",
    "/no-such-page",
    "/?period=custom&from=2026-10-01&to=2026-10-31",  # the date picker shown
)
ADMIN_PAGES = ("/audit", "/accounts")


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.body.classList.contains('pulse-busy')"
        " && !document.querySelector('._dash-loading')",
        timeout=60_000,
    )
    page.wait_for_timeout(300)


def width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("name", ["county", "admin"])
def test_no_page_is_wider_than_a_phone(browser, server, name):
    context = login_context(browser, server, name, viewport=PHONE)
    page = context.new_page()
    try:
        wide = {}
        for path in PAGES if name == "county" else ADMIN_PAGES:
            page.goto(server + path)
            settle(page)
            scroll, screen = width(page)
            if scroll > screen:
                wide[path] = scroll
        assert wide == {}, f"wider than {PHONE['width']} px"
    finally:
        context.close()


def test_the_navigation_collapses_on_a_phone(browser, server):
    context = login_context(browser, server, "county", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(server + "/?period=last_month")
        settle(page)
        toggler = page.locator("#shell-nav-toggle")
        links = page.locator("#shell-nav-collapse .nav-link")
        assert toggler.is_visible() and toggler.get_attribute("aria-label") == "展开或收起导航菜单"
        assert links.count() > 3 and not links.first.is_visible()
        # the first screen is the page, not the menu: the navbar is one line high
        assert page.locator(".pulse-navbar").bounding_box()["height"] < 80
        toggler.click()
        page.locator("#shell-nav-collapse.show").wait_for()
        links.filter(has_text="乡镇").first.wait_for(state="visible")
        assert page.locator("#shell-account").is_visible()
        links.filter(has_text="乡镇").first.click()
        page.wait_for_url("**/town**")
        settle(page)
        assert not links.first.is_visible()  # following a link closes the menu
    finally:
        context.close()


def test_kpi_cards_stack_and_the_filter_bar_wraps_on_a_phone(browser, server):
    context = login_context(browser, server, "county", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(server + "/?period=last_month")
        settle(page)
        cards = [c.bounding_box() for c in page.locator("#overview-kpis .kpi-card").all()]
        assert len(cards) > 3
        assert len({round(c["x"]) for c in cards}) == 1  # one column
        assert all(c["width"] > PHONE["width"] * 0.85 for c in cards)
        assert all(a["y"] + a["height"] <= b["y"] for a, b in itertools.pairwise(cards))
        widgets = page.locator("#shell-filter-bar .col, #shell-filter-bar [class*=col-]")
        boxes = [w.bounding_box() for w in widgets.all() if w.is_visible()]
        assert len({round(b["y"]) for b in boxes}) > 1  # more than one line
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] + 0.5 for b in boxes)
    finally:
        context.close()


def test_the_navigation_is_open_on_a_desktop(browser, server):
    context = login_context(browser, server, "county")
    page = context.new_page()
    try:
        page.goto(server + "/?period=last_month")
        settle(page)
        assert not page.locator("#shell-nav-toggle").is_visible()
        assert page.locator("#shell-nav-collapse .nav-link").first.is_visible()
        assert page.locator("#shell-account").is_visible()
        cards = [c.bounding_box() for c in page.locator("#overview-kpis .kpi-card").all()]
        assert len({round(c["y"]) for c in cards}) < len(cards)  # side by side
        assert width(page)[0] <= 1440
    finally:
        context.close()


def test_an_admins_navigation_fits_one_line_from_1200_px(browser, server):
    """Six pages and two menus (管理: 周报 and the management pages; 系统: 数据质量, 审计日志,
    账号管理) in one line; every page an admin may open is in it."""
    context = login_context(browser, server, "admin", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    try:
        page.goto(server + "/snapshots")
        settle(page)
        links = page.locator("#shell-nav-collapse .nav-link")
        assert links.count() == 8
        tops = {round(link.bounding_box()["y"]) for link in links.all()}
        heights = {round(link.bounding_box()["height"]) for link in links.all()}
        assert len(tops) == 1 and max(heights) < 50  # one line, no link broken in two
        assert width(page) == [1200, 1200]
        items = page.locator("#shell-nav-collapse .dropdown-menu.show .dropdown-item")
        page.locator("#shell-nav-collapse .nav-link", has_text="管理").click()
        items.first.wait_for()
        assert items.all_inner_texts() == ["周报", "办件抽查", "整改台账", "书面说明", "通报"]
        page.locator("#shell-nav-collapse .nav-link", has_text="系统").click()
        page.locator("#shell-nav-collapse .dropdown-item", has_text="审计日志").click()
        page.wait_for_url("**/audit?**")
    finally:
        context.close()

"""With one county the product looks as it did before issue 18: no county choice in the
filter bar, no 市级看板 in the navigation, the overview's heading and 明细 say 全县."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login_context

pytestmark = pytest.mark.browser


def test_one_county_shows_no_county_level(server, browser):
    context = login_context(browser, server, "admin")
    page = context.new_page()
    try:
        page.goto(f"{server}/?period=last_month")
        page.wait_for_selector("#overview-ranking .ag-row")
        assert not page.is_visible("#filter-counties")
        nav = page.inner_text(".pulse-navbar")
        assert "市级看板" not in nav and "总览" in nav
        assert "县区" not in page.inner_text("#shell-filter-bar")
        page.goto(f"{server}/rows?period=last_month&indicator=cases")
        page.wait_for_selector("#rows-count:has-text('共')")
        assert page.inner_text("#rows-title").endswith("全县")
    finally:
        context.close()

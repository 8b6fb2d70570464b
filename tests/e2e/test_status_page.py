"""The first page in a real browser: the store's state, in Chinese, without console errors."""

from __future__ import annotations


def test_status_page_shows_the_store(server, page):
    page.goto(server + "/quality")
    page.wait_for_selector("#status-summary")
    text = page.inner_text("body")
    for words in ("数据状态", "数据截至", "2026-11-20 08:00:00", "城关街道", "最近导入", "已入库"):
        assert words in text, words
    # 13 towns in the town table, loads listed with their accounting
    assert page.locator("#status-towns tbody tr").count() == 13
    assert page.locator("#status-loads tbody tr").count() > 20
    # every stylesheet and script came from this server (no CDN on a county intranet)
    hosts = page.evaluate(
        "[...document.querySelectorAll('link[href],script[src]')]"
        ".map(e => new URL(e.href || e.src, location.href).host)"
    )
    assert set(hosts) == {server.removeprefix("http://")}
    assert page.console_errors == []


def test_rows_page_pages_through_a_figure_of_a_year(server, page):
    """明细 of a year's cases: the count covers every row, and the grid reaches the last one
    through blocks asked from the server (never the whole list in the browser)."""
    page.goto(server + "/rows?period=last_12_months&indicator=cases")
    page.wait_for_selector("#rows-count:has-text('共')", timeout=30_000)
    text = page.inner_text("#rows-count")
    total = int(text.split("共 ")[1].split(" 条")[0].replace(",", ""))
    assert total > 5000
    page.wait_for_selector("#rows-grid .ag-row[row-index='0'] [col-id='case_id']")
    page.click("#rows-grid .ag-paging-button[aria-label='末页']")
    first_of_last_page = (total - 1) // 100 * 100
    last = f"#rows-grid .ag-row[row-index='{first_of_last_page}'] [col-id='case_id']"
    page.wait_for_function(
        "(sel) => { const c = document.querySelector(sel); return c && c.innerText.trim(); }",
        arg=last,
        timeout=20_000,
    )
    pager = page.inner_text("#rows-grid .ag-paging-row-summary-panel").replace(",", "")
    assert pager.split() == [str(first_of_last_page + 1), "–", str(total), "/", str(total)], pager
    assert page.console_errors == []

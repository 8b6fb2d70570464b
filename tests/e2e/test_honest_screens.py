"""Honest screens (issue 16, points 1, 3, 4, 6) in Chromium on the demo county: fair
comparisons, drill-downs that export exactly their rows, the URL holding the whole view,
and a clear message — never zeros that look like success — when the view cannot be
shown."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.e2e.conftest import DEMO_TOWN, OTHER_TOWN, login_session

pytestmark = pytest.mark.browser

TOWN_NAME = "城关街道"  # DEMO_TOWN


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def number(text: str) -> int:
    """The count a line states: '共 1,234 条' → 1234."""
    found = re.search(r"共 ([\d,]+) 条", text) or re.search(r"\d[\d,]*", text)
    return int((found.group(1) if found.groups() else found.group()).replace(",", ""))


def test_running_period_is_compared_with_the_same_span_and_moments_are_not(server, page):
    page.goto(server + "/?period=this_month")  # 数据截至 2026-11-20: November is running
    page.wait_for_selector("#kpi-cases .kpi-value")
    settle(page)
    assert "较上月同期" in page.inner_text("#kpi-cases")
    assert "不作比较" in page.inner_text("#kpi-overdue_open")
    assert "不作比较" in page.inner_text("#kpi-warning_open")
    page.goto(server + "/?period=last_month")
    page.wait_for_selector("#kpi-cases .kpi-value")
    settle(page)
    text = page.inner_text("#kpi-cases")
    assert "较上月" in text and "同期" not in text
    # rank changes against the previous period are on the ranking
    page.wait_for_selector("#overview-ranking .ag-row")
    changes = page.locator("#overview-ranking .ag-pinned-left-cols-container [col-id='change']")
    assert any(t.strip() for t in changes.all_inner_texts())
    assert page.console_errors == []


def test_a_period_without_data_says_so_and_ranks_nobody(server, page):
    page.goto(server + "/?period=custom&from=2030-01-01&to=2030-01-31")
    page.wait_for_selector("#kpi-cases .kpi-value")
    settle(page)
    assert "本期无数据" in page.inner_text("#shell-notice")
    assert page.inner_text("#kpi-cases .kpi-value") == "本期无数据"
    assert page.get_attribute("#kpi-overdue_open", "data-status") == "none"  # no green 0
    ranks = page.locator("#overview-ranking .ag-pinned-left-cols-container [col-id='rank']")
    page.wait_for_selector("#overview-ranking .ag-row")
    assert [t.strip() for t in ranks.all_inner_texts()] == [""] * ranks.count()
    boards = page.locator("#overview-ranking [col-id='board']").all_inner_texts()
    assert not any(b.strip() in ("红榜", "黑榜") for b in boards)


def test_wrong_views_get_a_clear_message(server, page):
    page.goto(server + "/town?period=last_month&town=999")
    page.wait_for_selector("#shell-notice .alert")
    assert "999 不存在或您无权查看" in page.inner_text("#shell-notice")
    assert "未找到该乡镇" in page.inner_text("#town-title")
    assert "不存在或您无权查看" in page.inner_text("#town-kpis")
    page.goto(server + "/?period=custom&from=2026-11-10&to=2026-11-01")
    page.wait_for_selector("#shell-notice .alert")
    assert "晚于结束日期" in page.inner_text("#shell-notice")


def test_a_drill_down_breaks_down_and_exports_exactly_its_rows(server, page):
    url = f"{server}/rows?period=last_month&indicator=overdue_completed&town={DEMO_TOWN}"
    page.goto(url)
    page.wait_for_selector("#rows-count:has-text('共')")
    settle(page)
    total = number(page.inner_text("#rows-count"))
    assert total > 0
    by_dept = page.locator("#rows-breakdown .rows-breakdown").first
    counts = [number(t) for t in by_dept.locator("td:nth-child(2)").all_inner_texts()]
    assert sum(counts) == total  # the breakdown sums to the figure
    with page.expect_download() as info:
        page.click("#rows-export-csv")
    download = info.value
    name = unquote(download.suggested_filename)
    assert TOWN_NAME in name and "超期办结" in name and "2026-10-01至2026-10-31" in name
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[-1][0].startswith("导出人:county")
    assert len(rows) - 2 == total  # header, rows, signature
    # and the same rows are in 办件查询, reached from here with the town and the state
    page.click("#rows-open-cases")
    page.wait_for_selector("#cases-total:has-text('共')")
    settle(page)
    assert number(page.inner_text("#cases-total")) == total
    query = parse_qs(urlsplit(page.url).query)
    assert query["towns"] == [DEMO_TOWN] and query["flag"] == ["overdue_completed"]
    assert page.console_errors == []


def test_a_town_official_exports_only_their_rows(server):
    town = login_session(server, "town")
    for search in (f"indicator=cases&town={OTHER_TOWN}", f"indicator=cases&towns={OTHER_TOWN}"):
        answer = town.get(f"{server}/export/rows.csv?period=last_month&{search}", timeout=60)
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert answer.status_code == 200 and len(rows) == 2, search  # header and signature


def test_the_url_holds_the_grid_sort_and_the_ranking_choice(server, page, browser):
    page.goto(server + "/cases?period=last_month")
    page.wait_for_selector('#cases-grid .ag-row[row-index="0"] [col-id="case_id"]:not(:empty)')
    settle(page)
    page.click('#cases-grid .ag-header-cell[col-id="case_id"] .ag-header-cell-label')
    page.wait_for_function("() => location.search.includes('sort=')")
    settle(page)
    sort = json.loads(parse_qs(urlsplit(page.url).query)["sort"][0])
    assert sort == [{"colId": "case_id", "sort": "asc"}]
    first = page.inner_text('#cases-grid .ag-row[row-index="0"] [col-id="case_id"]')
    shared = page.url
    page.goto(shared)  # the same link, opened again: the same rows in the same order
    page.wait_for_selector('#cases-grid .ag-row[row-index="0"] [col-id="case_id"]:not(:empty)')
    settle(page)
    assert page.inner_text('#cases-grid .ag-row[row-index="0"] [col-id="case_id"]') == first
    page.go_back()
    page.wait_for_function("() => !location.search.includes('sort=')")
    # the ranking's indicator
    page.goto(server + "/?period=last_month&rank=on_time_rate")
    page.wait_for_selector("#overview-ranking .ag-row")
    assert "按时办结率" in page.inner_text("#overview-rank-by")
    page.click("#overview-rank-by")
    page.get_by_role("option", name="按满意度排名").click()
    page.wait_for_function("() => location.search.includes('rank=satisfaction_rate')")
    # a town's name opens its page
    settle(page)
    page.locator(
        "#overview-ranking .ag-pinned-left-cols-container [col-id='town_name']"
    ).first.click()
    page.wait_for_function("() => location.pathname === '/town'")
    assert "town=" in page.url
    assert page.console_errors == []


def test_the_date_picker_refuses_a_reversed_range(server):
    """Picking an end date before the start clears the end; the view and its URL stay."""
    from tests.e2e.test_security import callback

    county = login_session(server, "county")
    search = "?period=custom&from=2026-11-10&to=2026-11-20"
    values = {
        "filter-range.end_date": "2026-11-01",  # the date just picked: before the start
        "url.search": search,
        "filter-period.value": "custom",
        "filter-range.start_date": "2026-11-10",
        "filter-towns.value": [],
        "filter-depts.value": [],
        "filter-counties.value": [],
    }
    answer = callback(county, server, "filter-range", values)
    assert answer.status_code == 200, answer.text[:300]
    response = answer.json()["response"]
    assert response["filter-range"] == {"end_date": None}
    assert "url" not in response and "filters" not in response  # the view is unchanged
    # a valid end date is taken
    values["filter-range.end_date"] = "2026-11-15"
    taken = callback(county, server, "filter-range", values).json()["response"]
    assert taken["url"]["search"] == "?period=custom&from=2026-11-10&to=2026-11-15"

"""乡镇, 12345热线 and 好差评 in a real browser: the period filter, the town chooser and the
back button, a drill-down from a town KPI to the rows behind it, a shared URL reloaded, the
in-page panels behind the bars — in Chinese, without console errors. Screenshots for docs/."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?!\d)")  # a mobile number standing alone


def settle(page) -> None:
    """Wait until Dash has no callback in flight."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def choose(page, dropdown: str, label: str) -> None:
    page.click(f"#{dropdown}")
    page.get_by_role("option", name=label, exact=True).click()


def click_bar(page, bar) -> None:
    """Click the middle of a plotly bar (plotly's drag layer lies over the bars)."""
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def kpi(page, indicator: str) -> str:
    return page.inner_text(f"#kpi-{indicator} .kpi-value")


def kpis_for(page, indicator: str, *parts: str) -> dict[str, str]:
    """The KPIs once they show the view whose URL has `parts`: their drill links are built
    from the same filters as their figures, so they tell a stale card from a fresh one."""
    page.wait_for_selector(f"#kpi-{indicator} a" + "".join(f"[href*='{p}']" for p in parts))
    settle(page)
    return kpis(page)


def kpis(page) -> dict[str, str]:
    ids = page.eval_on_selector_all(".kpi-card", "cards => cards.map(c => c.parentElement.id)")
    return {i: page.inner_text(f"#{i} .kpi-value") for i in ids}


def rows_count(page, title: str) -> int:
    """The 明细 page's count, once it shows the figure `title` names (its first answer may
    still be for the page the link was clicked on)."""
    page.wait_for_selector(f"#rows-title:has-text('{title}')")
    page.wait_for_selector("#rows-count:has-text('共')")
    return number(re.search(r"共 ([\d,]+) 条", page.inner_text("#rows-count")).group(1))


def test_town_page_period_town_choice_back_and_drill(server, page):
    page.goto(server + "/town?period=this_month")
    page.wait_for_selector("#town-kpis .kpi-card")
    settle(page)
    first = page.inner_text("#town-title").removeprefix("乡镇 · ")
    assert first == page.inner_text("#town-choice")
    first_code = re.search(r"town=(\d+)", page.get_attribute("#kpi-cases a", "href"))[1]
    text = page.inner_text("body")
    for words in ("办件量", "网办率", "部门", "事项", "超期未办结", "超时预警", "趋势"):
        assert words in text, words
    assert page.locator("#town-depts .ag-center-cols-container .ag-row").count() > 0
    assert page.locator("#town-items .ag-center-cols-container .ag-row").count() > 0

    # the period filter: URL and figures follow
    choose(page, "filter-period", "上月")
    page.wait_for_url(re.compile(r"period=last_month"))
    page.wait_for_selector("#shell-period-text:has-text('2026年10月')")
    first_kpis = kpis_for(page, "cases", "period=last_month", f"town={first_code}")
    assert page.inner_text("#town-title") == f"乡镇 · {first}"

    # another town: written into the URL, the period kept; back returns to the first town
    options = page.eval_on_selector_all(".kpi-card", "c => c.length")
    assert options == 10 + 6  # and the 6 figures of optional columns the demo county has
    page.click("#town-choice")
    names = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    second = next(n for n in names if n != first)
    choose(page, "town-choice", second)
    page.wait_for_url(re.compile(r"town=\d+"))
    page.wait_for_selector(f"#town-title:has-text('{second}')")
    assert "period=last_month" in page.url
    code = re.search(r"town=(\d+)", page.url)[1]
    shared_url = page.url
    shared_kpis = kpis_for(page, "cases", "period=last_month", f"town={code}")
    assert shared_kpis != first_kpis

    page.go_back()
    page.wait_for_selector(f"#town-title:has-text('{first}')")
    assert "town=" not in page.url
    assert kpis_for(page, "cases", "period=last_month", f"town={first_code}") == first_kpis
    page.go_forward()
    page.wait_for_selector(f"#town-title:has-text('{second}')")
    assert kpis_for(page, "cases", "period=last_month", f"town={code}") == shared_kpis

    # a shared link reproduces the view
    other = page.context.new_page()
    errors: list[str] = []
    other.on("console", lambda m: m.type == "error" and errors.append(m.text))
    other.goto(shared_url)
    other.wait_for_selector(f"#town-title:has-text('{second}')")
    assert kpis_for(other, "cases", "period=last_month", f"town={code}") == shared_kpis
    assert other.inner_text("#shell-period-text").startswith("2026年10月")
    other.close()
    assert errors == []

    # drill-down: the town's 办件量 opens exactly that many rows
    cases = number(kpi(page, "cases"))
    assert cases > 0
    page.click("#kpi-cases a")
    page.wait_for_url(re.compile(r"/rows\?.*indicator=cases"))
    assert rows_count(page, f"办件量 · {second}") == cases
    page.go_back()
    page.wait_for_selector(f"#town-title:has-text('{second}')")
    settle(page)

    # overdue list → 明细 with the same count
    overdue = number(page.inner_text("#town-overdue-head .badge"))
    page.click("#town-overdue_open-rows")
    page.wait_for_url(re.compile(r"indicator=overdue_open"))
    assert rows_count(page, f"超期未办结 · {second}") == overdue
    page.go_back()
    page.wait_for_selector("#town-kpis .kpi-card")
    settle(page)
    assert page.console_errors == []


def test_hotline_page(server, page):
    page.goto(server + "/hotline?period=this_year")
    page.wait_for_selector("#hotline-kpis .kpi-card")
    settle(page)
    text = page.inner_text("body")
    for words in (
        "12345工单",
        "按时办结率",
        "满意率",
        "解决率",
        "超期未办结",
        "重复来电",
        "各乡镇",
    ):
        assert words in text, words
    assert not PHONE.search(text), "a phone number on the page"
    tickets = number(kpi(page, "hotline_tickets"))
    assert page.locator("#hotline-towns .ag-center-cols-container .ag-row").count() == 13

    # a bar opens its tickets in the panel: the count is the bar's
    bar = page.locator("#hotline-by-type g.point").first
    label = number(bar.locator("text").text_content())
    click_bar(page, bar.locator("path"))
    page.wait_for_selector("#hotline-panel-count")
    assert number(re.search(r"共 ([\d,]+) 件", page.inner_text("#hotline-panel-count"))[1]) == label
    assert label <= tickets

    # the period filter, then the shared URL reloaded
    choose(page, "filter-period", "本月")
    page.wait_for_url(re.compile(r"period=this_month"))
    page.wait_for_selector("#shell-period-text:has-text('2026年11月')")
    now = kpis_for(page, "hotline_tickets", "period=this_month")
    page.reload()
    assert kpis_for(page, "hotline_tickets", "period=this_month") == now

    # the town table's 12345工单 opens 明细 with that many tickets
    cell = page.locator(
        "#hotline-towns .ag-center-cols-container .ag-row[row-index='0'] [col-id='hotline_tickets']"
    )
    count = number(cell.inner_text())
    town = page.inner_text(
        "#hotline-towns .ag-pinned-left-cols-container .ag-row[row-index='0'] [col-id='town_name']"
    )
    cell.click()
    page.wait_for_url(re.compile(r"/rows\?.*indicator=hotline_tickets"))
    assert rows_count(page, f"12345工单 · {town}") == count
    page.go_back()
    page.wait_for_selector("#hotline-kpis .kpi-card")
    settle(page)

    # a repeat caller's tickets
    if page.locator("#hotline-callers .ag-center-cols-container .ag-row").count():
        page.locator("#hotline-callers .ag-center-cols-container .ag-row").first.click()
        page.wait_for_selector(".caller-head")
        assert not PHONE.search(page.inner_text("body"))
    assert page.console_errors == []


def test_evaluations_page(server, page):
    page.goto(server + "/evaluations?period=this_year")
    page.wait_for_selector("#evaluations-kpis .kpi-card")
    settle(page)
    text = page.inner_text("body")
    for words in (
        "评价数",
        "满意度",
        "评价率",
        "差评",
        "差评整改率",
        "差评整改超期",
        "各乡镇",
        "各部门",
    ):
        assert words in text, words
    # 评价率 is shown right next to 满意度
    order = page.eval_on_selector_all(".kpi-card", "cards => cards.map(c => c.parentElement.id)")
    assert order.index("kpi-evaluation_rate") == order.index("kpi-satisfaction_rate") + 1

    # the period filter and the shared URL
    choose(page, "filter-period", "上月")
    page.wait_for_url(re.compile(r"period=last_month"))
    before = kpis_for(page, "evaluations", "period=last_month")
    page.goto(page.url)
    assert kpis_for(page, "evaluations", "period=last_month") == before

    # a rating bar opens its evaluations
    click_bar(page, page.locator("#evaluations-ratings g.point path").first)
    page.wait_for_selector("#evaluations-panel-count")
    assert "非常满意" in page.inner_text("#evaluations-panel")

    # bad reviews of one rectification state
    page.locator("#evaluations-state label").filter(has_text=re.compile("^未整改")).click()
    page.wait_for_function(
        """() => {
            const cells = [...document.querySelectorAll(
                "#evaluations-bad .ag-center-cols-container [col-id='rectify_status']")];
            return cells.length > 0 && cells.every(c => c.innerText === '未整改');
        }"""
    )

    # a town's 差评数 opens its bad reviews in 明细
    cell = page.locator(
        "#evaluations-towns .ag-center-cols-container .ag-row[row-index='0'] [col-id='bad_reviews']"
    )
    count = number(cell.inner_text())
    town = page.inner_text(
        "#evaluations-towns .ag-pinned-left-cols-container .ag-row[row-index='0'] "
        "[col-id='town_name']"
    )
    cell.click()
    page.wait_for_url(re.compile(r"/rows\?.*indicator=bad_reviews"))
    assert rows_count(page, f"差评数 · {town}") == count
    page.go_back()
    page.wait_for_selector("#evaluations-kpis .kpi-card")
    settle(page)
    assert page.console_errors == []

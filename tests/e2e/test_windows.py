"""Windows (受理窗口) and the optional-column figures on the real server (issue 19): the town
page's window callbacks, the drill to 明细 by window, and who may use them — a town
official sees only their own town's windows, an anonymous client nothing, a wall device
none of the town page's callbacks."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.conftest import DEMO_TOWN, OTHER_TOWN, WALL_TOKEN, login_session
from tests.e2e.test_security import _rows_of, callback, grid_rows

pytestmark = pytest.mark.browser

OCTOBER = "?period=custom&from=2026-10-01&to=2026-10-31"
OTHER_NAME = "青石镇"  # OTHER_TOWN in the demo county


def windows_of(session, url: str, search: str) -> list[dict]:
    answer = callback(session, url, "town-windows", {"url.search": search})
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["response"]["town-windows"]["rowData"]


def ranking_text(session, url: str, search: str) -> str:
    answer = callback(session, url, "town-window-ranking", {"url.search": search})
    assert answer.status_code == 200, answer.text[:300]
    return json.dumps(answer.json(), ensure_ascii=False)


def window_drill(session, url: str, search: str, row_id: str, column: str = "cases"):
    cell = {"colId": column, "rowId": row_id, "value": 1}
    return callback(
        session, url, "town-drill", {"town-windows.cellClicked": cell}, {"url.search": search}
    )


def test_the_county_sees_each_towns_windows_and_drills_to_exactly_their_rows(server):
    county = login_session(server, "county")
    rows = windows_of(county, server, f"{OCTOBER}&town={OTHER_TOWN}")
    named = [r for r in rows if r["window_name"] != "(未记录窗口)"]
    assert named, "the demo's 青石镇 records its windows"
    busiest = max(named, key=lambda r: r["cases"])
    answer = window_drill(county, server, f"{OCTOBER}&town={OTHER_TOWN}", busiest["row_id"])
    href = answer.json()["response"]["town-drill"]["href"]
    assert href.startswith("/rows?") and "window=" in href and f"town={OTHER_TOWN}" in href
    listed = _rows_of(
        grid_rows(county, server, "rows-grid", href.removeprefix("/rows")), "rows-grid"
    )
    assert listed["rowCount"] == busiest["cases"]  # the rows behind the cell: exactly its figure
    text = ranking_text(county, server, f"{OCTOBER}&town={OTHER_TOWN}")
    assert "全县参评窗口" in text and "未记录受理窗口" in text


def test_a_town_official_sees_only_their_own_towns_windows(server):
    town = login_session(server, "town")
    own = windows_of(town, server, f"{OCTOBER}&town={DEMO_TOWN}")
    assert own
    # another town's windows: not by ?town=, not in the ranking, not through a crafted drill
    assert windows_of(town, server, f"{OCTOBER}&town={OTHER_TOWN}") == []
    assert windows_of(town, server, f"{OCTOBER}&towns={OTHER_TOWN}&town={OTHER_TOWN}") == []
    mine = ranking_text(town, server, f"{OCTOBER}&town={DEMO_TOWN}")
    assert "本镇参评窗口" in mine and OTHER_NAME not in mine
    assert ranking_text(town, server, f"{OCTOBER}&town={OTHER_TOWN}") == ranking_text(
        town, server, f"{OCTOBER}&town=nowhere"
    )
    crafted = window_drill(town, server, f"{OCTOBER}&town={OTHER_TOWN}", '["社保", "社保窗口"]')
    # nothing: the town is not theirs (no link is written)
    assert crafted.status_code in (200, 204), crafted.text[:300]
    assert crafted.status_code == 204 or "town-drill" not in crafted.json()["response"], (
        crafted.text
    )
    # 明细 of another town's window (a link typed by hand): no rows
    for search in (
        f"{OCTOBER}&indicator=cases&town={OTHER_TOWN}&window=综合窗口1号",
        f"{OCTOBER}&indicator=onsite_rate&towns={OTHER_TOWN}&window=综合窗口1号",
        f"{OCTOBER}&indicator=cases&town={OTHER_TOWN}&window=-",
    ):
        rows = _rows_of(grid_rows(town, server, "rows-grid", search), "rows-grid")
        assert rows == {"rowData": [], "rowCount": 0}, search
    # the export of a window's rows: only the official's own
    answer = town.get(
        f"{server}/export/rows.csv{OCTOBER}&indicator=cases&town={OTHER_TOWN}&window=社保窗口",
        timeout=60,
    )
    assert answer.status_code == 200 and OTHER_NAME not in answer.content.decode("utf-8-sig")
    # a window on a figure that has none (evaluations), and a malformed window cell: 400
    wrong = grid_rows(town, server, "rows-grid", f"{OCTOBER}&indicator=evaluations&window=x")
    assert wrong.status_code == 400 and "受理窗口" in wrong.text
    answer = town.get(
        f"{server}/export/rows.csv{OCTOBER}&indicator=evaluations&window=x", timeout=60
    )
    assert answer.status_code == 400
    # a malformed window cell is a 400, never a traceback
    bad = window_drill(town, server, f"{OCTOBER}&town={DEMO_TOWN}", "not json")
    assert bad.status_code == 400 and "Traceback" not in bad.text


def test_no_session_and_the_wall_reach_no_window_callback(server):
    anonymous = requests.Session()
    for output in ("town-windows.columnDefs", "town-window-ranking.children", "town-drill.href"):
        body = {"output": output, "inputs": [], "state": []}
        answer = anonymous.post(server + "/_dash-update-component", json=body, timeout=30)
        assert answer.status_code == 401, output
    wall = requests.Session()
    assert wall.get(f"{server}/wall?token={WALL_TOKEN['wall']}", timeout=30).status_code == 200
    answer = callback(wall, server, "town-windows", {"url.search": f"{OCTOBER}&town={DEMO_TOWN}"})
    assert answer.status_code == 403
    answer = callback(wall, server, "town-window-ranking", {"url.search": OCTOBER})
    assert answer.status_code == 403


def test_the_optional_figures_read_no_data_where_a_town_lacks_the_column(server):
    """The demo's 松岗镇 does not record 是否现场办结: 无数据 in the ranking, never 0."""
    county = login_session(server, "county")
    answer = callback(
        county,
        server,
        "overview-ranking",
        {"url.search": OCTOBER, "overview-rank-by.value": "onsite_rate"},
    )
    assert answer.status_code == 200, answer.text[:300]
    rows = {r["town_name"]: r for r in answer.json()["response"]["overview-ranking"]["rowData"]}
    assert rows["松岗镇"]["onsite_rate__text"] == "无数据"
    assert rows["松岗镇"]["rank"] is None  # not ranked
    assert rows["城关街道"]["onsite_rate__text"].endswith("%")

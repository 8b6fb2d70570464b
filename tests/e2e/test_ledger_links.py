"""立项整改 from what the pages show (issue 17 point 3): county staff get a link that opens
整改台账 with the item prefilled — from a town's 超期未办结, a 体外循环 flag and a bad review not
yet rectified; a town official gets no such link anywhere."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from tests.e2e.conftest import DEMO_TOWN, login_session
from tests.e2e.test_outside_page import SEARCH as OUTSIDE
from tests.e2e.test_outside_page import TOWN as OUTSIDE_TOWN
from tests.e2e.test_security import callback

YEAR = "?period=this_year"


def _links(answer) -> list[dict]:
    """The query of every /ledger?new=1 link in a callback's answer (Dash components or a
    grid's markdown cells)."""
    assert answer.status_code == 200, answer.text[:300]
    text = json.dumps(answer.json(), ensure_ascii=False)
    found = []
    for part in text.split("/ledger?")[1:]:
        query = part.split('"', 1)[0].split(")", 1)[0]
        found.append({k: v[0] for k, v in parse_qs(query).items()})
    return found


def test_county_staff_open_items_from_figures_flags_and_reviews(server):
    county = login_session(server, "county")
    # a town's 超期未办结 list
    town = _links(
        callback(county, server, "town-overdue-head", {"url.search": f"{YEAR}&town={DEMO_TOWN}"})
    )
    assert len(town) == 1
    item = town[0]
    assert (item["new"], item["source"], item["town"], item["indicator"]) == (
        "1", "list", DEMO_TOWN, "overdue_open",
    )  # fmt: skip
    assert item["period"] == "custom" and item["from"] == "2026-01-01"
    assert item["problem"].startswith("城关街道超期未办结 ")
    # a 体外循环 flag: the flagged signal's card, not the others
    cards = _links(callback(county, server, "outside-body", {"url.search": OUTSIDE}))
    assert cards and {c["source"] for c in cards} == {"outside"}
    assert {c["town"] for c in cards} == {OUTSIDE_TOWN} and "late_entry" in {
        c["ref"] for c in cards
    }
    # a bad review not yet rectified
    block = {"url.search": YEAR, "evaluations-state.value": None}
    reviews = _links(callback(county, server, "evaluations-bad", block))
    assert reviews and {r["source"] for r in reviews} == {"review"}
    assert all(r["ref"] and r["indicator"] == "bad_reviews" for r in reviews)
    # the link opens 整改台账 (the form is the county user's)
    first = urlsplit("/ledger?" + "&".join(f"{k}={v}" for k, v in item.items())).path
    assert county.get(server + first, timeout=30).status_code == 200


def test_a_town_official_gets_no_ledger_links(server):
    town = login_session(server, "town")
    own = f"{YEAR}&town={DEMO_TOWN}"
    assert _links(callback(town, server, "town-overdue-head", {"url.search": own})) == []
    block = {"url.search": YEAR, "evaluations-state.value": None}
    assert _links(callback(town, server, "evaluations-bad", block)) == []

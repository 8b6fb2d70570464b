"""First render (issue 16, point 9), over real HTTP and in Chromium: scripts, styles and
pages compressed (brotli or gzip, as asked); fingerprinted bundles cached for a year, other
static files revalidated, data never kept; plotly.js only on pages with a graph, and then
the partial bundle. Speed itself is measured in bench/first_render.py, not here."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.conftest import login_context, login_session

pytestmark = pytest.mark.browser

YEAR = "public, max-age=31536000, immutable"
BUNDLE = re.compile(r"plotly-basic-|plotly\.min\.js")  # plotly.js itself, not its setup


def static_urls(index: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', index)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_answers_are_compressed_as_the_browser_asks(server, encoding):
    county = login_session(server, "county")
    county.headers["Accept-Encoding"] = encoding
    index = county.get(server + "/", timeout=30)
    assert index.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in index.headers["Vary"]
    urls = static_urls(index.text)
    assert any("dash_ag_grid" in u for u in urls) and any(
        u.endswith(".css") or ".css?" in u for u in urls
    )
    for url in urls:
        answer = county.get(server + url, timeout=60)
        assert answer.status_code == 200, url
        assert answer.headers.get("Content-Encoding") == encoding, url
        assert answer.headers["Cache-Control"] == YEAR, url
    refused = county.post(
        server + "/_dash-update-component",
        json={"output": "no-such.children", "inputs": []},
        headers={"Origin": server},
        timeout=30,
    )
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-store"
    deps = county.get(server + "/_dash-dependencies", timeout=30)
    assert deps.headers["Content-Encoding"] == encoding
    assert deps.headers["Cache-Control"] == "no-store"


def test_without_compression_asked_nothing_is_compressed(server):
    county = login_session(server, "county")
    county.headers["Accept-Encoding"] = "identity"
    index = county.get(server + "/", timeout=30)
    assert "Content-Encoding" not in index.headers
    url = next(u for u in static_urls(index.text) if "dash_ag_grid" in u)
    answer = county.get(server + url, timeout=60)
    assert "Content-Encoding" not in answer.headers and len(answer.content) > 500_000


def test_cache_headers_of_unversioned_and_private_answers(server):
    county = login_session(server, "county")
    # Dash's async chunks have no fingerprint: asked again, answered 304 by their ETag
    chunk = county.get(server + "/_dash-component-suites/dash/dcc/async-graph.js", timeout=30)
    assert chunk.headers["Cache-Control"] == "no-cache" and chunk.headers.get("ETag")
    again = county.get(
        server + "/_dash-component-suites/dash/dcc/async-graph.js",
        headers={"If-None-Match": chunk.headers["ETag"]},
        timeout=30,
    )
    assert again.status_code == 304
    # an asset without Dash's ?m= (the login page's stylesheet): revalidated
    css = requests.get(server + "/assets/vendor/bootstrap.min.css", timeout=30)
    assert css.headers["Cache-Control"] == "no-cache"
    # private data and refusals are never kept
    assert county.get(server + "/_dash-layout", timeout=30).headers["Cache-Control"] == "no-store"
    refused = requests.get(server + "/_dash-component-suites/dash/dcc/async-graph.js", timeout=30)
    assert refused.status_code == 401 and refused.headers["Cache-Control"] == "no-store"
    export = county.get(server + "/export/cases.csv?period=last_week", timeout=60)
    assert export.headers["Cache-Control"] == "no-store"


def _loaded(page) -> list[str]:
    return page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name.replace(location.origin, ''))"
    )


def test_plotly_loads_only_with_a_graph_and_then_the_partial_bundle(browser, server):
    context = login_context(browser, server, "county")
    page = context.new_page()
    responses: list = []
    page.on("response", lambda r: responses.append(r))
    try:
        page.goto(server + "/cases?period=last_month")  # a grid, no graph
        page.wait_for_selector("#cases-grid .ag-row", timeout=60_000)
        page.wait_for_load_state("networkidle")
        assert not [u for u in _loaded(page) if BUNDLE.search(u)]
        page.goto(server + "/?period=last_month")
        page.wait_for_selector("#overview-trend-month .main-svg .trace", timeout=60_000)
        loaded = [u for u in _loaded(page) if BUNDLE.search(u)]
        assert any("/assets/vendor/plotly-basic-" in u for u in loaded), loaded
        assert not any("package_data/plotly.min.js" in u for u in loaded), loaded
        # every script and stylesheet came compressed (Chromium asks for gzip over HTTP)
        static = [
            r
            for r in responses
            if r.request.resource_type in ("script", "stylesheet") and r.status == 200
        ]
        assert static
        plain = [r.url for r in static if not r.headers.get("content-encoding")]
        assert plain == []
    finally:
        context.close()

"""The app boots: every page registers once, the index renders, the downloads are routed."""

from __future__ import annotations

from dashboard.app import create_app
from dashboard.auth import accounts


def test_index_renders_and_routes_exist(pulse_env):
    app = create_app()
    accounts.add("ana", "county", (), "county-password-1")
    client = app.server.test_client()
    assert client.get("/").status_code == 302  # to /login: nobody is signed in
    assert (
        client.post("/login", data={"username": "ana", "password": "county-password-1"}).status_code
        == 302
    )
    assert client.get("/").status_code == 200  # duplicate ids or a broken layout give 500
    assert client.get("/_dash-layout").status_code == 200
    rules = {r.rule for r in app.server.url_map.iter_rules()}
    assert {"/export/cases.<kind>", "/snapshots/file/<path:name>", "/login", "/logout"} <= rules
    paths = [p["path"] for p in __import__("dash").page_registry.values()]
    assert len(paths) == len(set(paths))

"""Pages: server-side latency of every page's callbacks through Dash's HTTP endpoint, for one
user and for several concurrent users, against a running `pulse serve` (issue 5: p95 under
300 ms on a scale-10 store).

The payloads are the browser's own: Chromium opens every registered page once and the
`POST /_dash-update-component` bodies are recorded; each replay swaps in a realistic filter
(period, towns) — and, for the case explorer, a page and a sort — then times the round trip
on this machine. A DuckDB baseline (the raw town count over `cases`) gives the context.

    PULSE_DATA_DIR=/tmp/s1 uv run pulse serve --port 8071 &
    PULSE_DATA_DIR=/tmp/s1 uv run python bench/pages.py --url http://127.0.0.1:8071
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, signed_in_context, table
from bench.common import session as signed_in

CHROMIUM = "/usr/bin/chromium"
PERIODS = ("this_week", "this_month", "last_month", "this_quarter", "this_year", "last_12_months")
SORTS = (
    [{"colId": "accepted_at", "sort": "desc"}],
    [{"colId": "case_id", "sort": "asc"}],
    [{"colId": "town_name", "sort": "asc"}],
    [{"colId": "completed_at", "sort": "desc"}],
)
ROW_STARTS = (0, 0, 100, 500, 2000)  # grid blocks: mostly the first page
PAGE_QUERY = {"/rows": {"indicator": "on_time_rate"}}  # pages that need page state


def page_query(path: str) -> dict[str, str]:
    """How the page is opened: this month, or the last full week for the printed report."""
    if path == "/report":
        monday = date.today() - timedelta(days=date.today().weekday() + 7)
        return {"period": "custom", "from": str(monday), "to": str(monday + timedelta(days=6))}
    return {"period": "this_month", **PAGE_QUERY.get(path, {})}


@dataclass(frozen=True)
class Call:
    page: str
    callback: str
    body: dict


def registered_pages() -> list[tuple[str, str]]:
    """(path, name) of every page the app registers, from a fresh create_app()."""
    import dash

    from dashboard.app import create_app

    create_app()
    return [(p["path"], p["name"]) for p in dash.page_registry.values()]


def callback_name(body: dict) -> str:
    """'overview-kpis.children', or the first output and how many more."""
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    first = outputs[0]
    ident = first["id"] if isinstance(first["id"], str) else json.dumps(first["id"])
    name = f"{ident}.{first['property'].split('@')[0]}"
    return name + (f" (+{len(outputs) - 1})" if len(outputs) > 1 else "")


def capture(url: str, pages: list[tuple[str, str]]) -> list[Call]:
    """Open every page in Chromium and record the callback requests it sends."""
    from playwright.sync_api import sync_playwright

    calls: list[Call] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = signed_in_context(browser, url, viewport={"width": 1440, "height": 900})
        for path, name in pages:
            page = context.new_page()
            seen: list[dict] = []
            page.on(
                "request",
                lambda r, seen=seen: (
                    r.method == "POST"
                    and urlsplit(r.url).path.endswith("/_dash-update-component")
                    and seen.append(json.loads(r.post_data))
                ),
            )
            query = urlencode(page_query(path))
            page.goto(f"{url}{path}?{query}")
            page.wait_for_load_state("networkidle", timeout=60_000)
            page.close()
            label = f"{name} {path}"
            calls += [Call(label, callback_name(b), b) for b in seen if _has_value(b)]
        browser.close()
    return calls


def _has_value(body: dict) -> bool:
    """Skip requests a component fires before it has anything to ask (no input values)."""
    return any("value" in i for i in _flat(body.get("inputs", [])))


def _flat(items):
    for item in items:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def vary(body: dict, rnd: random.Random, towns: list[str]) -> dict:
    """The same request under another filter: a period, some towns, a grid page and sort."""
    body = copy.deepcopy(body)
    period = rnd.choice(PERIODS)
    kind = rnd.choice(("all", "all", "one", "three"))
    chosen = [] if kind == "all" else rnd.sample(towns, 1 if kind == "one" else min(3, len(towns)))
    for item in _flat([*body.get("inputs", []), *body.get("state", [])]):
        ident, prop, value = item.get("id"), item.get("property"), item.get("value")
        if (ident, prop) in (("filters", "data"), ("url", "search"), ("_pages_location", "search")):
            item["value"] = _with_filters(value, period, chosen)
        elif ident == "filter-period" and prop == "value":
            item["value"] = period
        elif ident == "filter-towns" and prop == "value":
            item["value"] = chosen
        elif prop == "getRowsRequest" and isinstance(value, dict):
            start = rnd.choice(ROW_STARTS)
            value.update(startRow=start, endRow=start + 100, sortModel=rnd.choice(SORTS))
    return body


def _with_filters(search: str | None, period: str, towns: list[str]) -> str:
    """Another period and towns; a page opened on a custom range (the printed report)
    keeps its range."""
    from dashboard.filters import Filters

    f = Filters.from_query(search)
    if f.period == "custom":
        return replace(f, towns=tuple(towns)).to_query()
    return Filters(period=period, towns=tuple(towns), channel=f.channel, extra=f.extra).to_query()


def timed(session: requests.Session, url: str, body: dict) -> tuple[float, int]:
    start = time.perf_counter()
    resp = session.post(url + "/_dash-update-component", json=body, timeout=120)
    resp.content  # noqa: B018 - read the whole answer
    return (time.perf_counter() - start) * 1000, resp.status_code


def run(url: str, calls: list[Call], towns: list[str], repeat: int, users: int) -> dict:
    """Every call `repeat` times per user, in a shuffled order, `users` threads at once."""
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    errors: dict[tuple[str, str], int] = defaultdict(int)
    lock = threading.Lock()

    def user(seed: int) -> None:
        rnd = random.Random(seed)
        work = [c for c in calls for _ in range(repeat)]
        rnd.shuffle(work)
        with signed_in(url) as session:
            for call in work:
                ms, status = timed(session, url, vary(call.body, rnd, towns))
                with lock:
                    samples[call.page, call.callback].append(ms)
                    if status not in (200, 204):
                        errors[call.page, call.callback] += 1

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"samples": samples, "errors": errors}


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def report(result: dict, order: list[tuple[str, str]]) -> tuple[str, float]:
    rows, worst = [], 0.0
    for key in order:
        values = result["samples"].get(key)
        if not values:
            continue
        high = p95(values)
        worst = max(worst, high)
        errors = result["errors"].get(key, 0)
        rows.append(
            [
                key[0],
                f"`{key[1]}`" + (f" ⚠ {errors} errors" if errors else ""),
                len(values),
                f"{statistics.median(values):.0f}",
                f"{high:.0f}",
            ]
        )
    return table(["page", "callback", "n", "p50 ms", "p95 ms"], rows), worst


def baseline(runs: int) -> tuple[float, float, int]:
    """The raw DuckDB town count over the fact table: p50, p95 ms and the rows counted."""
    from dashboard.store import Store

    store = Store(cache_mb=0)
    sql = "select town_code, count(*) as n from cases group by town_code"
    store.sql(sql)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        frame = store.sql(sql)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), p95(times), int(frame["n"].sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="a running `pulse serve`")
    ap.add_argument("--repeat", type=int, default=10, help="calls per callback, one user")
    ap.add_argument("--users", type=int, default=10, help="concurrent users of the second run")
    ap.add_argument("--repeat-each", type=int, default=3, help="calls per callback per user")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    url = args.url.rstrip("/")

    load_before = os.getloadavg()[0]
    pages = registered_pages()
    calls = capture(url, pages)
    from dashboard.store import Store

    towns = Store().query("shell__towns")["town_code"].to_list()
    order = list(dict.fromkeys((c.page, c.callback) for c in calls))
    run(url, calls, towns, 1, 1)  # warm every worker's caches and connections
    one = run(url, calls, towns, args.repeat, 1)
    many = run(url, calls, towns, args.repeat_each, args.users)
    b50, b95, rows = baseline(20)
    load_after = os.getloadavg()[0]

    print(f"## Page callbacks through `POST /_dash-update-component` — {url}\n")
    print(f"{machine()}; load average {load_before:.1f} before, {load_after:.1f} after\n")
    print(
        f"{len(pages)} pages, {len(order)} callbacks; each replayed with a random period "
        f"({', '.join(PERIODS)}) and towns (all, one, three); case-explorer blocks at rows "
        f"{sorted(set(ROW_STARTS))} with four sorts. Times are round trips on localhost.\n"
    )
    text, worst_one = report(one, order)
    print(f"### 1 user\n\n{text}\n")
    text, worst_many = report(many, order)
    print(f"### {args.users} concurrent users\n\n{text}\n")
    print(
        f"Worst p95: {worst_one:.0f} ms (1 user), {worst_many:.0f} ms ({args.users} users). "
        f"DuckDB baseline, `select town_code, count(*) from cases group by town_code` over "
        f"{rows:,} cases in this process: p50 {b50:.1f} ms, p95 {b95:.1f} ms."
    )


if __name__ == "__main__":
    main()

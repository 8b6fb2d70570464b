"""Login's cost per request (issue 13): the same callbacks against two servers on the same
store in one run — the product as served (the route gate: session lookup in the app
database, the role and callback checks, the Store's town filter, the headers) and the same
app with the gate taken out (a fixed county viewer, bench-only) — with DuckDB's own time for
the town filter on the raw facts as the baseline.

    uv run python bench/login.py --data /tmp/pulse-bench/data-1 [--repeat 60]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, ROOT, ensure_account, machine, session, table

# the gate taken out: every request reads as a county analyst (never in the product)
NO_GATE = r"""
import sys
from gunicorn.app.base import BaseApplication
from dashboard.server import options


class NoGate(BaseApplication):
    def __init__(self, opts):
        self.opts = opts
        super().__init__()

    def load_config(self):
        for key, value in self.opts.items():
            self.cfg.set(key, value)

    def load(self):
        from flask import g

        from dashboard.app import create_app
        from dashboard.auth import gate
        from dashboard.auth.access import Access, bind

        app = create_app()
        server = app.server
        server.before_request_funcs[None].remove(gate._before)
        county = Access("bench", "county", None)

        def as_county():
            g.request_id = "bench"
            g.access = county
            g.access_token = bind(county)

        server.before_request_funcs[None].insert(0, as_county)
        with server.test_client() as client:
            client.get("/", environ_overrides={gate.WARMUP: True})
        return server


NoGate(options("127.0.0.1", int(sys.argv[1]), 2)).run()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict) -> tuple[subprocess.Popen, str, int]:
    port = free_port()
    proc = subprocess.Popen(
        [*command, str(port)] if command[1] == "-c" else [*command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5)
            return proc, url, port
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP answer (503 stale data): it is up
                return proc, url, port
            time.sleep(0.5)
    raise SystemExit("server did not start")


def callback_body(deps: list[dict], output_id: str, inputs: dict, state: dict) -> dict:
    dep = next(d for d in deps if f"{output_id}." in d["output"])

    def items(spec, values):
        return [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get(f"{s['id']}.{s['property']}"),
            }
            for s in spec
        ]

    outputs = [
        {"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
        for o in dep["output"].strip(".").split("...")
    ]
    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": items(dep["inputs"], inputs),
        "state": items(dep.get("state", []), state),
        "changedPropIds": [next(iter(inputs))],
    }


def calls(deps: list[dict]) -> dict[str, dict | None]:
    month = "?period=last_month"
    block = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    return {
        "/_dash-layout (GET)": None,
        "overview-kpis": callback_body(deps, "overview-kpis", {"url.search": month}, {}),
        "overview-ranking": callback_body(
            deps, "overview-ranking", {"url.search": month, "overview-rank-by.value": "cases"}, {}
        ),
        "town-kpis": callback_body(deps, "town-kpis", {"url.search": month}, {}),
        "rows-grid (明细 block)": callback_body(
            deps,
            "rows-grid",
            {"rows-grid.getRowsRequest": block},
            {"url.search": month + "&indicator=on_time_rate"},
        ),
        "cases-grid (办件查询 block)": callback_body(
            deps, "cases-grid", {"cases-grid.getRowsRequest": block}, {"url.search": month}
        ),
    }


def measure(client, url: str, body: dict | None) -> float:
    start = time.perf_counter()
    if body is None:
        answer = client.get(url + "/_dash-layout", timeout=60)
    else:
        answer = client.post(
            url + "/_dash-update-component", json=body, timeout=60, headers={"Origin": url}
        )
    took = (time.perf_counter() - start) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{url}: {answer.status_code} {answer.text[:200]}")
    return took


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def raw_baseline(data: Path, repeat: int) -> tuple[float, float]:
    """DuckDB alone: a town's count over the cases, without and with the list filter the
    Store binds ($towns), median ms."""
    import duckdb

    con = duckdb.connect(str(data / "store" / "pulse.duckdb"), read_only=True)
    towns = [r[0] for r in con.sql("select town_code from towns").fetchall()]
    plain = "select town_code, count(*) from cases group by 1"
    filtered = (
        "select town_code, count(*) from cases where list_contains($towns, town_code) group by 1"
    )
    out = []
    for sql, params in ((plain, None), (filtered, {"towns": towns})):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            con.execute(sql, params).fetchall()
            times.append((time.perf_counter() - start) * 1000)
        out.append(statistics.median(times))
    con.close()
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="A data folder with a loaded store.")
    ap.add_argument("--repeat", type=int, default=60)
    args = ap.parse_args()
    data = Path(args.data)
    ensure_account(data)
    env = {**os.environ, "PULSE_DATA_DIR": str(data)}
    env.pop("PULSE_STORE", None)
    on = start([PY, "-m", "dashboard.cli", "serve", "--workers", "2"], env)
    off = start([PY, "-c", NO_GATE], env)
    try:
        client_on = session(on[1])
        import requests

        client_off = requests.Session()
        deps = client_on.get(on[1] + "/_dash-dependencies", timeout=60).json()
        plan = calls(deps)
        results: dict[str, dict[str, list[float]]] = {k: {"on": [], "off": []} for k in plan}
        for body in plan.values():  # warm both (Dash bundles, answer caches)
            measure(client_on, on[1], body)
            measure(client_off, off[1], body)
        for _ in range(args.repeat):  # alternate: the machine's drift hits both alike
            for name, body in plan.items():
                results[name]["on"].append(measure(client_on, on[1], body))
                results[name]["off"].append(measure(client_off, off[1], body))
        rows = []
        for name, r in results.items():
            on50, off50 = statistics.median(r["on"]), statistics.median(r["off"])
            rows.append(
                [
                    name,
                    f"{on50:.1f}",
                    f"{p95(r['on']):.1f}",
                    f"{off50:.1f}",
                    f"{p95(r['off']):.1f}",
                    f"{on50 - off50:+.1f}",
                ]
            )
        plain, filtered = raw_baseline(data, 20)
        print(f"Machine: {machine()}\n")
        print(
            f"{args.repeat} requests per callback and server, one client, answers as served "
            "(the Store's answer cache on in both).\n"
        )
        print(
            table(
                ["request", "login on p50 ms", "p95", "login off p50 ms", "p95", "Δ p50 ms"], rows
            )
        )
        print(
            f"\nDuckDB alone, cases by town over {data.name}: {plain:.1f} ms; with the "
            f"Store's town filter (list_contains($towns, town_code)): {filtered:.1f} ms."
        )
    finally:
        for proc, _, _ in (on, off):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


if __name__ == "__main__":
    main()

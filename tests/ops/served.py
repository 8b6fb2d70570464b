"""A real `pulse serve` in a child process and a real HTTP client, for the ops tests.

`http_session` is the one place that knows how to get a client that may read pages: when
the login gate arrives, it logs in here and nothing else changes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.conftest import ROOT

ANSWER_WITHIN = 30.0  # seconds after `serving on` (issue 14: a hang, not a speed figure)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pulse_env(base: Path, **extra: str) -> dict[str, str]:
    """Environment of a `pulse` child with its own data folder and config."""
    env = {
        **os.environ,
        "PULSE_DATA_DIR": str(base / "data"),
        "PULSE_CONFIG": str(base / "pulse.toml"),
        **extra,
    }
    for name in ("PULSE_STORE", "PULSE_SECRET_FILE", "PULSE_APP_DB", "PULSE_LOG_DIR"):
        if name not in extra:
            env.pop(name, None)
    return env


def pulse(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def http_session(served: Served, password: str | None = None) -> requests.Session:
    """A client that may read every page: signed in as `county` with `password`, or with the
    demo county account whose password `pulse serve --demo-if-empty` printed at start."""
    if password is None:
        found = re.search(r"用户名 county\s+密码 (\S+)", served.output)
        assert found, f"no demo account printed:\n{served.output[-2000:]}"
        password = found.group(1)
    session = requests.Session()
    while True:  # the workers may still be starting: they must answer within the window
        left = served.serving_at + ANSWER_WITHIN - time.monotonic()
        assert left > 0, f"/login: no answer {ANSWER_WITHIN} s after `serving on`"
        try:
            answer = session.post(
                served.url + "/login",
                data={"username": "county", "password": password},
                headers={"Origin": served.url},
                allow_redirects=False,
                timeout=left,
            )
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    assert answer.status_code == 302, answer.text[:300]
    return session


def pulse_input(env: dict[str, str], stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Served:
    proc: subprocess.Popen
    url: str
    serving_at: float  # time.monotonic() of the `serving on` line
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if self.reader is not None:
            self.reader.join(10)
        self.proc.stdout.close()


def serve(env: dict[str, str], *args: str, start_timeout: float = 600) -> Served:
    """Start `pulse serve --port P ARGS` and wait for its `serving on` line."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(proc, f"http://127.0.0.1:{port}", 0.0)
    seen = threading.Event()

    def pump() -> None:  # keep reading, or the server blocks on a full pipe
        for line in proc.stdout:
            served.lines.append(line)
            if "serving on" in line and not seen.is_set():
                served.serving_at = time.monotonic()
                seen.set()

    served.reader = threading.Thread(target=pump, daemon=True)
    served.reader.start()
    deadline = time.monotonic() + start_timeout
    while not seen.wait(0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            served.stop()
            raise RuntimeError(f"no `serving on` line:\n{served.output}")
    return served


def callback_payload(deps: list[dict], output_id: str) -> dict:
    """The request body Dash's renderer posts for the callback that outputs `output_id`,
    built from the server's own /_dash-dependencies."""
    (cb,) = [c for c in deps if f"{output_id}." in c["output"]]
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in cb["output"].strip(".").split("...")
    ]
    return {
        "output": cb["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [
            {"id": i["id"], "property": i["property"], "value": "?period=this_month"}
            for i in cb["inputs"]
        ],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in cb["inputs"]],
        "state": [],
    }


def first_answers(served: Served, password: str | None = None) -> dict[str, float]:
    """Home page, the shell layout (reads the store) and the shell's 数据截至 callback (reads
    the store through polars), each within ANSWER_WITHIN seconds of `serving on`.
    Returns the seconds after `serving on` at which each answered."""
    client = http_session(served, password)
    deadline = served.serving_at + ANSWER_WITHIN
    times: dict[str, float] = {}

    def get(path: str) -> requests.Response:
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"{path}: no answer {ANSWER_WITHIN} s after `serving on`"
            try:
                resp = client.get(served.url + path, timeout=left)
            except requests.ConnectionError:
                time.sleep(0.2)
                continue
            except requests.Timeout:
                raise AssertionError(f"{path}: no answer within {ANSWER_WITHIN} s") from None
            times[path] = time.monotonic() - served.serving_at
            return resp

    home = get("/")
    assert home.status_code == 200 and "_dash-config" in home.text, home.text[:500]
    layout = get("/_dash-layout")
    assert layout.status_code == 200 and "shell-as-of" in layout.text
    deps = get("/_dash-dependencies").json()
    body = callback_payload(deps, "shell-as-of")
    resp = client.post(
        served.url + "/_dash-update-component",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=max(0.1, deadline - time.monotonic()),
    )
    times["callback"] = time.monotonic() - served.serving_at
    assert resp.status_code == 200, resp.text[:500]
    answer = resp.json()["response"]
    assert answer["shell-as-of"]["children"].startswith("数据截至 "), answer
    return times


def threads_of(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))

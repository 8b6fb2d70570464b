"""Log files: the request id on every line, and rotation shared by several processes (the
gunicorn workers) without losing or mixing lines."""

from __future__ import annotations

import logging
import subprocess
import sys

import flask

from dashboard.logs import ERROR_FORMAT, RequestIdFilter, SharedRotatingFileHandler
from tests.conftest import ROOT

WRITER = """
import logging, sys
from dashboard.logs import SharedRotatingFileHandler
handler = SharedRotatingFileHandler(sys.argv[1], rotate="size", max_bytes=20_000, keep=1000)
handler.setFormatter(logging.Formatter("%(message)s"))
log = logging.getLogger("w")
log.addHandler(handler)
log.setLevel(logging.INFO)
for i in range(1500):
    log.info("writer %s line %05d %s", sys.argv[2], i, "x" * 40)
"""


def test_rotation_shared_by_processes_keeps_every_line(tmp_path):
    target = tmp_path / "logs" / "access.log"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(n)], cwd=ROOT)
        for n in range(3)
    ]
    assert [w.wait(120) for w in writers] == [0, 0, 0]
    files = sorted(target.parent.glob("access.log*"))
    rotated = [f for f in files if f.suffix[1:].isdigit()]
    assert len(rotated) > 10  # it did rotate, many times, under contention
    lines = [
        line for f in files if not f.name.endswith(".lock") for line in f.read_text().splitlines()
    ]
    assert len(lines) == 3 * 1500
    for n in range(3):
        mine = [line for line in lines if line.startswith(f"writer {n} ")]
        assert sorted(mine) == [f"writer {n} line {i:05d} {'x' * 40}" for i in range(1500)]
    assert all(f.stat().st_size <= 20_000 for f in rotated)


def test_daily_rotation_keeps_the_newest_days(tmp_path):
    import os
    import time

    target = tmp_path / "error.log"
    handler = SharedRotatingFileHandler(target, rotate="daily", keep=2)
    log = logging.getLogger("daily-test")
    log.addHandler(handler)
    try:
        for days_ago in (4, 3, 2, 1):
            log.warning("written %d days ago", days_ago)
            past = time.time() - days_ago * 86400
            os.utime(target, (past, past))
        log.warning("today")
    finally:
        log.removeHandler(handler)
        handler.close()
    dated = sorted(p.name for p in tmp_path.glob("error.log.*") if not p.name.endswith("lock"))
    assert len(dated) == 2  # the two newest earlier days
    assert target.read_text() == "today\n"


def test_error_lines_carry_the_request_id(tmp_path):
    handler = SharedRotatingFileHandler(tmp_path / "error.log")
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(ERROR_FORMAT))
    log = logging.getLogger("request-id-test")
    log.addHandler(handler)
    app = flask.Flask("t")

    @app.before_request
    def stamp():
        flask.g.request_id = "0123456789ab"

    @app.get("/boom")
    def boom():
        log.error("inside a request")
        return "ok"

    try:
        assert app.test_client().get("/boom").status_code == 200
        log.error("outside any request")
    finally:
        log.removeHandler(handler)
        handler.close()
    inside, outside = (tmp_path / "error.log").read_text().splitlines()
    assert " ERROR 0123456789ab request-id-test: inside a request" in inside
    assert " ERROR - request-id-test: outside any request" in outside

"""The shell's parts that need no browser (issue 16): the grids' Chinese default, the plotly
bundle and locale, the compression cache, the Chinese index, the 周报 page's empty state and
its background job's states."""

from __future__ import annotations

import fcntl
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import dash
import dash_ag_grid as dag
import pytest

from dashboard import labels
from tests.conftest import ROOT

ASSETS = ROOT / "assets"


def _find(component, kind):
    """Every component of a type in a layout tree."""
    found = [component] if isinstance(component, kind) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            found += _find(child, kind)
    return found


def test_every_grid_gets_the_chinese_texts_and_keeps_its_own(pulse_env):
    from dashboard.app import create_app

    create_app()
    plain = dag.AgGrid(id="g1")
    assert plain.dashGridOptions["localeText"] == labels.GRID_LOCALE
    own = dag.AgGrid(id="g2", dashGridOptions={"localeText": {"noRowsToShow": "没有"}, "x": 1})
    assert own.dashGridOptions["localeText"]["noRowsToShow"] == "没有"
    assert own.dashGridOptions["localeText"]["page"] == labels.GRID_LOCALE["page"]
    assert own.dashGridOptions["x"] == 1
    # a page's own grid (the overview's ranking is made with dag.AgGrid directly); pages
    # are taken from Dash's registry: importing dashboard.pages.* would register them twice
    grids = _find(dash.page_registry["pages.overview"]["layout"](), dag.AgGrid)
    assert grids and all(g.dashGridOptions["localeText"]["noRowsToShow"] for g in grids)
    assert all("No Rows" not in json.dumps(g.dashGridOptions) for g in grids)


def test_dropdowns_and_date_pickers_get_chinese_texts(pulse_env):
    from dash import dcc

    from dashboard.app import create_app

    create_app()
    assert dcc.Dropdown(id="d", multi=True).labels == labels.DROPDOWN_LABELS
    own = dcc.Dropdown(id="d2", labels={"search": "找"})
    assert own.labels["search"] == "找" and own.labels["select_all"] == "全选"
    picker = dcc.DatePickerRange(id="r")
    assert (picker.start_date_placeholder_text, picker.end_date_placeholder_text) == (
        "开始日期",
        "结束日期",
    )
    assert dcc.DatePickerSingle(id="s").placeholder == "选择日期"
    assert dcc.DatePickerSingle(id="s2", placeholder="某日").placeholder == "某日"


def test_grid_texts_cover_what_ag_grid_says_in_english():
    """Every text AG Grid shows in a community grid like ours has a Chinese value."""
    needed = {
        "noRowsToShow",
        "noMatchingRows",
        "loadingOoo",
        "page",
        "of",
        "to",
        "firstPage",
        "lastPage",
        "nextPage",
        "previousPage",
        "pageSizeSelectorLabel",
        "ariaSortableColumn",
        "ariaFilterInput",
        "ariaLabelColumnFilter",
        "ariaMenuColumn",
        "ariaFilterColumn",
        "filterOoo",
        "applyFilter",
        "resetFilter",
    }
    assert needed <= set(labels.GRID_LOCALE)
    keys = {"Ctrl", "Alt"}  # keyboard keys are labelled so
    words = {w for v in labels.GRID_LOCALE.values() for w in re.findall(r"[A-Za-z]{2,}", v)}
    assert words <= keys


def test_the_partial_plotly_bundle_matches_the_python_package():
    from plotly.offline import get_plotlyjs_version

    version = get_plotlyjs_version()
    bundle = ASSETS / "vendor" / f"plotly-basic-{version}.min.js"
    assert bundle.exists(), f"vendor plotly.js-basic-dist-min@{version} as {bundle.name}"
    assert f"v{version}" in bundle.read_text(encoding="utf-8")[:300]
    setup = (ASSETS / "plotly-setup.js").read_text(encoding="utf-8")
    assert f"vendor/plotly-basic-{version}.min.js" in setup
    assert "format" in setup and "'1月'" in setup and "month: '%Y年%-m月'" in setup
    assert sorted(p.name for p in (ASSETS / "vendor").glob("plotly-basic-*.js")) == [bundle.name]


def test_figures_use_only_traces_of_the_partial_bundle():
    """plotly.js basic has scatter, bar and pie: another trace type would draw nothing."""
    used = set()
    for path in (ROOT / "dashboard").rglob("*.py"):
        used |= set(re.findall(r"\bgo\.([A-Z]\w*)\(", path.read_text(encoding="utf-8")))
        assert "plotly.express" not in path.read_text(encoding="utf-8"), path
    assert used <= {"Figure", "Scatter", "Bar", "Pie"}, used


def test_the_compression_cache_keeps_only_static_files(tmp_path):
    from flask import Flask

    from dashboard import compression

    app = Flask(__name__)
    (tmp_path / "pulse.css").write_text("body{}")
    with app.test_request_context(
        "/_dash-component-suites/dash/dcc/dash_core_components.v4_4_1m1764526740.js"
    ):
        from flask import request

        key = compression.cache_key(request, tmp_path)
    assert key == "/_dash-component-suites/dash/dcc/dash_core_components.js"
    with app.test_request_context("/assets/pulse.css?m=123"):
        from flask import request

        asset = compression.cache_key(request, tmp_path)
    assert asset.startswith("/assets/pulse.css@")
    for path in ("/_dash-update-component", "/", "/_dash-layout", "/assets/nope.css"):
        with app.test_request_context(path):
            from flask import request

            assert compression.cache_key(request, tmp_path) == compression.UNCACHED
    cache = compression.StaticCache()
    cache.set("br;" + key, b"x")
    cache.set("br;" + compression.UNCACHED, b"data")
    assert cache.get("br;" + key) == b"x"
    assert cache.get("br;" + compression.UNCACHED) is None


def test_the_index_is_chinese(pulse_env):
    from dashboard.app import create_app

    app = create_app()
    page = app.interpolate_index(app_entry='<div class="_dash-loading">Loading...</div>')
    assert '<html lang="zh-CN">' in page and "正在加载…" in page
    assert "Loading..." not in page and "Internet Explorer" not in page


# --- 周报: the empty page and the background job ---------------------------------------------


@pytest.fixture
def archive_dir(tmp_path, monkeypatch, pulse_env):
    folder = tmp_path / "snapshots"
    monkeypatch.setenv("PULSE_SNAPSHOT_DIR", str(folder))
    return folder


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), ensure_ascii=False, default=str)


@pytest.mark.parametrize("role", ["county", "town", "admin"])
def test_the_empty_archive_never_asks_anyone_to_run_a_command(archive_dir, role, pulse_env):
    from dashboard.app import create_app
    from dashboard.auth.access import Access, acting_as

    create_app()
    towns = frozenset({"339901001000"}) if role == "town" else None
    with acting_as(Access("someone", role, towns)):
        page = dash.page_registry["pages.snapshots"]["layout"]()
    text = _text(page)
    assert "还没有周报" in text
    assert "pulse" not in text and "Code" not in text and "命令" not in text
    has_button = "生成上周周报" in text and "snapshots-produce" in text
    assert has_button == (role == "admin")
    assert ("联系系统管理员" in text) == (role != "admin")


def test_job_states_from_the_lock_and_the_state_file(archive_dir):
    from dashboard.snapshot import job

    archive_dir.mkdir(parents=True)
    assert job.status().state == "idle"
    now = datetime.now()
    state = {"by": "admin", "week": "2026-W46", "requested_at": now.isoformat(sep=" ")}
    (archive_dir / job.STATE).write_text(json.dumps({**state, "state": "starting"}))
    assert job.status().state == "starting" and job.status().busy
    # a process holds the lock: running, and the page asks nothing new of it
    with (archive_dir / job.LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert job.status().state == "running"
        assert job.start("admin", "2026-W46") is False
        assert job.main() == 0  # a second job process leaves at once
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert json.loads((archive_dir / job.STATE).read_text())["state"] == "starting"
    # asked for long ago and nobody holds the lock: it died
    old = (now - timedelta(minutes=10)).isoformat(sep=" ")
    (archive_dir / job.STATE).write_text(
        json.dumps({**state, "requested_at": old, "state": "running"})
    )
    failed = job.status()
    assert failed.state == "failed" and "意外结束" in failed.message
    done = {**state, "state": "done", "finished_at": now.isoformat(sep=" "), "message": "x.pdf"}
    (archive_dir / job.STATE).write_text(json.dumps(done))
    assert job.status().state == "done" and not job.status().busy


def test_the_job_reports_the_file_it_made():
    from dashboard.snapshot import job

    out = "/var/lib/service-pulse/snapshots/示范县-2026-W46.pdf  (2026年第46周, 21.3 s)\n"
    assert job._summary(out) == "示范县-2026-W46.pdf (2026年第46周, 21.3 s)"
    assert Path(job.__file__).name == "job.py"


def test_the_button_callback_reaches_every_app_of_a_process(pulse_env):
    """Dash hands module-level callbacks to the first app only; the button's is added by the
    page each time an app is built (as a PDF job's private server does beside a test's)."""
    from dashboard.app import create_app

    for _ in range(2):
        app = create_app()
        app.server.test_client().get("/login")  # Dash gathers the callbacks on a first request
        (key,) = [k for k in app.callback_map if k.startswith("snapshots-started.")]
        assert app.callback_map[key]["callback"].__module__ == "dashboard.snapshot.button"

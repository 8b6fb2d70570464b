"""The 周报 page's "生成上周周报" button (admins only) and how a report being made is shown.

Its callback (register()) lives here, outside the page's module, on purpose: the route gate allows a
callback to the roles of the page whose module defines it, and a callback of no page to
admins only (dashboard/auth/gate.py _callback_allowed) — so a county or town user's request
to it is refused before it runs. It checks the role itself too.
"""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.auth import access, audit
from dashboard.auth.access import AccessDenied
from dashboard.domain import periods
from dashboard.snapshot import job


class Ids:
    PRODUCE = "snapshots-produce"
    JOB = "snapshots-job"
    STARTED = "snapshots-started"  # dcc.Store: when the button last started a job


def controls(state: job.JobStatus) -> html.Div:
    """The button and the job's state (the week it would make, when nothing is running)."""
    return html.Div(
        [
            dbc.Button(
                "生成上周周报",
                id=Ids.PRODUCE,
                color="primary",
                size="sm",
                disabled=state.busy,
                className="me-3",
            ),
            html.Span(describe(state), id=Ids.JOB, className="small"),
            dcc.Store(id=Ids.STARTED),
        ],
        className="d-flex flex-wrap align-items-center gap-2 mb-3 snapshots-admin",
    )


def describe(state: job.JobStatus) -> list | str:
    """The job's state in a sentence (with a spinner while it runs)."""
    if not state.week and state.state == "idle":
        state = job.JobStatus("idle", week=_last_week())
    label = _label(state.week)
    if state.state == "starting":
        return [dbc.Spinner(size="sm", spinner_class_name="me-2"), f"正在启动{label}周报的生成…"]
    if state.state == "running":
        since = ""
        if state.requested_at:
            seconds = max(0, int((datetime.now() - state.requested_at).total_seconds()))
            since = f"(已用 {seconds} 秒)"
        return [dbc.Spinner(size="sm", spinner_class_name="me-2"), f"正在生成{label}周报…{since}"]
    by = f",由 {state.by} 发起" if state.by else ""
    when = f"{state.finished_at:%m-%d %H:%M} " if state.finished_at else ""
    took = f"(用时 {state.seconds:.0f} 秒)" if state.seconds is not None else ""
    if state.state == "done":
        return html.Span(f"✓ {when}已生成{label}全县周报{took}{by}。", className="text-success")
    if state.state == "failed":
        return html.Span(
            f"✗ {when}{label}周报生成失败{by}:{state.message}", className="text-danger"
        )
    return f"将生成{label}的全县周报,完成后出现在下方列表中。"


def _label(week: str | None) -> str:
    return periods.iso_week(week).label if week else "上一周"


def register() -> None:
    """Adds the button's callback to the app being built. The 周报 page's module calls it:
    Dash runs page modules once per app, whereas a callback declared at this module's import
    would reach only the first app of a process."""
    callback(
        Output(Ids.STARTED, "data"),
        Input(Ids.PRODUCE, "n_clicks"),
        prevent_initial_call=True,
    )(produce)


def produce(clicks):
    """Start last week's county report in the background; the page then follows it."""
    viewer = access.current()
    if viewer.role != "admin":
        raise AccessDenied("只有管理员可以生成周报")
    if not clicks:
        return None
    week = _last_week()
    started = job.start(viewer.user or "admin", week)
    audit.record("snapshot", {"week": week, "started": started})
    return datetime.now().isoformat(timespec="seconds")


def _last_week() -> str | None:
    """The week `pulse snapshot` makes: the last complete one before 数据截至."""
    from dashboard.domain.metrics import default_as_of
    from dashboard.snapshot.content import default_week
    from dashboard.store import StoreEmpty, default_store

    try:
        return default_week(default_as_of(default_store())).iso_week
    except (StoreEmpty, ValueError):
        return None

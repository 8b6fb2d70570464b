"""Chinese defaults for the third-party components every page uses (issue 16): whoever
builds a dash-ag-grid, a dcc.Dropdown or a dcc date picker — the shell, any page, the wall —
gets its texts in Chinese without remembering to (install(), once, from create_app).

- AG Grid has no global locale: each grid's dashGridOptions.localeText gets
  labels.GRID_LOCALE under the texts the grid sets itself (those win).
- Dash 4's Dropdown says Select All / Search / No options found unless given `labels`.
- Dash 4's date pickers say Start Date / End Date / Select Date unless given placeholders;
  their month and weekday names come from date-fns's zh-CN locale (assets/vendor), and the
  few aria-labels they hard-code (Previous month …) are put into Chinese by assets/shell.js.
"""

from __future__ import annotations

import functools

import dash_ag_grid as dag
from dash import dcc

from dashboard import labels


def _defaults(component: type, fill) -> None:
    """Wrap a Dash component's __init__ so that `fill(self)` completes its props."""
    if getattr(component, "_pulse_defaults", False):
        return
    original = component.__init__

    @functools.wraps(original)
    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        fill(self)

    component.__init__ = init
    component._pulse_defaults = True


def _grid(grid: dag.AgGrid) -> None:
    options = dict(getattr(grid, "dashGridOptions", None) or {})
    options["localeText"] = {**labels.GRID_LOCALE, **(options.get("localeText") or {})}
    grid.dashGridOptions = options


def _dropdown(dropdown: dcc.Dropdown) -> None:
    dropdown.labels = {**labels.DROPDOWN_LABELS, **(getattr(dropdown, "labels", None) or {})}


def _range(picker: dcc.DatePickerRange) -> None:
    for prop, text in (
        ("start_date_placeholder_text", "开始日期"),
        ("end_date_placeholder_text", "结束日期"),
    ):
        if getattr(picker, prop, None) is None:
            setattr(picker, prop, text)


def _single(picker: dcc.DatePickerSingle) -> None:
    if getattr(picker, "placeholder", None) is None:
        picker.placeholder = "选择日期"


def install() -> None:
    _defaults(dag.AgGrid, _grid)
    _defaults(dcc.Dropdown, _dropdown)
    _defaults(dcc.DatePickerRange, _range)
    _defaults(dcc.DatePickerSingle, _single)

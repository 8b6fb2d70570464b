"""The view a page shows, parsed once from the URL: filters, period, 数据截至 and the store —
and `page_callback`, the one way a page's callback reads it.

The viewer's towns are not here: the Store takes them from the session on every query
(dashboard/store.py). A View's scope is only the towns the page asked for.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from dash import Input, Output, callback, no_update

from dashboard.auth import access
from dashboard.domain import comparisons, periods, trace
from dashboard.domain import metrics as domain_metrics
from dashboard.domain.params import Params, default_as_of
from dashboard.domain.periods import Period
from dashboard.drill import rows_href
from dashboard.filters import Filters
from dashboard.manage import ledger
from dashboard.manage.common import MANAGERS
from dashboard.store import Scope, Store, default_store

URL = "url"  # the shell's dcc.Location (dashboard/app.py Ids.URL)


@dataclass(frozen=True)
class View:
    filters: Filters
    store: Store
    as_of: datetime
    period: Period

    @classmethod
    def from_search(cls, search: str | None) -> View:
        """Raises StoreEmpty before anything is loaded, BadRequest for a malformed URL."""
        filters = Filters.from_query(search)
        store = default_store()
        as_of = default_as_of(store)
        return cls(filters, store, as_of, filters.resolve(as_of))

    @property
    def scope(self) -> Scope:
        return self.filters.scope()

    @property
    def depts(self) -> tuple[str, ...]:
        return self.filters.depts

    @property
    def previous(self) -> Period:
        return self.period.previous()

    @property
    def spans(self) -> comparisons.Spans:
        """The period as far as 数据截至 and the comparable previous span (the one rule of
        domain/comparisons.py)."""
        return comparisons.spans(self.period, self.as_of)

    def params_of(self, period: Period) -> Params:
        return Params(period.start, period.end, self.as_of)

    def params(self, period: Period | None = None, **extra: Any) -> dict[str, Any]:
        """The named parameters of the page's query files for the period (or another)."""
        p = period or self.period
        return {
            **Params(p.start, p.end, self.as_of).sql_params(),
            "depts": list(self.depts),
            **extra,
        }

    def query(self, name: str, period: Period | None = None, **extra: Any) -> pl.DataFrame:
        """dashboard/queries/<name>.sql for this view (its towns, departments and period)."""
        return self.store.query(name, scope=self.scope, **self.params(period, **extra))

    def metrics(self, by: str = "county", period: Period | None = None, **options: Any):
        """metrics() for this view's towns, departments and 数据截至 (options override)."""
        p = period or self.period
        kwargs = {"scope": self.scope, "depts": self.depts, **options}
        return domain_metrics.metrics(self.store, p.start, p.end, self.as_of, by=by, **kwargs)

    def trend(self, bucket: str, **options: Any) -> pl.DataFrame:
        """The figures by week or month over the trend window up to 数据截至."""
        start, end = periods.trend_window(self.as_of.date(), bucket)
        kwargs = {"scope": self.scope, "depts": self.depts, "flags": False, **options}
        return domain_metrics.metrics(
            self.store, start, end, self.as_of, by="county", bucket=bucket, **kwargs
        )

    def rows(self, indicator: str, **options: Any) -> pl.DataFrame:
        """The rows behind a figure of this view."""
        kwargs = {"scope": self.scope, "depts": self.depts, **options}
        return trace.rows_behind(
            self.store, indicator, self.period.start, self.period.end, as_of=self.as_of, **kwargs
        )

    def href(self, indicator: str, town: str | None = None, dept: str | None = None) -> str:
        """The 明细 page of one of this view's figures."""
        return rows_href(self.filters, indicator, town=town, dept=dept)

    def ledger_href(
        self,
        source: str,
        problem: str,
        town: str | None = None,
        dept: str | None = None,
        indicator: str | None = None,
        ref: str | None = None,
    ) -> str | None:
        """整改台账 with a new item for something this view shows, prefilled (the period of
        the view) — for county staff, who open items; None for everyone else."""
        if access.current().role not in MANAGERS:
            return None
        period = (self.period.start, self.period.end)
        return ledger.new_item_href(source, town, dept, indicator, period, ref, problem[:500])


def page_callback(*dependencies: Any, **kwargs: Any):
    """dash.callback for a page drawn from the URL: the URL's search is added as the first
    input, and the function receives the View (parsed once) instead of the search string,
    then the other inputs. Until the URL is known every output stays as it is.

        @page_callback(Output(Ids.KPIS, "children"))
        def show_kpis(view: View): ...
    """
    outputs = [d for d in dependencies if isinstance(d, Output)]
    rest = [d for d in dependencies if not isinstance(d, Output)]
    unchanged = no_update if len(outputs) == 1 else (no_update,) * len(outputs)

    def decorate(fn):
        @callback(*outputs, Input(URL, "search"), *rest, **kwargs)
        @functools.wraps(fn)  # keeps the page's module: the route gate allows callbacks by it
        def run(search, *values):
            if search is None:
                return unchanged
            return fn(View.from_search(search), *values)

        return run

    return decorate

"""差评整改: where the period's bad reviews stand — 已整改, 整改期内 (not yet due), 超期未整改 —
so that only what is due is judged: a rectification rate of 18.7% is not red while no bad
review is past its deadline (etl/sql/flags/01_records.sql is_rectify_overdue; the deadline
is indicators.rectify_deadline_days working days after the rating)."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.domain.indicators import Status
from dashboard.domain.params import Params
from dashboard.store import COUNTY, Scope, Store


@dataclass(frozen=True)
class Rectification:
    bad_reviews: int
    rectified: int  # 已整改 (on time or late)
    within: int  # not rectified, deadline not yet passed
    overdue: int  # not rectified, past the deadline

    @property
    def status(self) -> Status:
        if self.bad_reviews == 0:
            return "none"
        return "red" if self.overdue else "green"

    def text(self) -> str:
        return f"已整改 {self.rectified:,} · 整改期内 {self.within:,} · 超期未整改 {self.overdue:,}"


def rectification(
    store: Store, params: Params, scope: Scope = COUNTY, depts: tuple[str, ...] = ()
) -> Rectification:
    """The period's bad reviews by where their rectification stands."""
    states = store.query(
        "evaluations__rectify_states", scope=scope, **params.sql_params(), depts=list(depts)
    )
    bad = int(states["bad_reviews"].sum()) if states.height else 0
    rectified = overdue = 0
    for status, n, late in states.select("rectify_status", "bad_reviews", "rectify_overdue").rows():
        if status == "已整改":
            rectified += int(n)
        else:
            overdue += int(late)
    return Rectification(bad, rectified, bad - rectified - overdue, overdue)

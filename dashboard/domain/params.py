"""The parameters every figure is computed with: the period, the moment `as_of`, and the
indicator settings the flag macros take (etl/sql/flags/01_records.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dashboard.store import Store
from etl import settings


@dataclass(frozen=True)
class Params:
    date_from: date
    date_to: date
    as_of: datetime

    def sql_params(self) -> dict:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "as_of": self.as_of,
            "online_channels": list(settings.get("indicators.online_channels")),
            "horizon": int(settings.get("indicators.warning_horizon_workdays")),
            "satisfied_rating": int(settings.get("indicators.satisfied_rating")),
            "rectify_days": int(settings.get("indicators.rectify_deadline_days")),
        }


def data_span(store: Store) -> tuple[date | None, date | None]:
    """The first and last day the loaded data covers (cases, evaluations, tickets)."""
    row = store.query("shell__data_range").row(0)
    return row[0], row[1]


def default_as_of(store: Store) -> datetime:
    """The extraction time of the newest loaded file (contract §7)."""
    value = store.meta().get("as_of")
    if not value:
        raise ValueError("no extraction time known: load a case, hotline or evaluation file first")
    return datetime.fromisoformat(value)

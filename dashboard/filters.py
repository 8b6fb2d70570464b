"""The view's state — period, towns, departments, channel and page extras — as a URL query.

A link reproduces the view and the back button works because the URL is the only place
the state lives: widgets are set from it, and every widget change writes it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from urllib.parse import parse_qs, urlencode

from dashboard import periods
from dashboard.store import COUNTY, Scope

DEFAULT_PERIOD = "this_month"
LIST_KEYS = ("towns", "depts")


@dataclass(frozen=True)
class Filters:
    period: str = DEFAULT_PERIOD
    date_from: date | None = None  # custom period only
    date_to: date | None = None
    towns: tuple[str, ...] = ()
    depts: tuple[str, ...] = ()
    channel: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # page state: town, dept, indicator …

    @classmethod
    def from_query(cls, search: str | None) -> Filters:
        raw = parse_qs((search or "").lstrip("?"), keep_blank_values=False)

        def one(key: str, default: str = "") -> str:
            return raw.get(key, [default])[0]

        def day(key: str) -> date | None:
            try:
                return date.fromisoformat(one(key)) if one(key) else None
            except ValueError:
                return None

        period = one("period", DEFAULT_PERIOD)
        if period not in periods.LABELS:
            period = DEFAULT_PERIOD
        known = {"period", "from", "to", "channel", *LIST_KEYS}
        return cls(
            period=period,
            date_from=day("from"),
            date_to=day("to"),
            towns=tuple(t for v in raw.get("towns", []) for t in v.split(",") if t),
            depts=tuple(d for v in raw.get("depts", []) for d in v.split(",") if d),
            channel=one("channel"),
            extra={k: v[0] for k, v in raw.items() if k not in known},
        )

    def to_query(self) -> str:
        pairs: list[tuple[str, str]] = [("period", self.period)]
        if self.period == "custom" and self.date_from and self.date_to:
            pairs += [("from", self.date_from.isoformat()), ("to", self.date_to.isoformat())]
        if self.towns:
            pairs.append(("towns", ",".join(self.towns)))
        if self.depts:
            pairs.append(("depts", ",".join(self.depts)))
        if self.channel:
            pairs.append(("channel", self.channel))
        pairs += sorted(self.extra.items())
        return "?" + urlencode(pairs, safe=",")

    def with_extra(self, **values: str | None) -> Filters:
        extra = {**self.extra, **{k: v for k, v in values.items() if v}}
        for k, v in values.items():
            if not v:
                extra.pop(k, None)
        return replace(self, extra=extra)

    def resolve(self, as_of: datetime) -> periods.Period:
        """The period as dates; named periods count from the 数据截至 date."""
        if self.period == "custom":
            if self.date_from and self.date_to:
                return periods.Period(
                    min(self.date_from, self.date_to), max(self.date_from, self.date_to), "custom"
                )
            return periods.named(DEFAULT_PERIOD, as_of.date())
        return periods.named(self.period, as_of.date())

    def scope(self, access: Scope = COUNTY) -> Scope:
        """The viewer's access scope narrowed to the chosen towns."""
        if not self.towns:
            return access
        allowed = set(access.towns) if access.towns is not None else None
        towns = tuple(t for t in self.towns if allowed is None or t in allowed)
        return Scope(towns)

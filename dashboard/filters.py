"""The view's state — period, counties, towns, departments, channel and page extras — as a URL
query.

A link reproduces the view and the back button works because the URL is the only place
the state lives: widgets are set from it, and every widget change writes it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from urllib.parse import parse_qs, urlencode

from dashboard.domain import periods
from dashboard.errors import BadRequest
from dashboard.store import COUNTY, Scope
from etl import settings

DEFAULT_PERIOD = "this_month"
LIST_KEYS = ("towns", "depts", "counties")
# the days a period may name: wide enough for any county's data, narrow enough that the
# previous period and a year's buckets stay real dates
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
MAX_VALUE_CHARS = 100  # a town code, a department name
MAX_EXTRA_CHARS = 4000  # a page value (a grid's sort or filter model is JSON)


def _values(raw: dict[str, list[str]], key: str) -> tuple[str, ...]:
    """A comma-separated list from the query, refused when longer than a person would ask."""
    values = tuple(v for part in raw.get(key, []) for v in part.split(",") if v)
    most = int(settings.get("serve.max_filter_values"))
    if len(values) > most:
        raise BadRequest(f"筛选条件过多:{key} 最多 {most} 项")
    if any(len(v) > MAX_VALUE_CHARS for v in values):
        raise BadRequest(f"筛选值过长:{key}")
    return values


@dataclass(frozen=True)
class Filters:
    period: str = DEFAULT_PERIOD
    date_from: date | None = None  # custom period only
    date_to: date | None = None
    towns: tuple[str, ...] = ()
    depts: tuple[str, ...] = ()
    channel: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # page state: town, dept, indicator …
    counties: tuple[str, ...] = ()  # issue 18: the counties chosen (empty: every county)

    @classmethod
    def from_query(cls, search: str | None) -> Filters:
        if search is not None and not isinstance(search, str):
            raise BadRequest("查询参数无效")
        raw = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
        if any(len(v) > MAX_EXTRA_CHARS for k, vs in raw.items() if k not in LIST_KEYS for v in vs):
            raise BadRequest("查询参数过长")

        def one(key: str, default: str = "") -> str:
            return raw.get(key, [default])[0]

        def day(key: str) -> date | None:
            try:
                value = date.fromisoformat(one(key)) if one(key) else None
            except ValueError:
                return None
            if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                raise BadRequest(f"日期超出范围:{value}(应在 {FIRST_DAY} 至 {LAST_DAY} 之间)")
            return value

        period = one("period", DEFAULT_PERIOD)
        if period not in periods.LABELS:
            period = DEFAULT_PERIOD
        known = {"period", "from", "to", "channel", *LIST_KEYS}
        return cls(
            period=period,
            date_from=day("from"),
            date_to=day("to"),
            towns=_values(raw, "towns"),
            depts=_values(raw, "depts"),
            channel=one("channel"),
            extra={k: v[0] for k, v in raw.items() if k not in known},
            counties=_values(raw, "counties"),
        )

    def to_query(self) -> str:
        pairs: list[tuple[str, str]] = [("period", self.period)]
        if self.period == "custom" and self.date_from and self.date_to:
            pairs += [("from", self.date_from.isoformat()), ("to", self.date_to.isoformat())]
        if self.counties:
            pairs.append(("counties", ",".join(self.counties)))
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
                if self.date_from > self.date_to:  # said, never silently swapped
                    raise BadRequest(
                        f"开始日期 {self.date_from} 晚于结束日期 {self.date_to},请重新选择期间"
                    )
                return periods.Period(self.date_from, self.date_to, "custom")
            return periods.named(DEFAULT_PERIOD, as_of.date())
        return periods.named(self.period, as_of.date())

    def scope(self) -> Scope:
        """The towns and counties asked for (the Store narrows them to the viewer's own)."""
        if not self.towns and not self.counties:
            return COUNTY
        return Scope(self.towns or None, self.counties or None)

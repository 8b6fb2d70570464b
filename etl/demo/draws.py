"""What the simulation draws on: one independent random stream per purpose, weighted
choices, and the calendar (day indices, working days by the PRC calendar) in which times
are int64 seconds of naive local time."""

from __future__ import annotations

import zlib
from datetime import date, timedelta

import numpy as np
import polars as pl

_EPOCH = date(1970, 1, 1)
_DAY = 86_400
_NONE = -1  # "no timestamp" in the int64 second arrays


def _rng(seed: int, name: str) -> np.random.Generator:
    """One independent stream per purpose, so that changing one part leaves the others."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _is_workday(day: date) -> bool:
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not know: Monday to Friday
        return day.weekday() < 5


class _Calendar:
    """Day indices from `first`; working days by the PRC calendar."""

    def __init__(self, first: date, n_days: int):
        self.first = first
        self.dates = [first + timedelta(days=i) for i in range(n_days)]
        self.work = np.array([_is_workday(d) for d in self.dates])
        self.seq = np.cumsum(self.work)  # working days up to and including the day
        self.workdays = np.flatnonzero(self.work)
        self.epoch0 = (first - _EPOCH).days * _DAY
        self.month = np.array([d.year * 12 + d.month - 1 for d in self.dates])
        self.week = (np.arange(n_days) + (first - _EPOCH).days + 3) // 7  # Monday-based
        self.weekday = np.array([d.weekday() for d in self.dates])
        self.ymd = pl.Series([d.strftime("%Y%m%d") for d in self.dates])

    def nth_workday_after(self, day: np.ndarray, k: np.ndarray | int) -> np.ndarray:
        """Day index of the k-th (k >= 1) working day strictly after `day`."""
        pos = self.seq[day] + np.asarray(k) - 1
        return self.workdays[np.clip(pos, 0, len(self.workdays) - 1)]

    def secs(self, day: np.ndarray, tod: np.ndarray) -> np.ndarray:
        return self.epoch0 + day.astype(np.int64) * _DAY + tod.astype(np.int64)

    def day_of(self, secs: np.ndarray) -> np.ndarray:
        return (secs - self.epoch0) // _DAY


def _choice(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _choice_by_group(rng: np.random.Generator, group: np.ndarray, table: np.ndarray) -> np.ndarray:
    """For each element, a column of `table[group]` drawn with the row's weights."""
    n_groups, width = table.shape
    rows = table / np.maximum(table.sum(axis=1, keepdims=True), 1e-300)
    cum = np.cumsum(rows, axis=1) + np.arange(n_groups)[:, None]  # monotone across rows
    flat = cum.ravel()
    idx = np.searchsorted(flat, group + rng.random(len(group)), side="right")
    return np.minimum(idx - group * width, width - 1)


def _rank_in_groups(sorted_key: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal keys (the keys sorted)."""
    n = len(sorted_key)
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_key[1:] != sorted_key[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - first

"""The county's year, simulated: cases, evaluations and hotline tickets as numpy arrays (one
array per column, no Python loop per row), with the planted problems built in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.demo.county import (
    _BAD_COMMENTS,
    _BUNDLES,
    _CROSS_PROVINCE_ITEMS,
    _DEPT_BY_TYPE,
    _DEPT_WEIGHT,
    _DONE,
    _GOOD_COMMENTS,
    _ITEMS,
    _NOT_STATIONED,
    _OPEN,
    _PAUSABLE_ITEMS,
    _REFUSED,
    _TOPICS,
    _TOWNS,
    _WITHDRAWN,
    ATTRIBUTE_TOWNS,
    CASES_PER_YEAR,
    COUNTY_DEPARTMENTS,
    DEPARTMENTS,
    ONE_WINDOW_SHARE,
    TICKETS_PER_YEAR,
    VILLAGES_PER_TOWN,
)
from etl.demo.draws import (
    _DAY,
    _NONE,
    _Calendar,
    _choice,
    _choice_by_group,
    _rank_in_groups,
    _rng,
)
from etl.demo.people import _PHONE_PREFIXES
from etl.demo.planted import _planted_cell

# Time of day (seconds) in 30-minute bins: service windows 8:30-17:30 with a lunch dip.
_WINDOW_BINS = np.arange(17, 35) * 1800  # 8:30 ... 17:00
_WINDOW_WEIGHTS = [5, 9, 10, 10, 9, 8, 6, 2, 1, 2, 6, 8, 8, 8, 7, 6, 4, 2]
# Online: hourly, from early morning to late evening.
_ONLINE_BINS = np.arange(24) * 3600
_ONLINE_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 3, 6, 9, 10, 9, 7, 8, 9, 9, 8, 7, 6, 6, 6, 5, 3, 1]
# 12345: the hotline takes calls round the clock, most in the day.
# fmt: off
_HOTLINE_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 4, 8, 10, 10, 9,
                    6, 7, 9, 9, 8, 7, 6, 6, 5, 4, 2, 1]
# fmt: on


def _tod_window(rng: np.random.Generator, n: int) -> np.ndarray:
    return _WINDOW_BINS[_choice(rng, n, _WINDOW_WEIGHTS)] + rng.integers(0, 1800, n)


def _tod_online(rng: np.random.Generator, n: int) -> np.ndarray:
    return _ONLINE_BINS[_choice(rng, n, _ONLINE_WEIGHTS)] + rng.integers(0, 3600, n)


_MONTH_FACTOR = np.array([1.05, 0.75, 1.05, 1.0, 0.95, 1.0, 1.0, 0.95, 1.05, 0.9, 1.1, 1.15])
_WEEKDAY_FACTOR = np.array([1.2, 1.05, 1.0, 1.0, 0.9, 0.8, 0.8])  # Mon..Sun (调休 weekends)


# --------------------------------------------------------------------------- cases


def _dept_shares(rng: np.random.Generator) -> np.ndarray:
    """shares[t, k]: expected cases of department k in town t (not normalised)."""
    shares = np.zeros((len(_TOWNS), len(DEPARTMENTS)))
    for t, town in enumerate(_TOWNS):
        w = _DEPT_WEIGHT.copy()
        for dept, f in _DEPT_BY_TYPE[town.kind].items():
            w[DEPARTMENTS.index(dept)] *= f
        w *= rng.lognormal(0.0, 0.15, len(w))
        for k, dept in enumerate(DEPARTMENTS):
            if (town.name, dept) in _NOT_STATIONED:
                w[k] = 0.0
        shares[t] = town.weight * w / w.sum()
    return shares


@dataclass
class _Cases:
    town: np.ndarray
    dept: np.ndarray
    item: np.ndarray
    channel: np.ndarray
    accepted: np.ndarray  # int64 seconds (naive local time since 1970)
    promised: np.ndarray
    completed: np.ndarray  # _NONE while open
    status: np.ndarray
    recorded: np.ndarray
    day: np.ndarray  # acceptance day index
    seq: np.ndarray  # number within (town, day): the case id's tail
    ewc_expected: float  # cases the evals-without-cases department would have had

    def take(self, idx: np.ndarray) -> None:
        for name in (
            "town",
            "dept",
            "item",
            "channel",
            "accepted",
            "promised",
            "completed",
            "status",
            "recorded",
            "day",
            "seq",
        ):
            setattr(self, name, getattr(self, name)[idx])

    def __len__(self) -> int:
        return len(self.accepted)


def _cases_core(cal: _Calendar, n_days: int, extracted: int, scale: float, seed: int) -> _Cases:
    rng = _rng(seed, "cases")
    n_towns, n_depts = len(_TOWNS), len(DEPARTMENTS)
    shares = _dept_shares(_rng(seed, "dept-shares"))
    late = _planted_cell("late_entry")
    batch = _planted_cell("batch_entry")
    instant = _planted_cell("instant_closure")
    missing = _planted_cell("missing_case_refs")
    ewc = _planted_cell("evals_without_cases")
    silent = _planted_cell("stationed_silent")
    shares[missing] *= 0.5  # most of its work never reaches the platform
    online = np.repeat([[t.online_rate] for t in _TOWNS], n_depts, axis=1)
    online[late] = online[batch] = 0.03  # paper departments: window cases

    work = cal.work[:n_days]
    month = np.array([cal.dates[d].month - 1 for d in range(n_days)])
    factor = _MONTH_FACTOR[month] * _WEEKDAY_FACTOR[cal.weekday[:n_days]]
    noise = rng.gamma(40.0, 1 / 40.0, (n_days, n_towns))[:, :, None]
    day_on = np.where(work, factor, 0.15 * _MONTH_FACTOR[month])[:, None, None]
    day_off = np.where(work, factor, 0.004)[:, None, None]
    lam_on = shares * online * day_on * noise
    lam_off = shares * (1 - online) * day_off * noise
    norm = CASES_PER_YEAR * scale / (lam_on.sum() + lam_off.sum())
    ewc_expected = float((lam_on[:, *ewc].sum() + lam_off[:, *ewc].sum()) * norm)
    for cell in (ewc, silent):
        lam_on[:, *cell] = lam_off[:, *cell] = 0.0
    count_on = rng.poisson(lam_on * norm)
    count_off = rng.poisson(lam_off * norm)
    # the evals-without-cases department: a handful of window cases on working days
    n_ewc = 2 + round(4 * scale)
    np.add.at(count_off[:, ewc[0], ewc[1]], rng.choice(np.flatnonzero(work), n_ewc), 1)

    cells = np.concatenate(
        [
            np.repeat(np.arange(count_on.size), count_on.ravel()),
            np.repeat(np.arange(count_off.size), count_off.ravel()),
        ]
    )
    is_online = np.zeros(len(cells), dtype=bool)
    is_online[: count_on.sum()] = True
    day, town, dept = np.unravel_index(cells, count_on.shape)
    n = len(cells)

    # item within the department
    dept_items = [[i for i, it in enumerate(_ITEMS) if it.dept == d] for d in DEPARTMENTS]
    width = max(map(len, dept_items))
    item_table = np.zeros((n_depts, width))
    item_index = np.zeros((n_depts, width), dtype=np.int64)
    for k, items in enumerate(dept_items):
        item_table[k, : len(items)] = [_ITEMS[i].weight for i in items]
        item_index[k, : len(items)] = items
    item = item_index[dept, _choice_by_group(rng, dept, item_table)]
    promised = np.array([it.days for it in _ITEMS])[item]

    # channel and time of acceptance
    on_work = work[day]
    channel = np.where(
        is_online,
        np.where(rng.random(n) < 0.4, 0, 1),
        np.where(on_work, 2 + _choice(rng, n, [85, 8, 7]), 3 + _choice(rng, n, [70, 30])),
    )
    tod = np.where(is_online, _tod_online(rng, n), _tod_window(rng, n))
    accepted = cal.secs(day, tod)

    # outcome
    u = rng.random(n)
    refused = u < 0.010
    withdrawn = (u >= 0.010) & (u < 0.016) & (promised > 0)
    stuck = (rng.random(n) < 0.0004) & ~withdrawn
    overdue = rng.random(n) < np.array([t.overdue_rate for t in _TOWNS])[town]
    # 即办件: minutes later the same day (rarely the next working day: overdue)
    minutes = np.clip(rng.lognormal(np.log(900), 0.8, n), 120, 4 * 3600).astype(np.int64)
    day_end = cal.secs(day, np.full(n, _DAY - 60))
    done_now = np.minimum(accepted + minutes, day_end)
    next_day = cal.secs(cal.nth_workday_after(day, 1), 9 * 3600 + rng.integers(0, 8 * 3600, n))
    done_0 = np.where(overdue & (rng.random(n) < 0.4), next_day, done_now)
    # items with a deadline: on one of the promised working days, or 1-5 days after it
    k_on_time = np.minimum(1 + np.floor(rng.beta(1.3, 2.2, n) * promised), promised)
    k = np.where(overdue, promised + rng.integers(1, 6, n), k_on_time).astype(np.int64)
    done_day = cal.nth_workday_after(day, np.maximum(k, 1))
    done_p = cal.secs(done_day, 9 * 3600 + rng.integers(0, 8 * 3600 + 1800, n))
    completed = np.where(promised == 0, done_0, done_p)
    completed = np.where(refused & (promised > 0), next_day, completed)
    completed = np.where(refused & (promised == 0), done_now, completed)

    # entry into the platform: seconds (online) or minutes (window) after acceptance
    lag = np.where(
        is_online,
        rng.integers(5, 120, n),
        np.clip(rng.lognormal(np.log(150), 0.6, n), 20, 1500).astype(np.int64),
    )
    recorded = accepted + lag
    completed = np.maximum(completed, recorded + 30)

    # planted: late entry
    m = (town == late[0]) & (dept == late[1]) & (rng.random(n) < 0.85)
    rec_day = cal.nth_workday_after(day, rng.integers(3, 11, n))
    recorded = np.where(m, cal.secs(rec_day, _tod_window(rng, n)), recorded)
    # planted: batch entry, at the next session at least 3 working days after acceptance
    m_batch = (town == batch[0]) & (dept == batch[1])
    recorded = np.where(m_batch, _batch_sessions(cal, day, accepted, m_batch, rng), recorded)
    m |= m_batch
    completed = np.where(
        m & (completed < recorded), recorded + rng.integers(60, 1800, n), completed
    )
    # planted: instant closure of items with a deadline of 5 working days or more
    m = (town == instant[0]) & (dept == instant[1]) & (promised >= 5) & ~refused & ~withdrawn
    m &= rng.random(n) < 0.95
    recorded = np.where(m, accepted + rng.integers(10, 50, n), recorded)
    completed = np.where(m, accepted + rng.integers(60, 181, n), completed)
    stuck &= ~m

    # status as of the extraction
    status = np.where(withdrawn, _WITHDRAWN, np.where(refused, _REFUSED, _DONE))
    completed = np.where(withdrawn | stuck, _NONE, completed)
    still_open = stuck | (completed > extracted)
    status = np.where(still_open & ~withdrawn, _OPEN, status)
    completed = np.where(still_open, _NONE, completed)

    cases = _Cases(
        town,
        dept,
        item,
        channel,
        accepted,
        promised,
        completed,
        status,
        recorded,
        day,
        np.zeros(n, dtype=np.int64),
        ewc_expected,
    )
    # not in the platform yet at the extraction: not in the export
    keep = (accepted < extracted) & (recorded <= extracted)
    cases.take(np.flatnonzero(keep))
    # number within (town, day), in order of acceptance
    order = np.lexsort((cases.accepted, cases.day, cases.town))
    key = cases.town[order] * 100_000 + cases.day[order]
    cases.seq[order] = _rank_in_groups(key) + 1
    cases.take(np.argsort(cases.accepted, kind="stable"))
    return cases


def _batch_sessions(
    cal: _Calendar,
    day: np.ndarray,
    accepted: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Recorded times of the batch-entry department: bursts on the last working day of each
    week and month, from 16:10 on, a few seconds apart."""
    wd = cal.workdays
    last_of_week = np.append(cal.week[wd[1:]] != cal.week[wd[:-1]], True)
    last_of_month = np.append(cal.month[wd[1:]] != cal.month[wd[:-1]], True)
    sessions = wd[last_of_week | last_of_month]
    out = np.zeros(len(day), dtype=np.int64)
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return out
    target = cal.seq[day[idx]] + 3
    pos = np.searchsorted(cal.seq[sessions], target, side="left")
    session = sessions[np.minimum(pos, len(sessions) - 1)]
    order = np.lexsort((accepted[idx], session))
    rank = np.empty(len(idx), dtype=np.int64)
    rank[order] = _rank_in_groups(session[order])
    gap = rng.integers(3, 9, len(idx))
    out[idx] = cal.secs(session, np.full(len(idx), 16 * 3600 + 600)) + rank * 6 + gap
    return out


# --------------------------------------------------------------------------- case attributes


@dataclass
class _Attributes:
    """Contract §3a for every case (written only in the files that carry the columns)."""

    recorded_by_town: np.ndarray  # bool: the town records window, 现场办结, 跨省, village
    window: np.ndarray  # -1 none, else index into WINDOW_TYPES
    window_no: np.ndarray  # the 综合窗口's number
    village: np.ndarray  # index into county.village_names(town)
    onsite: np.ndarray  # -1 unknown, 0 否, 1 是
    cross: np.ndarray  # bool: 跨省通办
    bundle: np.ndarray  # bool: part of its item's 一件事 (county._BUNDLES)
    paused: np.ndarray  # 特别程序 working days (0: none)


def _case_attributes(cal: _Calendar, cases: _Cases, seed: int) -> _Attributes:
    """Drawn from their own stream after everything else: the cases, evaluations and tickets
    (and the planted problems) are the same with or without them.

    特别程序 goes to some cases of the items that have it (公示, 听证): most of those that
    would otherwise be completed late (their clock was paused: not overdue, as the law has
    it), a few others, and some still open."""
    rng = _rng(seed, "case-attributes")
    n = len(cases)
    town, ch, item = cases.town, cases.channel, cases.item
    codes = np.array([it.code for it in _ITEMS])[item]
    recorded = np.isin(town, [i for i, t in enumerate(_TOWNS) if t.name in ATTRIBUTE_TOWNS])
    share = np.array([ONE_WINDOW_SHARE[t.kind] for t in _TOWNS])[town]
    one_window = rng.random(n) < share
    # 窗口办理: 综合窗口 or 部门窗口; 自助终端; 帮办代办: a village agency point; online: none
    window = np.select([ch == 2, ch == 3, ch == 4], [np.where(one_window, 0, 1), 3, 2], -1)
    window_no = rng.integers(1, 7, n)
    village = rng.integers(0, VILLAGES_PER_TOWN, n)
    done = cases.completed != _NONE
    done_day = cal.day_of(np.where(done, cases.completed, cases.accepted))
    # 是否现场办结 is recorded for 即办件 taken at a window or an agency point
    same_day = done & (done_day == cases.day)
    instant = (cases.promised == 0) & np.isin(ch, (2, 4)) & (cases.status == _DONE)
    onsite = np.where(instant, same_day.astype(np.int64), -1)
    cross = np.isin(codes, list(_CROSS_PROVINCE_ITEMS)) & (rng.random(n) < 0.05)
    bundle = np.isin(codes, list(_BUNDLES)) & (rng.random(n) < 0.04)
    pausable = np.isin(codes, list(_PAUSABLE_ITEMS)) & (cases.promised > 0)
    late_by = cal.seq[done_day] - cal.seq[cases.day] - cases.promised  # working days
    u, extra_days, open_days = rng.random(n), rng.integers(0, 4, n), rng.integers(3, 16, n)
    other_days = rng.integers(2, 11, n)
    late = pausable & done & (late_by > 0) & (u < 0.7)
    paused = np.select(
        [
            late,
            pausable & done & ~late & (u > 0.92),
            pausable & (cases.status == _OPEN) & (u < 0.4),
        ],
        [late_by + extra_days, other_days, open_days],
        0,
    )
    return _Attributes(recorded, window, window_no, village, onsite, cross, bundle, paused)


# --------------------------------------------------------------------------- evaluations


@dataclass
class _Evals:
    town: np.ndarray
    dept: np.ndarray
    channel: np.ndarray
    rated: np.ndarray
    rating: np.ndarray
    ref_kind: np.ndarray  # 0 no case number, 1 a real case, 2 a case in no file
    ref_town: np.ndarray
    ref_day: np.ndarray
    ref_seq: np.ndarray
    comment: np.ndarray  # index into _GOOD_COMMENTS / _BAD_COMMENTS, -1 none
    comment_phone: np.ndarray  # bool: the comment carries a phone number
    rectify: np.ndarray  # -1 none, else index into RECTIFY
    rectified: np.ndarray

    def __len__(self) -> int:
        return len(self.rated)


# evaluation channel by case channel group: 网上, 掌上, 窗口 即办, 窗口 other, 自助, 帮办
# fmt: off
_EVAL_CHANNEL_TABLE = np.array([
    [0, 85, 0, 15, 0, 0],
    [0, 0, 85, 15, 0, 0],
    [80, 0, 0, 10, 10, 0],
    [15, 0, 0, 60, 10, 15],
    [0, 0, 0, 50, 50, 0],
    [0, 0, 0, 50, 0, 50],
], dtype=float)
# fmt: on


def _ratings(rng: np.random.Generator, town: np.ndarray) -> np.ndarray:
    n = len(town)
    bad = rng.random(n) > np.array([t.satisfaction for t in _TOWNS])[town]
    good_r = np.array([5, 4, 3])[_choice(rng, n, [70, 25, 5])]
    bad_r = np.where(rng.random(n) < 0.7, 2, 1)
    return np.where(bad, bad_r, good_r)


def _evals_core(
    cal: _Calendar, n_days: int, cases: _Cases, extracted: int, scale: float, seed: int
) -> _Evals:
    rng = _rng(seed, "evaluations")
    eval_rate = np.array([t.eval_rate for t in _TOWNS])
    sel = np.flatnonzero((cases.status == _DONE) & (rng.random(len(cases)) < eval_rate[cases.town]))
    ch = cases.channel[sel]
    grp = np.where(ch == 2, np.where(cases.promised[sel] == 0, 2, 3), np.where(ch < 2, ch, ch + 1))
    channel = _choice_by_group(rng, grp, _EVAL_CHANNEL_TABLE)
    n = len(sel)
    done = cases.completed[sel]
    hours = rng.lognormal(np.log(4 * 3600), 1.0, n).clip(600, 10 * _DAY).astype(np.int64)
    callback = cal.secs(
        cal.nth_workday_after(cal.day_of(done), rng.integers(1, 4, n)), _tod_window(rng, n)
    )
    delay = np.select(
        [channel == 0, channel == 4, channel == 5],
        [rng.integers(20, 600, n), rng.integers(60, 1800, n), callback - done],
        hours,
    )
    rated = done + delay
    ref_kind = np.where((channel == 4) & (rng.random(n) < 0.7), 0, 1)
    parts = [
        dict(
            town=cases.town[sel],
            dept=cases.dept[sel],
            channel=channel,
            rated=rated,
            ref_kind=ref_kind,
            ref_day=cases.day[sel],
            ref_seq=cases.seq[sel],
        )
    ]

    # planted: evaluations naming case numbers that are in no file
    t, k = _planted_cell("missing_case_refs")
    n_real = int(((cases.town == t) & (cases.dept == k)).sum())
    m = round(1.3 * n_real)
    g_day = rng.choice(cal.workdays[cal.workdays < n_days], m)
    g_ref_day = np.maximum(g_day - rng.integers(0, 8, m), 0)
    order = np.argsort(g_ref_day, kind="stable")
    g_seq = np.empty(m, dtype=np.int64)
    g_seq[order] = 80_000 + _rank_in_groups(g_ref_day[order])
    parts.append(
        dict(
            town=np.full(m, t),
            dept=np.full(m, k),
            channel=np.where(rng.random(m) < 0.6, 0, 3),
            rated=cal.secs(g_day, _tod_window(rng, m)),
            ref_kind=np.full(m, 2),
            ref_day=g_ref_day,
            ref_seq=g_seq,
        )
    )
    # planted: rating-device evaluations of a department with almost no cases
    t, k = _planted_cell("evals_without_cases")
    m = round(0.75 * cases.ewc_expected)
    e_day = rng.choice(cal.workdays[cal.workdays < n_days], m)
    parts.append(
        dict(
            town=np.full(m, t),
            dept=np.full(m, k),
            channel=np.zeros(m, np.int64),
            rated=cal.secs(e_day, _tod_window(rng, m)),
            ref_kind=np.zeros(m, np.int64),
            ref_day=np.zeros(m, np.int64),
            ref_seq=np.zeros(m, np.int64),
        )
    )

    cols = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    keep = cols["rated"] <= extracted
    order = np.argsort(np.where(keep, cols["rated"], np.iinfo(np.int64).max), kind="stable")
    order = order[: keep.sum()]
    cols = {name: v[order] for name, v in cols.items()}
    n = len(cols["rated"])
    rating = _ratings(rng, cols["town"])
    bad = rating <= 2
    comment = np.where(
        bad,
        rng.integers(0, len(_BAD_COMMENTS), n),
        np.where(rng.random(n) < 0.4, rng.integers(0, len(_GOOD_COMMENTS), n), -1),
    )
    comment_phone = bad & (rng.random(n) < 0.2)
    # rectification of bad reviews: mostly within 10 working days
    rated_day = cal.day_of(cols["rated"])
    k_days = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14])[
        _choice(rng, n, [6, 12, 14, 14, 12, 10, 8, 6, 5, 4, 3, 2])
    ]
    rectified = cal.secs(cal.nth_workday_after(rated_day, k_days), _tod_window(rng, n))
    u = rng.random(n)
    late = rectified > extracted
    rectify = np.select(
        [~bad & (u < 0.85), ~bad, u < 0.04, u < 0.10, late & (u < 0.35), late],
        [0, -1, 1, 2, 1, 2],
        3,
    )
    rectified = np.where(rectify == 3, rectified, _NONE)
    return _Evals(
        town=cols["town"],
        dept=cols["dept"],
        channel=cols["channel"],
        rated=cols["rated"],
        rating=rating,
        ref_kind=cols["ref_kind"],
        ref_town=cols["town"],
        ref_day=cols["ref_day"],
        ref_seq=cols["ref_seq"],
        comment=comment,
        comment_phone=comment_phone,
        rectify=rectify,
        rectified=rectified,
    )


_DUE_DAYS = np.array([1, 3, 5, 7, 7])  # by request type


@dataclass
class _Tickets:
    town: np.ndarray
    topic: np.ndarray
    unit: np.ndarray  # index into _units(): town department names then county departments
    rtype: np.ndarray
    received: np.ndarray
    due: np.ndarray
    completed: np.ndarray
    status: np.ndarray
    resolved: np.ndarray  # -1 none, 0 否, 1 是
    satisfaction: np.ndarray  # -1 none, else index into SATISFACTION
    caller: np.ndarray  # int64: the 8 digits after the prefix, and the prefix index
    caller_prefix: np.ndarray
    content: np.ndarray  # template index within the topic
    repeat: np.ndarray  # bool: a caller calling again
    pii: np.ndarray  # 0 none, 1 phone number in the text, 2 ID number in the text

    def __len__(self) -> int:
        return len(self.received)


def _tickets_core(cal: _Calendar, n_days: int, extracted: int, scale: float, seed: int) -> _Tickets:
    rng = _rng(seed, "hotline")
    repeat_share, mean_extra = 0.05, 2.5
    base_total = TICKETS_PER_YEAR * scale / (1 + repeat_share * mean_extra)
    work = cal.work[:n_days]
    month = np.array([cal.dates[d].month - 1 for d in range(n_days)])
    town_w = np.array([t.weight for t in _TOWNS])
    lam = np.where(work, 1.0, 0.55)[:, None] * _MONTH_FACTOR[month][:, None] * town_w[None, :]
    counts = rng.poisson(lam * base_total / lam.sum())
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    day, town = np.unravel_index(cells, counts.shape)
    n = len(cells)
    topic = _choice(rng, n, [t[4] for t in _TOPICS])
    received = cal.secs(day, _choice(rng, n, _HOTLINE_WEIGHTS) * 3600 + rng.integers(0, 3600, n))
    caller = rng.integers(0, 10**8, n)
    prefix = rng.integers(0, len(_PHONE_PREFIXES), n)
    rtype = _choice(rng, n, [40, 15, 28, 5, 12])
    repeat = np.zeros(n, dtype=bool)
    # repeat callers: some callers call again, 1-4 times within 30 days
    seeds = np.flatnonzero(rng.random(n) < repeat_share)
    extra = rng.integers(1, 5, len(seeds))
    src = np.repeat(seeds, extra)
    again = received[src] + rng.integers(7200, 29 * _DAY, len(src))

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b])

    town, topic, caller, prefix = (cat(v, v[src]) for v in (town, topic, caller, prefix))
    rtype = cat(rtype, np.where(rng.random(len(src)) < 0.6, 2, rtype[src]))
    received = cat(received, again)
    repeat = cat(repeat, np.ones(len(src), dtype=bool))
    unit_county = np.array([DEPARTMENTS.index(t[1]) for t in _TOPICS])
    county_unit = np.array(
        [len(DEPARTMENTS) + COUNTY_DEPARTMENTS.index(t[2]) if t[2] else -1 for t in _TOPICS]
    )
    county_share = np.array([t[3] for t in _TOPICS])
    n = len(received)
    unit = np.where(rng.random(n) < county_share[topic], county_unit[topic], unit_county[topic])
    n_templates = np.array([len(t[5]) for t in _TOPICS])
    content = np.floor(rng.random(n) * n_templates[topic]).astype(np.int64)
    pii = _choice(rng, n, [91, 6, 3])

    due = received + _DUE_DAYS[rtype] * _DAY
    span = due - received
    on_time = received + np.maximum(1800, (rng.beta(2.0, 3.0, n) * span).astype(np.int64))
    late = due + rng.integers(3600, 3 * _DAY, n)
    completed = np.where(rng.random(n) < 0.03, late, on_time)
    u = rng.random(n)
    returned = u < 0.015
    stuck = (u >= 0.015) & (u < 0.017)
    completed = np.where(returned | stuck | (completed > extracted), _NONE, completed)
    fresh = received > extracted - 6 * 3600
    status = np.select([returned, completed != _NONE, fresh & (rng.random(n) < 0.5)], [3, 2, 0], 1)
    resolved = np.where(status == 2, (rng.random(n) < 0.88).astype(np.int64), -1)
    sat = _choice(rng, n, [80, 12, 3, 5])
    sat = np.where((resolved == 0) & (rng.random(n) < 0.4), 2, sat)
    sat = np.where((status == 2) & (sat < 3), sat, -1)

    keep = received < extracted
    order = np.argsort(np.where(keep, received, np.iinfo(np.int64).max), kind="stable")
    order = order[: keep.sum()]
    return _Tickets(
        town=town[order],
        topic=topic[order],
        unit=unit[order],
        rtype=rtype[order],
        received=received[order],
        due=due[order],
        completed=completed[order],
        status=status[order],
        resolved=resolved[order],
        satisfaction=sat[order],
        caller=caller[order],
        caller_prefix=prefix[order],
        content=content[order],
        repeat=repeat[order],
        pii=pii[order],
    )

-- `src` lets the same definition run over a subset table (open cases, bad reviews, open
-- tickets) that the loader keeps small, so as_of-dependent figures never scan the facts.
--
-- Row-level indicator flags: THE definition of every indicator (contract §7).
-- Aggregates (raw or via rollups) sum these flags; drill-downs filter on them, so the rows
-- behind a figure always count exactly that figure. Stored as macros in the store so that
-- the loader, the pages, the CLI and the PDF all call the same text.

-- grain: one row per case
create or replace macro case_flags(as_of, online_channels, horizon, src := 'cases') as table
with warn as (
    -- 超时预警 horizon: the `horizon`-th working day after the as_of date
    select min(w.day) as warn_day
    from calendar_days a
    join calendar_days w on w.is_workday and w.workday_seq = a.workday_seq + horizon
    where a.day = cast(as_of as date)
)
select
    c.case_id, c.town_code, c.dept_name, c.item_code, c.item_name, c.channel,
    c.accepted_at, cast(c.accepted_at as date) as day, c.promised_days, c.deadline_at,
    c.completed_at, c.status, c.recorded_at,
    -- contract §3a (NULL where the file lacked them); deadline_at already counts paused_days
    c.item_type, c.item_type_raw, c.case_type, c.window_name, c.window_type,
    c.onsite_completed, c.cross_province, c.bundle_theme, c.paused_days, c.village,
    list_contains(online_channels, c.channel) as is_online,
    c.completed_at is not null as is_completed,
    c.completed_at is not null and c.completed_at <= c.deadline_at as is_on_time,
    c.completed_at is not null and c.completed_at > c.deadline_at as is_overdue_completed,
    c.completed_at is null and c.status = '在办' and as_of > c.deadline_at as is_overdue_open,
    c.completed_at is null and c.status = '在办' and as_of <= c.deadline_at
        and cast(c.deadline_at as date) <= (select warn_day from warn) as is_warning_open,
    c.completed_at is not null and c.evaluated as is_evaluated,
    -- 承诺件提前办结率 (early_rate): completed 承诺件 (办件类型 when the file says, else
    -- promised_days ≥ 1), early = completed on a date before the deadline's date
    c.completed_at is not null
        and is_commitment(c.case_type, c.promised_days) as is_commitment_completed,
    c.completed_at is not null
        and is_commitment(c.case_type, c.promised_days)
        and cast(c.completed_at as date) < cast(c.deadline_at as date) as is_early_completed,
    -- 现场办结率 (onsite_rate): completed 窗口办理 / 帮办代办 cases whose 是否现场办结 is known
    c.completed_at is not null and c.channel in ('窗口办理', '帮办代办')
        and c.onsite_completed is not null as is_onsite_known,
    c.completed_at is not null and c.channel in ('窗口办理', '帮办代办')
        and coalesce(c.onsite_completed, false) as is_onsite,
    -- 一窗通办率 (one_window_rate): 窗口办理 cases whose 窗口类型 is known; 综合窗口 of those
    c.channel = '窗口办理' and c.window_type is not null as is_window_type_known,
    c.channel = '窗口办理' and coalesce(c.window_type = '综合窗口', false) as is_one_window,
    -- 跨省通办, 一件事, 帮办代办 counts; "known": the value (一件事: the column) is there
    c.cross_province is not null as is_cross_province_known,
    coalesce(c.cross_province, false) as is_cross_province,
    c.bundle_theme is not null as is_bundle_known,
    coalesce(c.bundle_theme <> '', false) as is_bundle,
    c.channel = '帮办代办' as is_assisted
from query_table(src) c;

-- grain: one row per evaluation
create or replace macro eval_flags(as_of, satisfied_rating, rectify_days, src := 'evaluations') as table
select
    v.eval_id, v.case_id, v.town_code, v.dept_name, v.eval_channel, v.rated_at,
    cast(v.rated_at as date) as day, v.rating, v.rectify_status, v.rectified_at,
    is_satisfied(v.rating, satisfied_rating) as is_satisfied,
    is_bad(v.rating) as is_bad,
    is_bad(v.rating) and v.rectify_status = '已整改' as is_rectified,
    end_of_day(w.day) as rectify_deadline_at,
    is_bad(v.rating) and (
        (coalesce(v.rectify_status, '') <> '已整改' and as_of > end_of_day(w.day))
        or (v.rectify_status = '已整改' and v.rectified_at > end_of_day(w.day))
    ) as is_rectify_overdue
from query_table(src) v
left join calendar_days a on a.day = cast(v.rated_at as date)
left join calendar_days w on w.is_workday and w.workday_seq = a.workday_seq + rectify_days;

-- grain: one row per hotline ticket
create or replace macro ticket_flags(as_of, src := 'hotline_tickets') as table
select
    t.ticket_id, t.town_code, t.dept_name, t.request_type, t.topic, t.received_at,
    cast(t.received_at as date) as day, t.due_at, t.completed_at, t.status, t.resolved,
    t.satisfaction, t.caller_hash,
    t.satisfaction in ('满意', '基本满意', '不满意') as is_rated,
    t.satisfaction in ('满意', '基本满意') as is_satisfied,
    t.completed_at is not null as is_completed,
    t.completed_at is not null and t.completed_at <= t.due_at as is_on_time,
    t.completed_at is null and t.status <> '已退单' and as_of > t.due_at as is_overdue_open
from query_table(src) t;

-- Indicator counts per town and department for a period. Rates are formed from these
-- counts in one place (dashboard/queries/metrics.sql). Generated shape, kept by hand.

-- From the rollups: what the CLI, the pages and the PDF use.
-- grain: one row per (town_code, dept_name, period_start) with any activity in
-- [date_from, date_to]; bucket 'week' or 'month' splits the period (trends), 'none' does not
create or replace macro indicator_counts(date_from, date_to, as_of, online_channels, horizon,
                               satisfied_rating, rectify_days, bucket := 'none') as table
with parts as (
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        sum(cases) as cases,
        coalesce(sum(cases) filter (where list_contains(online_channels, channel)), 0) as online_cases,
        sum(completed) as completed,
        sum(on_time) as on_time,
        sum(overdue_completed) as overdue_completed,
        sum(evaluated) as evaluated
    from agg_cases_daily
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        count(*) filter (where is_overdue_open) as overdue_open,
        count(*) filter (where is_warning_open) as warning_open
    from case_flags(as_of, online_channels, horizon, src := 'open_cases')
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        sum(evaluations) as evaluations,
        coalesce(sum(evaluations) filter (where rating >= satisfied_rating), 0) as satisfied,
        coalesce(sum(evaluations) filter (where rating <= 2), 0) as bad_reviews,
        sum(rectified) as rectified
    from agg_evals_daily
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        count(*) filter (where is_rectify_overdue) as rectify_overdue
    from eval_flags(as_of, satisfied_rating, rectify_days, src := 'bad_reviews')
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        sum(tickets) as hotline_tickets,
        coalesce(sum(tickets) filter (where satisfaction in ('满意', '基本满意', '不满意')), 0) as hotline_rated,
        coalesce(sum(tickets) filter (where satisfaction in ('满意', '基本满意')), 0) as hotline_satisfied,
        sum(completed) as hotline_completed,
        sum(on_time) as hotline_on_time
    from agg_hotline_daily
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        count(*) filter (where is_overdue_open) as hotline_overdue_open
    from ticket_flags(as_of, src := 'open_tickets')
    where day between date_from and date_to
    group by all
)
select town_code, dept_name, period_start,
    coalesce(sum(cases), 0)::bigint as cases,
    coalesce(sum(online_cases), 0)::bigint as online_cases,
    coalesce(sum(completed), 0)::bigint as completed,
    coalesce(sum(on_time), 0)::bigint as on_time,
    coalesce(sum(overdue_completed), 0)::bigint as overdue_completed,
    coalesce(sum(evaluated), 0)::bigint as evaluated,
    coalesce(sum(overdue_open), 0)::bigint as overdue_open,
    coalesce(sum(warning_open), 0)::bigint as warning_open,
    coalesce(sum(evaluations), 0)::bigint as evaluations,
    coalesce(sum(satisfied), 0)::bigint as satisfied,
    coalesce(sum(bad_reviews), 0)::bigint as bad_reviews,
    coalesce(sum(rectified), 0)::bigint as rectified,
    coalesce(sum(rectify_overdue), 0)::bigint as rectify_overdue,
    coalesce(sum(hotline_tickets), 0)::bigint as hotline_tickets,
    coalesce(sum(hotline_rated), 0)::bigint as hotline_rated,
    coalesce(sum(hotline_satisfied), 0)::bigint as hotline_satisfied,
    coalesce(sum(hotline_completed), 0)::bigint as hotline_completed,
    coalesce(sum(hotline_on_time), 0)::bigint as hotline_on_time,
    coalesce(sum(hotline_overdue_open), 0)::bigint as hotline_overdue_open
from parts
group by all;

-- Straight from the flags over the fact tables: the reference the rollups are tested
-- against, and the baseline bench/ compares with.
-- grain: one row per (town_code, dept_name, period_start) with any activity in
-- [date_from, date_to]; bucket 'week' or 'month' splits the period (trends), 'none' does not
create or replace macro indicator_counts_raw(date_from, date_to, as_of, online_channels, horizon,
                               satisfied_rating, rectify_days, bucket := 'none') as table
with parts as (
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        count(*) as cases,
        count(*) filter (where is_online) as online_cases,
        count(*) filter (where is_completed) as completed,
        count(*) filter (where is_on_time) as on_time,
        count(*) filter (where is_overdue_completed) as overdue_completed,
        count(*) filter (where is_evaluated) as evaluated,
        count(*) filter (where is_overdue_open) as overdue_open,
        count(*) filter (where is_warning_open) as warning_open
    from case_flags(as_of, online_channels, horizon)
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        count(*) as evaluations,
        count(*) filter (where is_satisfied) as satisfied,
        count(*) filter (where is_bad) as bad_reviews,
        count(*) filter (where is_rectified) as rectified,
        count(*) filter (where is_rectify_overdue) as rectify_overdue
    from eval_flags(as_of, satisfied_rating, rectify_days)
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        case when bucket = 'none' then cast(date_from as date) else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end as period_start,
        count(*) as hotline_tickets,
        count(*) filter (where is_rated) as hotline_rated,
        count(*) filter (where is_satisfied) as hotline_satisfied,
        count(*) filter (where is_completed) as hotline_completed,
        count(*) filter (where is_on_time) as hotline_on_time,
        count(*) filter (where is_overdue_open) as hotline_overdue_open
    from ticket_flags(as_of)
    where day between date_from and date_to
    group by all
)
select town_code, dept_name, period_start,
    coalesce(sum(cases), 0)::bigint as cases,
    coalesce(sum(online_cases), 0)::bigint as online_cases,
    coalesce(sum(completed), 0)::bigint as completed,
    coalesce(sum(on_time), 0)::bigint as on_time,
    coalesce(sum(overdue_completed), 0)::bigint as overdue_completed,
    coalesce(sum(evaluated), 0)::bigint as evaluated,
    coalesce(sum(overdue_open), 0)::bigint as overdue_open,
    coalesce(sum(warning_open), 0)::bigint as warning_open,
    coalesce(sum(evaluations), 0)::bigint as evaluations,
    coalesce(sum(satisfied), 0)::bigint as satisfied,
    coalesce(sum(bad_reviews), 0)::bigint as bad_reviews,
    coalesce(sum(rectified), 0)::bigint as rectified,
    coalesce(sum(rectify_overdue), 0)::bigint as rectify_overdue,
    coalesce(sum(hotline_tickets), 0)::bigint as hotline_tickets,
    coalesce(sum(hotline_rated), 0)::bigint as hotline_rated,
    coalesce(sum(hotline_satisfied), 0)::bigint as hotline_satisfied,
    coalesce(sum(hotline_completed), 0)::bigint as hotline_completed,
    coalesce(sum(hotline_on_time), 0)::bigint as hotline_on_time,
    coalesce(sum(hotline_overdue_open), 0)::bigint as hotline_overdue_open
from parts
group by all;

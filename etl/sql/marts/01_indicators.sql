-- Indicator counts per town and department for a period. Rates are formed from these
-- counts in one place (dashboard/queries/metrics.sql). Generated shape, kept by hand.
--
-- Counts of the indicators built on the optional columns (contract §3a, §7) come with the
-- denominator that says whether the town has the data at all:
--   early_completed / commitment_completed    承诺件提前办结率 (early_rate)
--   onsite_cases / onsite_known               现场办结率 (onsite_rate)
--   one_window_cases / window_type_known      一窗通办率 (one_window_rate)
--   cross_province_cases, cross_province_known 跨省通办 (known 0: 无数据, not 0)
--   bundle_cases, bundle_known                一件事 (known 0: no file carried 一件事主题)
--   assisted_cases                            帮办代办 (申报方式, always known)

-- From the rollups: what the CLI, the pages and the PDF use.
-- grain: one row per (town_code, dept_name, period_start) with any activity in
-- [date_from, date_to]; bucket 'week' or 'month' splits the period (trends), 'none' does not
create or replace macro indicator_counts(date_from, date_to, as_of, online_channels, horizon,
                               satisfied_rating, rectify_days, bucket := 'none') as table
with parts as (
    select town_code, dept_name,
        period_start(bucket, day, date_from) as period_start,
        sum(cases) as cases,
        coalesce(sum(cases) filter (where list_contains(online_channels, channel)), 0) as online_cases,
        sum(completed) as completed,
        sum(on_time) as on_time,
        sum(overdue_completed) as overdue_completed,
        sum(evaluated) as evaluated,
        sum(commitment_completed) as commitment_completed,
        sum(early_completed) as early_completed,
        sum(onsite_known) as onsite_known,
        sum(onsite_cases) as onsite_cases,
        sum(window_type_known) as window_type_known,
        sum(one_window_cases) as one_window_cases,
        sum(cross_province_known) as cross_province_known,
        sum(cross_province_cases) as cross_province_cases,
        sum(bundle_known) as bundle_known,
        sum(bundle_cases) as bundle_cases,
        sum(assisted_cases) as assisted_cases
    from agg_cases_daily
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        period_start(bucket, day, date_from) as period_start,
        count(*) filter (where is_overdue_open) as overdue_open,
        count(*) filter (where is_warning_open) as warning_open
    from case_flags(as_of, online_channels, horizon, src := 'open_cases')
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        period_start(bucket, day, date_from) as period_start,
        sum(evaluations) as evaluations,
        coalesce(sum(evaluations) filter (where is_satisfied(rating, satisfied_rating)), 0) as satisfied,
        coalesce(sum(evaluations) filter (where is_bad(rating)), 0) as bad_reviews,
        sum(rectified) as rectified
    from agg_evals_daily
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        period_start(bucket, day, date_from) as period_start,
        count(*) filter (where is_rectify_overdue) as rectify_overdue
    from eval_flags(as_of, satisfied_rating, rectify_days, src := 'bad_reviews')
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        period_start(bucket, day, date_from) as period_start,
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
        period_start(bucket, day, date_from) as period_start,
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
    coalesce(sum(commitment_completed), 0)::bigint as commitment_completed,
    coalesce(sum(early_completed), 0)::bigint as early_completed,
    coalesce(sum(onsite_known), 0)::bigint as onsite_known,
    coalesce(sum(onsite_cases), 0)::bigint as onsite_cases,
    coalesce(sum(window_type_known), 0)::bigint as window_type_known,
    coalesce(sum(one_window_cases), 0)::bigint as one_window_cases,
    coalesce(sum(cross_province_known), 0)::bigint as cross_province_known,
    coalesce(sum(cross_province_cases), 0)::bigint as cross_province_cases,
    coalesce(sum(bundle_known), 0)::bigint as bundle_known,
    coalesce(sum(bundle_cases), 0)::bigint as bundle_cases,
    coalesce(sum(assisted_cases), 0)::bigint as assisted_cases,
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
        period_start(bucket, day, date_from) as period_start,
        count(*) as cases,
        count(*) filter (where is_online) as online_cases,
        count(*) filter (where is_completed) as completed,
        count(*) filter (where is_on_time) as on_time,
        count(*) filter (where is_overdue_completed) as overdue_completed,
        count(*) filter (where is_evaluated) as evaluated,
        count(*) filter (where is_overdue_open) as overdue_open,
        count(*) filter (where is_warning_open) as warning_open,
        count(*) filter (where is_commitment_completed) as commitment_completed,
        count(*) filter (where is_early_completed) as early_completed,
        count(*) filter (where is_onsite_known) as onsite_known,
        count(*) filter (where is_onsite) as onsite_cases,
        count(*) filter (where is_window_type_known) as window_type_known,
        count(*) filter (where is_one_window) as one_window_cases,
        count(*) filter (where is_cross_province_known) as cross_province_known,
        count(*) filter (where is_cross_province) as cross_province_cases,
        count(*) filter (where is_bundle_known) as bundle_known,
        count(*) filter (where is_bundle) as bundle_cases,
        count(*) filter (where is_assisted) as assisted_cases
    from case_flags(as_of, online_channels, horizon)
    where day between date_from and date_to
    group by all
    union all by name
    select town_code, dept_name,
        period_start(bucket, day, date_from) as period_start,
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
        period_start(bucket, day, date_from) as period_start,
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
    coalesce(sum(commitment_completed), 0)::bigint as commitment_completed,
    coalesce(sum(early_completed), 0)::bigint as early_completed,
    coalesce(sum(onsite_known), 0)::bigint as onsite_known,
    coalesce(sum(onsite_cases), 0)::bigint as onsite_cases,
    coalesce(sum(window_type_known), 0)::bigint as window_type_known,
    coalesce(sum(one_window_cases), 0)::bigint as one_window_cases,
    coalesce(sum(cross_province_known), 0)::bigint as cross_province_known,
    coalesce(sum(cross_province_cases), 0)::bigint as cross_province_cases,
    coalesce(sum(bundle_known), 0)::bigint as bundle_known,
    coalesce(sum(bundle_cases), 0)::bigint as bundle_cases,
    coalesce(sum(assisted_cases), 0)::bigint as assisted_cases,
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

-- Rollups, rebuilt at the end of every load from the flags in flags/01_records.sql, so that the
-- dashboard's figures never scan the fact tables. Figures that depend on `as_of` come from
-- the small open_* / bad_reviews subsets through the same flag macros at query time.

-- grain: town × department × acceptance day × channel
create or replace table agg_cases_daily as
select town_code, dept_name, day, channel,
    count(*) as cases,
    count(*) filter (where is_completed) as completed,
    count(*) filter (where is_on_time) as on_time,
    count(*) filter (where is_overdue_completed) as overdue_completed,
    count(*) filter (where is_evaluated) as evaluated,
    -- contract §7, from the optional columns of §3a (a *_known of 0: no data, not 0)
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
-- as_of, channels and horizon do not enter these columns
from case_flags(timestamp '2000-01-01', [], 1)
group by all;

-- grain: one row per case still open (在办, no completed_at) — the open-case state at load
create or replace table open_cases as
select * from cases where completed_at is null and status = '在办';

-- grain: town × department × rating day × channel × rating
create or replace table agg_evals_daily as
select town_code, dept_name, day, eval_channel, rating,
    count(*) as evaluations,
    count(*) filter (where is_rectified) as rectified
from eval_flags(timestamp '2000-01-01', 3, 10)
group by all;

-- grain: one row per bad review (rating ≤ 2)
create or replace table bad_reviews as
select * from evaluations where is_bad(rating);

-- grain: town × department × day received × request type × topic × satisfaction
create or replace table agg_hotline_daily as
select town_code, dept_name, day, request_type, topic, satisfaction,
    count(*) as tickets,
    count(*) filter (where is_completed) as completed,
    count(*) filter (where is_on_time) as on_time
from ticket_flags(timestamp '2000-01-01')
group by all;

-- grain: one row per ticket still open (no completed_at, not 已退单)
create or replace table open_tickets as
select * from hotline_tickets where completed_at is null and status <> '已退单';

-- 12345热线 · 重复来电. A call is a repeat when the same caller (caller_hash, the keyed hash of
-- 来电号码; the number itself is never stored) had another ticket about the same town within
-- the window before it. Per town, so whether a ticket is a repeat never depends on towns a
-- viewer may not see, and every scope reads the same rows. The window (30 days) is applied
-- by repeat_calls() at query time, so changing it needs no reload.
-- grain: one row per ticket whose caller had an earlier ticket about the same town
create or replace table hotline_previous_calls as
select ticket_id, caller_hash, town_code, dept_name, received_at,
    cast(received_at as date) as day, previous_at
from (
    select ticket_id, caller_hash, town_code, dept_name, received_at,
        lag(received_at) over (
            partition by caller_hash, town_code order by received_at, ticket_id
        ) as previous_at
    from hotline_tickets
    where caller_hash is not null
)
where previous_at is not null;

-- grain: one row per repeat call received in [date_from, date_to]
create or replace macro repeat_calls(date_from, date_to, window_days) as table
select * from hotline_previous_calls
where day between date_from and date_to
    and previous_at >= received_at - to_days(cast(window_days as integer));

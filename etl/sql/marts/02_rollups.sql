-- Rollups, rebuilt at the end of every load from the flags in 01_flags.sql, so that the
-- dashboard's figures never scan the fact tables. Figures that depend on `as_of` come from
-- the small open_* / bad_reviews subsets through the same flag macros at query time.

-- grain: town × department × acceptance day × channel
create or replace table agg_cases_daily as
select town_code, dept_name, day, channel,
    count(*) as cases,
    count(*) filter (where is_completed) as completed,
    count(*) filter (where is_on_time) as on_time,
    count(*) filter (where is_overdue_completed) as overdue_completed,
    count(*) filter (where is_evaluated) as evaluated
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
select * from evaluations where rating <= 2;

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

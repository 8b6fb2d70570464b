-- 体外循环: the per-record flags of flags/02_outside_system.sql rolled up at every load, and
-- the small example tables the evidence is drawn from.

-- The flags once per load, for the rollups and the example rows below.
create or replace temp table outside_case_flags_now as
select * from outside_case_flags();

create or replace temp table outside_eval_flags_now as
select * from outside_eval_flags();

-- grain: town × department × acceptance day × the per-case columns the signals read
create or replace table agg_outside_cases as
select town_code, dept_name, day, entry_lag, burst, recorded_period_end, promised_days, is_done,
    close_minutes, count(*) as n
from outside_case_flags_now
group by all;

-- grain: town × department × rating day × reference kind
create or replace table agg_outside_evals as
select town_code, dept_name, day, names_case, names_missing_case, count(*) as n
from outside_eval_flags_now
group by all;

-- The records evidence is drawn from (dashboard/domain/outside_system.evidence), kept small
-- at load as open_cases is, so that evidence never recomputes the flags over every case (the
-- 5-minute burst window, the anti-join of every evaluation against every case id).
-- grain: one row per case recorded 1 or more working days late, or closed within 120 minutes
create or replace table outside_case_examples as
select * from outside_case_flags_now
where entry_lag >= 1 or close_minutes is not null;

-- grain: one row per evaluation that names no loaded case (no 办件编号, or one no loaded
-- case has): the records 评价所指办件不存在 and 有评价无办件 count are among these
create or replace table outside_eval_examples as
select * from outside_eval_flags_now
where not names_case or names_missing_case;

drop table if exists outside_missing_refs;  -- its rows are in outside_eval_examples now

drop table outside_case_flags_now;
drop table outside_eval_flags_now;

-- The same columns straight from the facts (one row per record, n = 1): the reference the
-- rollups are tested against.
create or replace view outside_cases_raw as
select town_code, dept_name, day, entry_lag, burst, recorded_period_end, promised_days, is_done,
    close_minutes, 1 as n
from outside_case_flags();

create or replace view outside_evals_raw as
select town_code, dept_name, day, names_case, names_missing_case, 1 as n
from outside_eval_flags();

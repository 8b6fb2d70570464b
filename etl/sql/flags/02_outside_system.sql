-- 体外循环 (issue 4): departments that handle cases outside the platform, from the store.
--
-- Six signals per department (town_code, dept_name) and period [date_from, date_to]; every
-- threshold is an argument of outside_system_signals (settings outside_system.*, passed by
-- dashboard/outside_system.py; the defaults below are the shipped settings' defaults).
-- Layers, as for the indicators: per-record flags (THE definition) → rollups rebuilt at every
-- load → outside_system_signals, which reads the rollups, or the raw views over the facts
-- (cases_src := 'outside_cases_raw', evals_src := 'outside_evals_raw') that tests compare
-- the rollups with.
--
-- A case belongs to the period of its acceptance date (as for `cases`), an evaluation to the
-- period of its rating date (as for `evaluations`). Fixed here rather than settings, because
-- the rollups are built at load time:
--   * burst window: the department's records within 5 minutes before or after a record;
--   * a department's normal pace: its period cases spread evenly over 8 working hours of
--     each working day (of the period, within the loaded data), i.e. per 10-minute window
--     cases / (working days × 48);
--   * instant closure is measured up to 120 minutes (a longer threshold counts as 120).


-- THE rule of each signal for one record (or for a rollup row of identical records). The
-- signals below count the records for which it holds, and the evidence lists exactly those
-- records (dashboard/queries/outside__<signal>.sql call the same macros on the records).
--   late       recorded more than late_workdays working days after acceptance
--   batch      recorded at least batch_min_lag (≥ 1) working days late, inside a burst of at
--              least burst_threshold records (the department's threshold for the period)
--   closable   办结 with promised_days ≥ instant_min_promised (≥ 1): the instant-closure base
--   instant    closable and closed within instant_minutes (at most 120) of acceptance
--   judged_ref names a 办件编号 and is rated after the grace period from the first loaded case
--   missing_ref  a judged reference to a 办件编号 no loaded case has
--   unmatched  names no case on the platform: no 办件编号, or a missing one (judged as above;
--              in the grace period a missing reference may be a case from before the data)
create or replace macro outside_is_late(entry_lag, late_workdays) as
    coalesce(entry_lag > late_workdays, false);

create or replace macro outside_is_batch(entry_lag, burst, burst_threshold, batch_min_lag) as
    coalesce(entry_lag >= greatest(batch_min_lag, 1) and burst >= burst_threshold, false);

create or replace macro outside_is_closable(is_done, promised_days, instant_min_promised) as
    coalesce(is_done and promised_days >= greatest(instant_min_promised, 1), false);

create or replace macro outside_is_instant(is_done, promised_days, close_minutes,
        instant_min_promised, instant_minutes) as
    outside_is_closable(is_done, promised_days, instant_min_promised)
        and coalesce(close_minutes < least(instant_minutes, 120), false);

create or replace macro outside_is_judged_ref(names_case, day, first_day, grace_days) as
    coalesce(names_case and day >= first_day + grace_days, false);

create or replace macro outside_is_missing_ref(names_missing_case, day, first_day, grace_days) as
    coalesce(names_missing_case and day >= first_day + grace_days, false);

create or replace macro outside_is_unmatched(names_case, names_missing_case, day, first_day,
        grace_days) as
    not names_case or outside_is_missing_ref(names_missing_case, day, first_day, grace_days);

-- grain: one row per case
--   entry_lag      working days from the acceptance date to the recording date: workday_seq
--                  of the recording date − workday_seq of the acceptance date (0 = the same
--                  day or before the next working day; 1 = the next working day; ...)
--   burst          for cases recorded 1 or more working days late: how many of the
--                  department's records (this one included) were entered within 5 minutes
--                  before or after it
--   recorded_period_end  (late cases) recorded on the last working day of its week or of its
--                  month: a working day whose next working day falls in a later ISO week
--                  (Monday to Sunday) or a later calendar month — usually a Friday (a
--                  Saturday when it is a 调休 working day, a Thursday before a Friday off)
--                  or the month's last working day. Not a weekend: nothing is said about
--                  Saturdays or Sundays.
--   close_minutes  for 办结 cases with promised_days ≥ 1 completed within 120 minutes of
--                  acceptance: whole minutes from acceptance to completion
create or replace macro outside_case_flags(src := 'cases') as table
with ends as (
    select day,
        date_trunc('week', next_day) <> date_trunc('week', day)
            or date_trunc('month', next_day) <> date_trunc('month', day) as is_period_end
    from (
        select day, lead(day) over (order by day) as next_day
        from calendar_days where is_workday
    )
),
base as (
    select c.case_id, c.town_code, c.dept_name, c.item_name, c.channel, c.promised_days,
        c.status, c.accepted_at, c.recorded_at, c.completed_at,
        cast(c.accepted_at as date) as day,
        r.workday_seq - a.workday_seq as entry_lag,
        count(*) over (
            partition by c.town_code, c.dept_name order by c.recorded_at
            range between interval 5 minutes preceding and interval 5 minutes following
        ) as burst_window
    from query_table(src) c
    left join calendar_days a on a.day = cast(c.accepted_at as date)
    left join calendar_days r on r.day = cast(c.recorded_at as date)
)
select b.* exclude (burst_window),
    case when b.entry_lag >= 1 then b.burst_window end as burst,
    case when b.entry_lag >= 1 then coalesce(e.is_period_end, false) end as recorded_period_end,
    b.status = '办结' and b.completed_at is not null as is_done,
    case when b.status = '办结' and b.promised_days >= 1
              and b.completed_at < b.accepted_at + interval 120 minutes
         then cast(floor(epoch(b.completed_at - b.accepted_at) / 60) as integer)
    end as close_minutes
from base b
left join ends e on e.day = cast(b.recorded_at as date);

-- grain: one row per evaluation
--   names_missing_case  it names a 办件编号 that no loaded case has
create or replace macro outside_eval_flags(src := 'evaluations') as table
select v.eval_id, v.case_id, v.town_code, v.dept_name, v.eval_channel, v.rated_at, v.rating,
    cast(v.rated_at as date) as day,
    v.case_id is not null as names_case,
    v.case_id is not null
        and not exists (select 1 from cases c where c.case_id = v.case_id) as names_missing_case
from query_table(src) v;

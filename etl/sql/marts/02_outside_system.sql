-- 体外循环: the six signals per department and period, from the rollups of
-- rollups/02_outside_system.sql (or the raw views the tests compare them with).

-- grain: one row per (town_code, dept_name, period_start, signal) for every department with
-- a case or an evaluation in the period (stationed_silent: every department with 应进驻 = 是).
-- bucket 'week' or 'month' judges every week or month of [date_from, date_to] (clipped to it)
-- as a period of its own, 'none' the whole period (period_start = date_from).
--   value / threshold  the share (late, batch, instant, missing refs), evaluations naming
--                      no platform case per case (evals_without_cases, cases counted as at
--                      least 1), or the number of cases (stationed_silent: flagged when
--                      value <= threshold)
--   volume             the records the value is computed over (all the department's
--                      evaluations for evals_without_cases, working days of the period within
--                      the loaded data for stationed_silent); a signal flags only with
--                      volume >= min_volume (hits >= min_volume for evals_without_cases,
--                      >= silent_min_workdays working days for stationed_silent)
--   hits               the records that count towards the value: exactly the records the
--                      evidence lists (dashboard/queries/outside__<signal>.sql; for
--                      stationed_silent the department's cases of the period)
-- Signals:
--   late_entry          cases recorded more than late_workdays working days after acceptance
--                       (entry_lag > late_workdays), share of the period's cases
--   batch_entry         cases recorded at least batch_min_lag working days late inside a burst:
--                       burst >= max(batch_min_burst, batch_rate_ratio × the department's
--                       normal pace per 10 minutes); share of the period's cases
--   instant_closure     办结 cases with promised_days >= instant_min_promised completed within
--                       instant_minutes of acceptance; share of those 办结 cases
--   missing_case_refs   evaluations naming a 办件编号 no loaded case has; share of the
--                       evaluations that name one. Evaluations rated in the first
--                       missing_grace_days days of the loaded case data are not judged (they
--                       may name cases accepted before it)
--   evals_without_cases evaluations naming no case on the platform (no 办件编号, or one no
--                       loaded case has, judged as for missing_case_refs) per case of the
--                       period >= ewc_ratio, with at least min_volume such evaluations. An
--                       evaluation naming a loaded case is evidence that the case is on the
--                       platform, so it never counts here (volume: all the department's
--                       evaluations of the period, for context)
--   stationed_silent    a department with 应进驻 = 是 at the town has <= silent_max_cases cases
--                       in a period of at least silent_min_workdays working days (counted
--                       within the loaded data), while the town has cases; not raised when
--                       evals_without_cases already flags the department
create or replace macro outside_system_signals(date_from, date_to,
        min_volume := 20,
        late_workdays := 1, late_share := 0.3,
        batch_min_burst := 20, batch_rate_ratio := 10, batch_min_lag := 1, batch_share := 0.3,
        instant_minutes := 10, instant_min_promised := 1, instant_share := 0.2,
        missing_share := 0.2, missing_grace_days := 60,
        ewc_ratio := 5,
        silent_min_workdays := 20, silent_max_cases := 0,
        bucket := 'none',
        cases_src := 'agg_outside_cases', evals_src := 'agg_outside_evals') as table
with coverage as (
    select min(day) as first_day, max(day) as last_day from query_table(cases_src)
),
-- every period judged: its first day, and its working days within the loaded data
span as (
    select
        period_start(bucket, k.day, date_from) as period_start,
        count(*) filter (
            where k.is_workday and k.day between v.first_day and v.last_day
        ) as workdays
    from calendar_days k, coverage v
    where k.day between date_from and date_to
    group by all
),
c as (
    select *,
        period_start(bucket, day, date_from) as period_start
    from query_table(cases_src)
    where day between date_from and date_to
),
pace as (
    select c.town_code, c.dept_name, c.period_start, sum(c.n) as cases,
        sum(c.n) / (greatest(any_value(s.workdays), 1) * 48.0) as normal_pace,
        greatest(batch_min_burst, batch_rate_ratio * normal_pace) as burst_threshold
    from c
    left join span s on s.period_start = c.period_start
    group by c.town_code, c.dept_name, c.period_start
),
case_counts as (
    select p.town_code, p.dept_name, p.period_start,
        any_value(p.cases) as cases,
        any_value(p.normal_pace) as normal_pace,
        any_value(p.burst_threshold) as burst_threshold,
        coalesce(sum(c.n) filter (where outside_is_late(c.entry_lag, late_workdays)), 0) as late,
        sum(c.n * c.entry_lag) filter (
            where outside_is_late(c.entry_lag, late_workdays)
        ) as late_lag_sum,
        coalesce(sum(c.n) filter (
            where outside_is_batch(c.entry_lag, c.burst, p.burst_threshold, batch_min_lag)
        ), 0) as batch,
        coalesce(sum(c.n) filter (
            where outside_is_batch(c.entry_lag, c.burst, p.burst_threshold, batch_min_lag)
              and c.recorded_period_end
        ), 0) as batch_period_end,
        max(c.burst) filter (
            where outside_is_batch(c.entry_lag, c.burst, p.burst_threshold, batch_min_lag)
        ) as max_burst,
        coalesce(sum(c.n) filter (
            where outside_is_closable(c.is_done, c.promised_days, instant_min_promised)
        ), 0) as closable,
        coalesce(sum(c.n) filter (
            where outside_is_instant(c.is_done, c.promised_days, c.close_minutes,
                instant_min_promised, instant_minutes)
        ), 0) as instant
    from c
    join pace p on p.town_code = c.town_code and p.dept_name = c.dept_name
        and p.period_start = c.period_start
    group by p.town_code, p.dept_name, p.period_start
),
eval_counts as (
    select town_code, dept_name,
        period_start(bucket, day, date_from) as period_start,
        sum(n) as evaluations,
        coalesce(sum(n) filter (
            where outside_is_judged_ref(names_case, day, (select first_day from coverage),
                missing_grace_days)
        ), 0) as naming,
        coalesce(sum(n) filter (
            where outside_is_missing_ref(names_missing_case, day, (select first_day from coverage),
                missing_grace_days)
        ), 0) as missing,
        coalesce(sum(n) filter (
            where outside_is_unmatched(names_case, names_missing_case, day,
                (select first_day from coverage), missing_grace_days)
        ), 0) as unmatched
    from query_table(evals_src)
    where day between date_from and date_to
    group by all
),
stationed as (
    select distinct d.town_code, d.dept_name, s.period_start
    from departments d, span s
    where d.town_code is not null and d.must_station
),
active_towns as (
    select distinct town_code, period_start from c
),
keys as (
    select town_code, dept_name, period_start from case_counts
    union
    select town_code, dept_name, period_start from eval_counts
    union
    select town_code, dept_name, period_start from stationed
),
d as (
    select k.town_code, k.dept_name, k.period_start,
        coalesce(cc.cases, 0)::bigint as cases,
        coalesce(cc.late, 0)::bigint as late,
        cc.late_lag_sum / nullif(cc.late, 0) as avg_late_lag,
        coalesce(cc.batch, 0)::bigint as batch,
        coalesce(cc.batch_period_end, 0)::bigint as batch_period_end,
        cc.max_burst::bigint as max_burst,
        cc.normal_pace::double as normal_pace,
        cc.burst_threshold::double as burst_threshold,
        coalesce(cc.closable, 0)::bigint as closable,
        coalesce(cc.instant, 0)::bigint as instant,
        coalesce(ev.evaluations, 0)::bigint as evaluations,
        coalesce(ev.naming, 0)::bigint as naming,
        coalesce(ev.missing, 0)::bigint as missing,
        coalesce(ev.unmatched, 0)::bigint as unmatched,
        coalesce(sp.workdays, 0)::bigint as workdays,
        s.town_code is not null as must_station,
        a.town_code is not null as town_active
    from keys k
    left join case_counts cc on cc.town_code = k.town_code and cc.dept_name = k.dept_name
        and cc.period_start = k.period_start
    left join eval_counts ev on ev.town_code = k.town_code and ev.dept_name = k.dept_name
        and ev.period_start = k.period_start
    left join stationed s on s.town_code = k.town_code and s.dept_name = k.dept_name
        and s.period_start = k.period_start
    left join active_towns a on a.town_code = k.town_code and a.period_start = k.period_start
    left join span sp on sp.period_start = k.period_start
),
judged as (
    select *,
        unmatched >= min_volume
            and unmatched / greatest(cases, 1) >= ewc_ratio as ewc_flagged
    from d
)
select town_code, dept_name, period_start, 'late_entry' as signal,
    coalesce(cases >= min_volume and late / cases >= late_share, false) as flagged,
    late / nullif(cases, 0) as value, late_share::double as threshold,
    cases as volume, late as hits, * exclude (town_code, dept_name, period_start, ewc_flagged)
from judged
where cases > 0
union all by name
select town_code, dept_name, period_start, 'batch_entry' as signal,
    coalesce(cases >= min_volume and batch / cases >= batch_share, false) as flagged,
    batch / nullif(cases, 0) as value, batch_share::double as threshold,
    cases as volume, batch as hits, * exclude (town_code, dept_name, period_start, ewc_flagged)
from judged
where cases > 0
union all by name
select town_code, dept_name, period_start, 'instant_closure' as signal,
    coalesce(closable >= min_volume and instant / closable >= instant_share, false) as flagged,
    instant / nullif(closable, 0) as value, instant_share::double as threshold,
    closable as volume, instant as hits,
    * exclude (town_code, dept_name, period_start, ewc_flagged)
from judged
where closable > 0
union all by name
select town_code, dept_name, period_start, 'missing_case_refs' as signal,
    coalesce(naming >= min_volume and missing / naming >= missing_share, false) as flagged,
    missing / nullif(naming, 0) as value, missing_share::double as threshold,
    naming as volume, missing as hits,
    * exclude (town_code, dept_name, period_start, ewc_flagged)
from judged
where naming > 0
union all by name
select town_code, dept_name, period_start, 'evals_without_cases' as signal,
    ewc_flagged as flagged,
    unmatched / greatest(cases, 1) as value, ewc_ratio::double as threshold,
    evaluations as volume, unmatched as hits,
    * exclude (town_code, dept_name, period_start, ewc_flagged)
from judged
where evaluations > 0
union all by name
select town_code, dept_name, period_start, 'stationed_silent' as signal,
    town_active and workdays >= silent_min_workdays and cases <= silent_max_cases
        and not ewc_flagged as flagged,
    cases::double as value, silent_max_cases::double as threshold,
    workdays as volume, cases as hits,
    * exclude (town_code, dept_name, period_start, ewc_flagged)
from judged
where must_station;

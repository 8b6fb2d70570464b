-- 12345热线 · 重复来电人数 (hotline_repeat_callers) and 重复来电 (hotline_repeat_calls).
-- grain: one row
-- A repeat call is defined once, by repeat_calls() in etl/sql/rollups/01_daily.sql: a ticket
-- whose caller had another ticket about the same town within $window_days days before it.
-- A repeat caller is a caller with at least one repeat call received in the period.
select
    count(distinct caller_hash) as hotline_repeat_callers,
    count(*) as hotline_repeat_calls
from repeat_calls($date_from, $date_to, $window_days)
where list_contains($towns, town_code)
    and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))

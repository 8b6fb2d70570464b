-- 体外循环 · 延迟录入: the department's cases recorded more than $late_workdays working days
-- after acceptance — the cases the signal counts — the latest recorded first.
-- grain: one row per such case accepted in [date_from, date_to], at most $limit rows
select case_id, item_name, channel, promised_days, status, accepted_at, recorded_at, entry_lag
from outside_case_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and entry_lag > $late_workdays
order by entry_lag desc, accepted_at, case_id
limit $limit

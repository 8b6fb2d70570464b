-- 体外循环 · 受理即办结: the department's completed cases promised in at least
-- $instant_min_promised working days and closed within $instant_minutes minutes of acceptance.
-- grain: one row per such case accepted in [date_from, date_to], at most $limit rows
select case_id, item_name, channel, promised_days, status, accepted_at, recorded_at,
    completed_at, close_minutes
from outside_case_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and is_done
    and promised_days >= greatest($instant_min_promised, 1)
    and close_minutes < least($instant_minutes, 120)
order by promised_days desc, close_minutes, accepted_at, case_id
limit $limit

-- 体外循环 · 应进未进: every record the signal counts for one department and period — its
-- cases accepted in [date_from, date_to] (the signal's value; it flags when there are at most
-- silent_max_cases, normally none). The department's window is outside__window.
-- grain: one row per such case
select case_id, item_name, channel, status, accepted_at, recorded_at
from cases
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and cast(accepted_at as date) between $date_from and $date_to

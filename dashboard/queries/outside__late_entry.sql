-- 体外循环 · 延迟录入: every record the signal counts for one department and period — its
-- cases accepted in [date_from, date_to] recorded more than $late_workdays working days after
-- acceptance (outside_is_late, the rule the signal sums: etl/sql/{flags,rollups,marts}/02_outside_system.sql).
-- The domain pages, orders and counts these rows (dashboard/domain/outside_system.py).
-- grain: one row per such case
select case_id, item_name, channel, status, accepted_at, recorded_at, entry_lag
from outside_case_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and outside_is_late(entry_lag, $late_workdays)

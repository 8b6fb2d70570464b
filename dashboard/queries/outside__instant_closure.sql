-- 体外循环 · 受理即办结: every record the signal counts for one department and period — its
-- 办结 cases accepted in [date_from, date_to], promised in at least $instant_min_promised
-- working days and closed within $instant_minutes minutes of acceptance (outside_is_instant,
-- the rule the signal sums).
-- grain: one row per such case
select case_id, item_name, channel, promised_days, status, accepted_at, completed_at,
    close_minutes
from outside_case_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and outside_is_instant(is_done, promised_days, close_minutes, $instant_min_promised,
        $instant_minutes)

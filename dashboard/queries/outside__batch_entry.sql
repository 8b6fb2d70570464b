-- 体外循环 · 集中补录: every record the signal counts for one department and period — its
-- cases accepted in [date_from, date_to], recorded at least $batch_min_lag working days late
-- inside a burst of at least $burst_threshold records within 5 minutes (outside_is_batch, the
-- rule the signal sums; $burst_threshold is the department's, from outside_system_signals).
-- grain: one row per such case
select case_id, item_name, channel, accepted_at, recorded_at, entry_lag, burst,
    recorded_period_end
from outside_case_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and outside_is_batch(entry_lag, burst, $burst_threshold, $batch_min_lag)

-- 体外循环 · 集中补录: the department's cases entered late in a burst of at least
-- $burst_threshold records within 5 minutes — the cases the signal counts — biggest burst first.
-- grain: one row per such case accepted in [date_from, date_to], at most $limit rows
select case_id, item_name, channel, promised_days, status, accepted_at, recorded_at,
    entry_lag, burst, recorded_period_end
from outside_case_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and entry_lag >= greatest($batch_min_lag, 1)
    and burst >= $burst_threshold
order by burst desc, recorded_at, case_id
limit $limit

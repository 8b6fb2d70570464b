-- 体外循环 · 有评价无办件: the department's evaluations of the period, the earliest first.
-- grain: one row per evaluation rated in [date_from, date_to], at most $limit rows
select eval_id, case_id, eval_channel, rated_at, rating
from evaluations
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and cast(rated_at as date) between $date_from and $date_to
order by rated_at, eval_id
limit $limit

-- 体外循环 · 评价所指办件不存在: the department's evaluations naming a 办件编号 no loaded case
-- has (after the grace period from the first loaded case), the earliest first.
-- grain: one row per such evaluation rated in [date_from, date_to], at most $limit rows
select eval_id, case_id, eval_channel, rated_at, rating
from outside_missing_refs
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and day >= (select min(day) from agg_outside_cases) + $missing_grace_days
order by rated_at, eval_id
limit $limit

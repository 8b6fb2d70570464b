-- 体外循环 · 评价所指办件不存在: every record the signal counts for one department and
-- period — its evaluations rated in [date_from, date_to] naming a 办件编号 no loaded case has,
-- past the grace period from the first loaded case (outside_is_missing_ref, the rule the
-- signal sums).
-- grain: one row per such evaluation
select eval_id, case_id as named_case_id, 'missing' as reference, eval_channel, rated_at, rating
from outside_eval_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and outside_is_missing_ref(names_missing_case, day,
        (select min(day) from agg_outside_cases), $missing_grace_days)

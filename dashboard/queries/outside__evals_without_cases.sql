-- 体外循环 · 有评价无办件: every record the signal counts for one department and period — its
-- evaluations rated in [date_from, date_to] that name no case on the platform: no 办件编号,
-- or one no loaded case has (outside_is_unmatched, the rule the signal sums). Evaluations
-- naming a loaded case are never among them: their case is on the platform.
-- grain: one row per such evaluation
select eval_id, case_id as named_case_id,
    case when names_case then 'missing' else 'none' end as reference,
    eval_channel, rated_at, rating
from outside_eval_examples
where list_contains($towns, town_code)
    and town_code = $town and dept_name = $dept
    and day between $date_from and $date_to
    and outside_is_unmatched(names_case, names_missing_case, day,
        (select min(day) from agg_outside_cases), $missing_grace_days)

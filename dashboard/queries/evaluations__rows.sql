-- 好差评 · 评价明细: the evaluations behind a bar of the rating or channel chart. A null
-- parameter does not filter. The bars count agg_evals_daily, whose rows group eval_flags by
-- rating day, channel and rating — columns taken from evaluations as they are — so these are
-- exactly the evaluations a bar counts, read without the rectification lookups.
-- grain: one row per evaluation rated in [date_from, date_to] that matches, newest first, at
-- most $limit rows. How many match is the bar's own figure (the rollup), not counted here:
-- counting every matching evaluation would cost a scan of the period's facts.
with evaluations_in_period as (
    select eval_id, case_id, town_code, dept_name, eval_channel, rated_at, rating,
        rectify_status, rectified_at
    from evaluations
    where cast(rated_at as date) between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
        and ($rating::integer is null or rating = $rating::integer)
        and ($eval_channel::varchar is null or eval_channel = $eval_channel::varchar)
),

final as (
    select e.*, t.town_name
    from evaluations_in_period e
    left join towns t using (town_code)
)

select * from final
order by rated_at desc, eval_id
limit $limit

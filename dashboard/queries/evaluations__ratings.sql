-- 好差评 · 评价等级与渠道: the period's evaluations by rating and channel.
-- grain: one row per (rating, eval_channel) with an evaluation rated in [date_from, date_to]
-- Read from the rollup agg_evals_daily; `evaluations` sums to metrics' evaluations, and the
-- rows with rating <= 2 to its bad_reviews.
with daily as (
    select rating, eval_channel, evaluations
    from agg_evals_daily
    where day between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

final as (
    select rating, eval_channel, sum(evaluations)::bigint as evaluations
    from daily
    group by rating, eval_channel
)

select * from final
order by rating desc, eval_channel

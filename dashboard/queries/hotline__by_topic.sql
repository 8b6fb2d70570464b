-- 12345热线 · 一级分类: the period's tickets by topic; a ticket without one is 未分类.
-- grain: one row per topic with a ticket received in [date_from, date_to]
-- Read from the rollup agg_hotline_daily; `tickets` sums to metrics' hotline_tickets.
with daily as (
    select coalesce(topic, '未分类') as topic, tickets
    from agg_hotline_daily
    where day between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

final as (
    select topic, sum(tickets)::bigint as tickets
    from daily
    group by topic
)

select * from final
order by tickets desc, topic

-- 12345热线 · 诉求类型: the period's tickets by request type (咨询, 投诉, 求助, …).
-- grain: one row per request type with a ticket received in [date_from, date_to]
-- Read from the rollup agg_hotline_daily; `tickets` sums to metrics' hotline_tickets.
with daily as (
    select request_type, tickets
    from agg_hotline_daily
    where day between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

final as (
    select request_type, sum(tickets)::bigint as tickets
    from daily
    group by request_type
)

select * from final
order by tickets desc, request_type

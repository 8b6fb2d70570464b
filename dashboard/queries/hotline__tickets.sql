-- 12345热线 · 工单明细: the tickets behind a bar or a cell of the page (request type, topic,
-- town, or the 解决率's tickets), from ticket_flags so they are exactly the tickets the
-- figures count. A null parameter does not filter.
-- grain: one row per ticket received in [date_from, date_to] that matches, newest first, at
-- most $limit rows; `total` is the number of matching tickets
with flags as (
    select *
    from ticket_flags($as_of)
    where day between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
        and ($request_type::varchar is null or request_type = $request_type::varchar)
        and ($topic::varchar is null or coalesce(topic, '未分类') = $topic::varchar)
        and ($town::varchar is null or town_code = $town::varchar)
        and (not $resolution_known::boolean or resolved is not null)
),

final as (
    select
        f.ticket_id, t.town_name, f.dept_name, f.request_type, f.topic, f.received_at,
        f.due_at, f.completed_at, f.status, f.resolved, f.satisfaction,
        count(*) over () as total
    from flags f
    left join towns t using (town_code)
)

select * from final
order by received_at desc, ticket_id
limit $limit

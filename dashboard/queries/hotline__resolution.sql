-- 12345热线 · 解决率 (hotline_resolution_rate), per town.
-- grain: one row per town with a ticket received in [date_from, date_to]
--
-- Definition: among the period's tickets (received_at date in the period, as for
-- hotline_tickets), 解决率 = tickets with 是否解决 = 是 / tickets with 是否解决 filled in
-- (是 or 否). Tickets whose 是否解决 is empty — still open, 退单, not yet visited back — are
-- in neither count; a town with none filled in has an empty rate (null), never 0.
-- The county's rate is sum(resolved_tickets) / sum(resolution_known) over the rows.
-- 是否解决 is not in the rollups, so this reads hotline_tickets (small: ~60k rows a year
-- at scale 1), cut to the period first.
with tickets as (
    select town_code, resolved
    from hotline_tickets
    where cast(received_at as date) between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

by_town as (
    select
        town_code,
        count(*) as tickets,
        count(resolved) as resolution_known,
        count(*) filter (where resolved) as resolved_tickets
    from tickets
    group by town_code
),

final as (
    select
        b.town_code,
        t.town_name,
        b.tickets,
        b.resolution_known,
        b.resolved_tickets,
        b.resolved_tickets / nullif(b.resolution_known, 0) as hotline_resolution_rate
    from by_town b
    left join towns t using (town_code)
)

select * from final
order by town_code

-- 乡镇页 · 事项 → 办件: the cases behind one item's row of town__items.sql.
-- grain: one row per case of the item at the town accepted in [date_from, date_to], newest
-- first, at most $limit rows; `total` is the number of such cases (the item's 办件量)
with flags as (
    select *
    from case_flags($as_of, $online_channels, $horizon)
    where town_code = $town
        and item_code = $item_code
        and day between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

final as (
    select
        case_id, dept_name, item_name, channel, accepted_at, promised_days, deadline_at,
        completed_at, status,
        is_online, is_on_time, is_overdue_completed, is_overdue_open,
        count(*) over () as total
    from flags
)

select * from final
order by accepted_at desc, case_id
limit $limit

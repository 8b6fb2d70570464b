-- 乡镇页 · 事项: the town's cases by service item, for one town and the period.
-- grain: one row per item (item_code, item_name) with a case of the town accepted in
-- [date_from, date_to] (and of the chosen departments, if any)
-- Item level is not in the rollups, so this reads case_flags (the indicator definitions,
-- etl/sql/flags/01_records.sql) over the facts, cut to one town and the period; the counts are
-- named as indicator_counts' and the figures formed by the registry's lines, exactly as in
-- metrics.sql. The evaluation lookup is skipped (not shown here).
with flags as (
    select *
    from case_flags($as_of, $online_channels, $horizon)
    where town_code = $town
        and day between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

by_item as (
    select
        item_code,
        item_name,
        string_agg(distinct dept_name, '、' order by dept_name) as dept_names,
        count(*) as cases,
        count(*) filter (where is_online) as online_cases,
        count(*) filter (where is_completed) as completed,
        count(*) filter (where is_on_time) as on_time,
        count(*) filter (where is_overdue_completed) as overdue_completed,
        count(*) filter (where is_overdue_open) as overdue_open,
        count(*) filter (where is_warning_open) as warning_open
    from flags
    group by item_code, item_name
),

final as (
    -- the figures are formed by the indicator registry's lines, as in metrics.sql
    select
        item_code,
        item_name,
        dept_names,
        {figures}
    from by_item
    group by item_code, item_name, dept_names
)

select * from final
order by cases desc, item_code

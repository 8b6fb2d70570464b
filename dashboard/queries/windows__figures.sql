-- 窗口 (受理窗口, contract §3a window_name): case figures by window, for the town page's
-- windows under each department and the monthly window ranking (dashboard/domain/windows.py).
-- grain: one row per (town_code, dept_name, window_name) with a case accepted in
-- [date_from, date_to]; dept_name is NULL when $by_dept is false (a 综合窗口 takes cases of
-- several departments: the ranking judges the window as a whole); window_name NULL gathers
-- the cases whose file names no window (never ranked).
-- Window level is not in the rollups, so this reads case_flags (the indicator definitions,
-- etl/sql/flags/01_records.sql) over the period's cases; the counts are named as
-- indicator_counts' and the figures formed by the registry's lines, as in
-- metrics.sql. $town: one town, or NULL for every town the viewer may see.
with flags as (
    select *
    from case_flags($as_of, $online_channels, $horizon)
    where day between $date_from and $date_to
        and list_contains($towns, town_code)
        and ($town::varchar is null or town_code = $town::varchar)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

by_window as (
    select
        town_code,
        case when $by_dept::boolean then dept_name end as dept_name,
        window_name,
        count(*) as cases,
        count(*) filter (where is_completed) as completed,
        count(*) filter (where is_on_time) as on_time,
        count(*) filter (where is_overdue_open) as overdue_open,
        count(*) filter (where is_commitment_completed) as commitment_completed,
        count(*) filter (where is_early_completed) as early_completed,
        count(*) filter (where is_onsite_known) as onsite_known,
        count(*) filter (where is_onsite) as onsite_cases,
        count(*) filter (where is_assisted) as assisted_cases
    from flags
    group by all
),

final as (
    select w.town_code, t.town_name, w.dept_name, w.window_name,
        {figures}
    from by_window w
    join towns t using (town_code)
    group by all
)

select * from final
order by town_code, dept_name nulls first, window_name nulls last

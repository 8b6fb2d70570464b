-- Indicators per town, per town × department, per county (issue 18: the town's county, from
-- town_counties) or for the whole, over [date_from, date_to].
-- Counts come from indicator_counts (etl/sql/marts/01_indicators.sql); the figures formed
-- from them are generated from the indicator registry
-- (dashboard/domain/indicators.py select_sql): counts summed, each rate numerator /
-- nullif(denominator, 0) — a rate with a zero denominator is NULL (contract §7).
-- Placeholders (chosen by the code, never by a request): the counts macro (indicator_counts |
-- indicator_counts_raw), the grouping columns, the figures from the registry.
-- $towns (bound by the Store: the viewer's towns) and $depts (the chosen departments;
-- empty = all) are parameters.
with counts as (
    select * from {counts}($date_from, $date_to, $as_of, $online_channels, $horizon,
                           $satisfied_rating, $rectify_days, bucket := $bucket)
),
-- every town of the reference file appears, with or without activity;
-- every stationed department window too, with or without cases
frame as (
    select t.town_code, t.town_name, tc.county_code, d.dept_name
    from towns t
    join town_counties tc using (town_code)
    left join (
        select town_code, dept_name from departments where town_code is not null
        union
        select town_code, dept_name from counts
    ) d using (town_code)
),
joined as (
    select f.town_code, f.town_name, f.county_code, f.dept_name,
        c.* exclude (town_code, dept_name)
    from frame f
    left join counts c on c.town_code = f.town_code and c.dept_name = f.dept_name
    where list_contains($towns, f.town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], f.dept_name))
)
select {keys},
    {figures}
from joined
group by all
order by all

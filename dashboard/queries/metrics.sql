-- Indicators per town, per town × department, or for the county, over [date_from, date_to].
-- Counts come from indicator_counts (etl/sql/marts/03_indicators.sql); every rate is formed
-- here and nowhere else. A rate with a zero denominator is NULL (contract §7).
-- Placeholders (chosen by the code, never by a request): {counts} indicator_counts |
-- indicator_counts_raw; {keys} the grouping columns. $towns (bound by the Store: the
-- viewer's towns) and $depts (the chosen departments; empty = all) are parameters.
with counts as (
    select * from {counts}($date_from, $date_to, $as_of, $online_channels, $horizon,
                           $satisfied_rating, $rectify_days, bucket := $bucket)
),
-- every town of the reference file appears, with or without activity;
-- every stationed department window too, with or without cases
frame as (
    select t.town_code, t.town_name, d.dept_name
    from towns t
    left join (
        select town_code, dept_name from departments where town_code is not null
        union
        select town_code, dept_name from counts
    ) d using (town_code)
),
joined as (
    select f.town_code, f.town_name, f.dept_name, c.* exclude (town_code, dept_name)
    from frame f
    left join counts c on c.town_code = f.town_code and c.dept_name = f.dept_name
    where list_contains($towns, f.town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], f.dept_name))
)
select {keys},
    coalesce(sum(cases), 0)::bigint as cases,
    coalesce(sum(online_cases), 0)::bigint as online_cases,
    sum(online_cases) / nullif(sum(cases), 0) as online_rate,
    coalesce(sum(completed), 0)::bigint as completed,
    sum(on_time) / nullif(sum(completed), 0) as on_time_rate,
    coalesce(sum(overdue_completed), 0)::bigint as overdue_completed,
    coalesce(sum(overdue_open), 0)::bigint as overdue_open,
    coalesce(sum(warning_open), 0)::bigint as warning_open,
    coalesce(sum(evaluations), 0)::bigint as evaluations,
    sum(satisfied) / nullif(sum(evaluations), 0) as satisfaction_rate,
    coalesce(sum(bad_reviews), 0)::bigint as bad_reviews,
    sum(rectified) / nullif(sum(bad_reviews), 0) as rectify_rate,
    sum(evaluated) / nullif(sum(completed), 0) as evaluation_rate,
    coalesce(sum(rectify_overdue), 0)::bigint as rectify_overdue,
    coalesce(sum(hotline_tickets), 0)::bigint as hotline_tickets,
    sum(hotline_satisfied) / nullif(sum(hotline_rated), 0) as hotline_satisfaction_rate,
    sum(hotline_on_time) / nullif(sum(hotline_completed), 0) as hotline_on_time_rate,
    coalesce(sum(hotline_overdue_open), 0)::bigint as hotline_overdue_open
from joined
group by all
order by all

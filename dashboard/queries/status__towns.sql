-- grain: one row per town of the reference file, with its number of cases (from the
-- acceptance-day rollup, which counts every case once)
with cases_by_town as (
    select town_code, sum(cases) as cases
    from agg_cases_daily
    group by town_code
),
final as (
    select t.town_code, t.town_name, t.town_type, coalesce(c.cases, 0)::bigint as cases
    from towns t
    left join cases_by_town c using (town_code)
    where list_contains($towns, town_code)
)
select town_name, town_type, cases from final order by town_code

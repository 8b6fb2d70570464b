-- access: public (reference data, no per-town rows)
-- grain: one row per department name in the reference file or the cases (the depts filter)
select distinct dept_name from (
    select dept_name from departments
    union
    select distinct dept_name from agg_cases_daily
) order by dept_name

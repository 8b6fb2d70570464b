-- 体外循环: one department's window as the evidence of 应进未进 describes it — whether it must
-- be stationed, its latest case ever, its evaluations of the period and its town's cases of
-- the period (a town with none has missing data, not a silent department).
-- grain: one row (the department's window), or none
select d.town_code, d.dept_name, d.must_station,
    (select max(accepted_at) from cases c
     where c.town_code = d.town_code and c.dept_name = d.dept_name) as last_case_at,
    (select count(*) from evaluations v
     where v.town_code = d.town_code and v.dept_name = d.dept_name
       and cast(v.rated_at as date) between $date_from and $date_to) as evaluations_in_period,
    (select count(*) from cases c
     where c.town_code = d.town_code
       and cast(c.accepted_at as date) between $date_from and $date_to) as town_cases_in_period
from departments d
where list_contains($towns, d.town_code)
    and d.town_code = $town and d.dept_name = $dept

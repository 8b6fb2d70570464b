-- 体外循环 · 应进未进: the department's window, its latest case ever and its evaluations of
-- the period. grain: one row (the department's window), or none
select d.town_code, d.dept_name, d.must_station,
    (select max(accepted_at) from cases c
     where c.town_code = d.town_code and c.dept_name = d.dept_name) as last_case_at,
    (select count(*) from evaluations v
     where v.town_code = d.town_code and v.dept_name = d.dept_name
       and cast(v.rated_at as date) between $date_from and $date_to) as evaluations_in_period
from departments d
where list_contains($towns, d.town_code)
    and d.town_code = $town and d.dept_name = $dept

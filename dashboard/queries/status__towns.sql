-- grain: one row per town of the reference file, with its number of cases
select t.town_name, t.town_type, count(c.case_id) as cases
from towns t
left join cases c using (town_code)
where {scope}
group by all
order by any_value(t.town_code)

-- grain: one row per county with a town the viewer may see, in code order (the counties
-- filter, the city page); county_name is NULL where no counties.csv names the county
select c.county_code, c.county_name, c.city_name, count(*) as towns
from counties c
join town_counties t using (county_code)
where list_contains($towns, t.town_code)
group by all
order by c.county_code

-- Counties of the instance (issue 18). A county's code is digits 1-6 of its towns'
-- 12-digit statistical division codes, so no fact table carries a county column: a record's
-- county is its town's. counties.csv (county_reference) names the counties and their city;
-- a county that only the town codes name has no name here (NULL): the dashboard names it
-- (setting county.name when it is the only one, else by code).

-- grain: one row per county that has a town or a counties.csv row
create or replace table counties as
with named as (
    select county_code, min(county_name) as county_name, min(city_name) as city_name
    from county_reference
    group by county_code
),
from_towns as (
    select distinct left(town_code, 6) as county_code from towns
),
final as (
    select coalesce(n.county_code, t.county_code) as county_code, n.county_name, n.city_name
    from from_towns t
    full join named n using (county_code)
)
select * from final order by county_code;

-- grain: one row per town: the county it belongs to
create or replace view town_counties as
select town_code, left(town_code, 6) as county_code from towns;

-- grain: one row per town the viewer may see, in code order (the towns filter)
select town_code, town_name from towns where list_contains($towns, town_code) order by town_code

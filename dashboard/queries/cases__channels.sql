-- grain: one row per 申报方式 with any case (the case explorer's channel filter)
select distinct channel from agg_cases_daily where list_contains($towns, town_code) order by channel

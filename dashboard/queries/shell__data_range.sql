-- access: public (the days the loaded data spans: no town's figures or rows)
-- grain: one row — the first and last day with a case, an evaluation or a ticket
select min(first_day) as first_day, max(last_day) as last_day
from (
    select min(day) as first_day, max(day) as last_day from agg_cases_daily
    union all
    select min(day), max(day) from agg_evals_daily
    union all
    select min(day), max(day) from agg_hotline_daily
)

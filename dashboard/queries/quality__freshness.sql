-- access: whole_county (rejected rows, loads and counts of every town: county staff only)
-- grain: one row per fact source — its loaded files, newest export time (extracted_at) and
-- newest event in the data; the page turns these into ages against the clock
with loaded as (
    select source,
        count(*) as files,
        max(extracted_at) as newest_extract,
        max(finished_at) as last_load
    from loads
    where status = 'loaded'
    group by source
),
events as (
    select 'cases' as source, 1 as pos, count(*) as records, max(accepted_at) as newest_event
    from cases
    union all
    select 'hotline', 2, count(*), max(received_at) from hotline_tickets
    union all
    select 'evaluations', 3, count(*), max(rated_at) from evaluations
),
final as (
    select e.source, coalesce(l.files, 0) as files, e.records, l.newest_extract,
        e.newest_event, l.last_load, e.pos
    from events e
    left join loaded l using (source)
)
select * exclude (pos) from final order by pos

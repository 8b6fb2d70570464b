-- 12345热线 · 重复来电: the tickets of repeat callers ($caller: one caller's, by the first
-- letters of the hash; '' = every repeat caller's).
-- grain: one row per ticket of a repeat caller received from $window_days days before
-- date_from up to date_to, in the viewer's towns and the chosen departments (the earlier
-- calls that make a later one a repeat are listed too)
--
-- Repeat calls are defined once, by repeat_calls() in etl/sql/rollups/01_daily.sql (another
-- ticket by the same caller about the same town within the window before it); is_repeat
-- marks the tickets that are repeat calls in the period, previous_at is the caller's
-- previous call about the same town.
with repeats as (
    select ticket_id, caller_hash, previous_at
    from repeat_calls($date_from, $date_to, $window_days)
    where list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
        and starts_with(caller_hash, $caller)
),

callers as (
    select distinct caller_hash from repeats
),

final as (
    select
        t.ticket_id, t.caller_hash, town_code, w.town_name, t.dept_name, t.request_type,
        coalesce(t.topic, '未分类') as topic, t.received_at, t.due_at, t.completed_at,
        t.status, t.resolved, t.satisfaction,
        cast(t.received_at as date) >= $date_from as in_period,
        r.ticket_id is not null as is_repeat,
        r.previous_at
    from hotline_tickets t
    semi join callers c on t.caller_hash = c.caller_hash
    left join repeats r on t.ticket_id = r.ticket_id
    left join towns w using (town_code)
    where cast(t.received_at as date)
            between cast($date_from as date) - cast($window_days as integer) and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], t.dept_name))
)

select * from final
order by caller_hash, received_at, ticket_id

-- 12345热线 · 重复来电: the tickets of repeat callers.
-- grain: one row per ticket of a repeat caller received from $window_days days before
-- date_from up to date_to (the earlier calls that make a later one a repeat are listed too)
--
-- Definitions (callers are known only by caller_hash, the keyed hash of 来电号码; the number
-- itself is never stored):
--   repeat call (重复来电)   a ticket received in the period whose caller had another ticket
--                            received within the $window_days days (30) before it — the
--                            earlier ticket may fall before the period
--   repeat caller (重复来电人) a caller with at least one repeat call in the period
-- Tickets without a caller_hash are never repeats. Only the viewer's towns (and the chosen
-- departments) are looked at, so a caller's calls about other towns do not count.
with tickets as (
    select
        ticket_id, caller_hash, town_code, dept_name, request_type,
        coalesce(topic, '未分类') as topic, received_at, due_at, completed_at, status,
        resolved, satisfaction
    from hotline_tickets
    where caller_hash is not null
        and cast(received_at as date)
            between cast($date_from as date) - cast($window_days as integer) and $date_to
        and {scope}
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

sequenced as (
    select
        *,
        lag(received_at) over (
            partition by caller_hash order by received_at, ticket_id
        ) as previous_at
    from tickets
),

flagged as (
    select
        * exclude (previous_at),
        cast(received_at as date) >= $date_from as in_period,
        coalesce(
            cast(received_at as date) >= $date_from
            and previous_at >= received_at - to_days(cast($window_days as integer)),
            false
        ) as is_repeat
    from sequenced
),

repeat_callers as (
    select distinct caller_hash from flagged where is_repeat
),

final as (
    select f.*, t.town_name
    from flagged f
    semi join repeat_callers r using (caller_hash)
    left join towns t using (town_code)
)

select * from final
order by caller_hash, received_at, ticket_id

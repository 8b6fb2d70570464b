-- access: public (reference data, no per-town rows)
-- 乡镇页 · 超期/预警: the working-day sequence used to say how many working days a case is
-- late (or has left). grain: one row per calendar day in [day_from, day_to]
with days as (
    select day, is_workday, workday_seq
    from calendar_days
    where day between $day_from and $day_to
)

select * from days
order by day

-- 好差评 · 差评整改状态: the period's bad reviews by rectification state.
-- grain: one row per rectify_status (empty: 未填写) among the bad reviews rated in
-- [date_from, date_to]
-- Reads eval_flags over the small bad_reviews subset (the same definition as metrics'
-- bad_reviews and rectify_overdue); `bad_reviews` sums to metrics' bad_reviews and
-- `rectify_overdue` to its rectify_overdue.
with flags as (
    select *
    from eval_flags($as_of, $satisfied_rating, $rectify_days, src := 'bad_reviews')
    where is_bad
        and day between $date_from and $date_to
        and list_contains($towns, town_code)
        and (len($depts::varchar[]) = 0 or list_contains($depts::varchar[], dept_name))
),

final as (
    select
        coalesce(rectify_status, '未填写') as rectify_status,
        count(*) as bad_reviews,
        count(*) filter (where is_rectify_overdue) as rectify_overdue
    from flags
    group by all
)

select * from final
order by bad_reviews desc, rectify_status

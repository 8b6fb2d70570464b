-- Scalar rules used by more than one flag, rollup or mart: each written once.

-- a rating of 1 or 2 of 5 is a 差评 (contract §7)
create or replace macro is_bad(rating) as rating <= 2;

-- a rating at or above the configured satisfied rating (settings evaluation.satisfied_rating)
create or replace macro is_satisfied(rating, satisfied_rating) as rating >= satisfied_rating;

-- a 承诺件: the file's 办件类型 when it says, else promised_days ≥ 1 (contract §3a)
create or replace macro is_commitment(case_type, promised_days) as
    coalesce(case_type = '承诺件', promised_days >= 1);

-- the last moment of a day (deadlines end at 23:59:59 of their day)
create or replace macro end_of_day(day) as day + interval '23:59:59';

-- the period a day falls in for a trend: the week's Monday or the month's first day; with
-- bucket 'none', the whole period [date_from, …] is one period starting at date_from
create or replace macro period_start(bucket, day, date_from) as
    case when bucket = 'none' then cast(date_from as date)
         else cast(date_trunc(if(bucket = 'none', 'day', bucket), day) as date) end;

-- Staging: columns of the facts kept up to date at every load, before the flags read them.

-- grain: one row per case id named by at least one loaded evaluation (评价率's numerator).
-- Needed only here, at load: a temporary table (stores before cases.evaluated kept it).
drop table if exists main.evaluated_cases;
create or replace temp table evaluated_cases as
select distinct case_id from evaluations where case_id is not null;

-- cases.evaluated mirrors evaluated_cases, refreshed here at every load, so that case_flags
-- reads a column instead of joining millions of case ids on every call (a county-year list
-- of cases took 0.8 s for that join alone at demo scale 10). Only rows whose state changed
-- are written: a case gains an evaluation, or an updated evaluation names another case.
update cases set evaluated = true
where not evaluated and case_id in (select case_id from evaluated_cases);
update cases set evaluated = false
where evaluated and case_id not in (select case_id from evaluated_cases);
drop table evaluated_cases;

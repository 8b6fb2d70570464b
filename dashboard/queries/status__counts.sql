-- access: whole_county (rejected rows, loads and counts of every town: county staff only)
-- grain: one row — how many records each table of the store holds
select
    (select count(*) from towns) as towns,
    (select count(*) from departments) as departments,
    (select count(*) from cases) as cases,
    (select count(*) from hotline_tickets) as hotline,
    (select count(*) from evaluations) as evaluations,
    (select count(*) from rejects) as rejects

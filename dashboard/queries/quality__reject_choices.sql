-- access: whole_county (rejected rows, loads and counts of every town: county staff only)
-- grain: one row per (file, reason) with rejected rows — the choices of the rejects filters
select file_name, reason, count(*) as rows, max(load_id) as load_id
from rejects
group by all
order by load_id desc, file_name, reason

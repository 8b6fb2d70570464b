-- access: whole_county (rejected rows, loads and counts of every town: county staff only)
-- grain: one row per rejected data row, newest load first and in file order;
-- $file / $reason ('' = any) narrow it, $limit / $offset page it
select file_name, source, source_row, reason, detail, raw::varchar as raw
from rejects
where ($file = '' or file_name = $file)
    and ($reason = '' or reason = $reason)
order by load_id desc, source_row
limit $limit offset $offset

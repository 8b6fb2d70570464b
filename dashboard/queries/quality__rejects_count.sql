-- access: whole_county (rejected rows, loads and counts of every town: county staff only)
-- grain: one row — how many rejected rows match $file / $reason ('' = any)
select count(*) as n
from rejects
where ($file = '' or file_name = $file)
    and ($reason = '' or reason = $reason)

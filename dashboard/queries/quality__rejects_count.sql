-- grain: one row — how many rejected rows match $file / $reason ('' = any)
select count(*) as n
from rejects
where ($file = '' or file_name = $file)
    and ($reason = '' or reason = $reason)

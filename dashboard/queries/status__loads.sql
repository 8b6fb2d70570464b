-- grain: one row per file offered to a load, newest first
select file_name, source, status, rows_read, inserted, updated, duplicate, rejected,
    extracted_at, finished_at
from loads
order by load_id desc
limit 50

-- access: whole_county (rejected rows, loads and counts of every town: county staff only)
-- grain: one row per file offered to a load (loaded or refused), newest first
select load_id, file_name, source, encoding, status, rows_read, inserted, updated, duplicate,
    rejected, reasons::varchar as reasons, message, extracted_at, finished_at
from loads
order by load_id desc
limit $limit

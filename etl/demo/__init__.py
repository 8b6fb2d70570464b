"""Demo county generator: a year of a fictional county's exports, in the contract's formats.

`generate()` writes what the county's source systems would hand over: towns.csv and
departments.csv, one 办件 file per month (CSV alternating GBK and UTF-8, the newest month as
.xlsx), quarterly 12345 files (UTF-8 with BOM, tab separated) and monthly 好差评 files
(UTF-8, comma). Each export carries the title rows real platforms put above the header.

Files (names are this generator's; the loader recognises sources by their headers):
towns.csv, departments.csv; cases_YYYY-MM.csv (GBK with CRLF and 乡镇（街道） in full-width
brackets for even file indexes, UTF-8 for odd) and cases_YYYY-MM.xlsx for the newest month
(and the month before when the newest has less than a week of data; timestamps are Excel
date-time cells there, 承诺时限 a number cell); evaluations_YYYY-MM.csv; hotline_YYYYQn.csv.
Every file covering a month or quarter of the 365 days is written, empty or not. Timestamps
are mostly `2026-11-03 09:15:22`; some files and some rows use `2026/11/3 9:15:22` or
`2026年11月3日 09:15`. Some files name towns by name, others by code. Files of an earlier
run in the output folder (by these names) are removed first.

Everything is drawn with numpy and formatted with polars, one array per column: there is
no Python loop per row (the .xlsx writer, which is row-based by nature, is the exception).
The same (seed, scale, end) gives byte-identical files.

Ground truth for tests and benchmarks:

- `PLANTED`: departments that handle cases outside the platform (体外循环) and the signal
  each one shows. Ordinary departments show none of these signals: their cases are entered
  within minutes of acceptance, completions take realistic time, evaluations name real
  cases, and every department that must be stationed (应进驻=是) has cases.
- `PLANTED_BAD_ROWS_BY_SOURCE` / `PLANTED_BAD_ROWS`: rows that a correct loader rejects,
  by reason code. `PLANTED_DUPLICATES` rows repeat an earlier row byte for byte;
  `PLANTED_UPDATES` rows are a newer version (status 在办 → 办结) of a case first written
  in the previous month's file. The counts are fixed, whatever the seed or scale.

Where the bad rows are (file index counts from the first file of the source, oldest first):

- 办件 file 1: unknown_town ×2, bad_timestamp ×2 (受理时间, 录入时间), negative_promised_days
  ×1, bad_number ×1 (承诺时限 '五'), and one row repeated later in the same file.
- 办件 file 2: completed_before_accepted ×2, invalid_value ×2 (申报方式, 办件状态),
  missing_required ×2 (事项编码, 受理部门), and one row of file 1 repeated.
- 办件 files 3 → 4: three cases written as 在办 in file 3 and as 办结 in file 4.
- 12345 file 1: due_before_received ×2, bad_timestamp ×1, invalid_value ×1 (诉求类型), one
  repeated row.
- 好差评 file 2: invalid_value ×1 (评价等级), missing_required ×1 (评价部门), unknown_town
  ×1, bad_timestamp ×1, one repeated row.

`DemoSummary.counts` gives the records a correct load stores (distinct valid ids);
`DemoSummary.rows_written` the data rows in the files, bad and repeated rows included.

Modules: `county` (the fictional county: towns, departments, items, value lists),
`planted` (the 体外循环 departments and the bad rows), `draws` (random streams, the
calendar), `simulate` (the year's cases, evaluations and tickets as arrays), `people`
(names, phone and ID numbers), `export` (frames, files and `generate()`).
"""

from etl.demo.county import (
    CASE_CHANNELS,
    CASE_STATUSES,
    CASES_PER_YEAR,
    COUNTY_CODE,
    COUNTY_DEPARTMENTS,
    COUNTY_NAME,
    DEPARTMENTS,
    EVAL_CHANNELS,
    HOTLINE_STATUSES,
    HOTLINE_TYPES,
    RATING_WORDS,
    TICKETS_PER_YEAR,
    TOWN_CODES,
    TOWN_NAMES,
)
from etl.demo.export import DemoSummary, generate
from etl.demo.planted import (
    PLANTED,
    PLANTED_BAD_ROWS,
    PLANTED_BAD_ROWS_BY_SOURCE,
    PLANTED_DUPLICATES,
    PLANTED_UPDATES,
    Planted,
)

__all__ = [
    "CASES_PER_YEAR",
    "CASE_CHANNELS",
    "CASE_STATUSES",
    "COUNTY_CODE",
    "COUNTY_DEPARTMENTS",
    "COUNTY_NAME",
    "DEPARTMENTS",
    "EVAL_CHANNELS",
    "HOTLINE_STATUSES",
    "HOTLINE_TYPES",
    "PLANTED",
    "PLANTED_BAD_ROWS",
    "PLANTED_BAD_ROWS_BY_SOURCE",
    "PLANTED_DUPLICATES",
    "PLANTED_UPDATES",
    "RATING_WORDS",
    "TICKETS_PER_YEAR",
    "TOWN_CODES",
    "TOWN_NAMES",
    "DemoSummary",
    "Planted",
    "generate",
]

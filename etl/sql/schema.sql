-- The store's tables. Grain is stated per table. Created by etl.load on a new store;
-- every statement is idempotent so an older store is brought up to date on the next load.

-- one row per county of the instance named by a counties.csv (issue 18); the counties
-- table (marts) adds those only the town codes name
create table if not exists county_reference (
    county_code varchar not null,   -- 6-digit county code: digits 1-6 of its towns' codes
    county_name varchar not null,
    city_name   varchar             -- 所属市
);

-- one row per town of the county (replaced whole by each towns.csv load)
create table if not exists towns (
    town_code   varchar not null,   -- 12-digit statistical division code
    town_name   varchar not null,
    town_type   varchar not null,   -- 乡 / 镇 / 街道
    grid_row    integer,            -- tile-map position on the wall screen
    grid_col    integer
);

-- one row per (town, department) window; town_code null = county level
create table if not exists departments (
    town_code    varchar,
    dept_name    varchar not null,
    must_station boolean not null   -- 应进驻: must handle its items at the town's centre
);

-- one row per case id (the newest version loaded)
create table if not exists cases (
    case_id          varchar not null,
    item_code        varchar not null,
    item_name        varchar not null,
    town_code        varchar not null,
    dept_name        varchar not null,
    channel          varchar not null,
    accepted_at      timestamp not null,
    promised_days    integer not null,
    completed_at     timestamp,
    status           varchar not null,
    recorded_at      timestamp not null,
    applicant_masked varchar,          -- 张*, 欧阳**
    id_number_hash   varchar,          -- keyed hash (HMAC-SHA256), never the number
    phone_hash       varchar,          -- keyed hash, never the number
    deadline_at      timestamp not null, -- end (23:59:59) of the deadline day, working-day calendar
    row_hash         varchar not null, -- content hash: tells an update from a duplicate
    load_id          integer not null, -- loads.load_id of the file that wrote this version
    source_row       integer not null, -- row number in that file
    evaluated        boolean not null default false, -- named by a loaded evaluation (marts)
    -- contract §3a: optional columns real exports carry; NULL where the file lacks them
    item_type        varchar,          -- 行政许可 … 公共服务, 其他 (any other text: 其他)
    item_type_raw    varchar,          -- the text as read when it was stored as 其他
    case_type        varchar,          -- 即办件 / 承诺件
    window_name      varchar,          -- 受理窗口
    window_type      varchar,          -- 综合窗口 / 部门窗口 / 村级代办点 / 自助终端
    onsite_completed boolean,          -- 是否现场办结
    cross_province   boolean,          -- 是否跨省通办
    bundle_theme     varchar,          -- 一件事主题; '' = the file has the column, no bundle
    paused_days      integer,          -- 特别程序天数: working days the deadline moves by
    village          varchar           -- 村(社区): the village agency point
);

-- one row per ticket id (the newest version loaded)
create table if not exists hotline_tickets (
    ticket_id     varchar not null,
    received_at   timestamp not null,
    town_code     varchar not null,
    dept_name     varchar not null,
    request_type  varchar not null,
    topic         varchar,
    due_at        timestamp not null,
    completed_at  timestamp,
    status        varchar not null,
    resolved      boolean,
    satisfaction  varchar not null,   -- 满意 / 基本满意 / 不满意 / 未评价 (empty = 未评价)
    caller_hash   varchar,            -- keyed hash of 来电号码 (repeat callers)
    content       varchar,            -- phone and ID numbers masked
    row_hash      varchar not null,
    load_id       integer not null,
    source_row    integer not null
);

-- one row per evaluation id (the newest version loaded)
create table if not exists evaluations (
    eval_id        varchar not null,
    case_id        varchar,           -- may name a case the platform does not have (evidence)
    town_code      varchar not null,
    dept_name      varchar not null,
    eval_channel   varchar not null,
    rated_at       timestamp not null,
    rating         tinyint not null,  -- 1..5
    comment        varchar,           -- phone and ID numbers masked
    rectify_status varchar,
    rectified_at   timestamp,
    row_hash       varchar not null,
    load_id        integer not null,
    source_row     integer not null
);

-- one row per rejected data row per file content (sha256, row): a reload adds nothing
create table if not exists rejects (
    load_id     integer not null,
    file_name   varchar not null,
    file_sha256 varchar not null,
    source      varchar not null,
    source_row  integer not null,    -- row number in the file as a spreadsheet shows it (1 = first line)
    reason      varchar not null,    -- reason code, see etl.validate.REASONS
    detail      varchar not null,    -- which column and value, in Chinese
    raw         json not null        -- the row's values as read (personal data masked/hashed)
);

-- one row per file offered to a load (loaded or refused)
create sequence if not exists load_ids start 1;
create table if not exists loads (
    load_id      integer not null,
    run_id       varchar not null,   -- one `pulse load` invocation
    file_name    varchar not null,
    file_path    varchar not null,
    file_sha256  varchar,
    size_bytes   bigint,
    source       varchar,
    encoding     varchar,
    extracted_at timestamp,          -- export time: title-row stamp, else newest timestamp in the file
    started_at   timestamp not null,
    finished_at  timestamp,
    rows_read    integer not null default 0,
    inserted     integer not null default 0,
    updated      integer not null default 0,
    duplicate    integer not null default 0,
    rejected     integer not null default 0,
    reasons      json,               -- reason code -> count
    status       varchar not null,   -- loaded | refused
    message      varchar,            -- why a file was refused
    column_map   varchar,            -- name of the column map that recognised the file
    unmapped     json                -- headers nothing maps (not loaded), as a list
);

-- one row per calendar day in the store's range
create table if not exists calendar_days (
    day          date not null,
    is_workday   boolean not null,
    workday_seq  integer not null,   -- working days up to and including this day
    source       varchar not null    -- chinese-calendar | reference | provisional | weekday-fallback
);

-- key/value facts about the store (schema version, as_of, calendar coverage)
create table if not exists store_meta (
    key   varchar not null,
    value varchar
);

-- Columns added after the first release: a store written by an older version gains them here.
alter table cases add column if not exists evaluated boolean default false;
-- contract §3a (issue 19): NULL for every case loaded before, as for a file without them
alter table cases add column if not exists item_type varchar;
alter table cases add column if not exists item_type_raw varchar;
alter table cases add column if not exists case_type varchar;
alter table cases add column if not exists window_name varchar;
alter table cases add column if not exists window_type varchar;
alter table cases add column if not exists onsite_completed boolean;
alter table cases add column if not exists cross_province boolean;
alter table cases add column if not exists bundle_theme varchar;
alter table cases add column if not exists paused_days integer;
alter table cases add column if not exists village varchar;
alter table loads add column if not exists column_map varchar;
alter table loads add column if not exists unmapped json;

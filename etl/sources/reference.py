"""Reference data: counties, towns and departments (contract §2). A load upserts by key.

Counties (issue 18): an instance may hold several counties of a city. A county's code is
the first 6 digits of its towns' 12-digit statistical division codes (统计用区划代码: the
county is digits 1-6); `counties.csv` names them and their city. Without it the counties
are still there, from the town codes, named by the setting `county.name` (one county) or
by code (several)."""

from etl.sources.contract import Column, Source

TOWN_TYPES = ("乡", "镇", "街道")

TOWNS = Source(
    name="towns",
    label="乡镇",
    table="towns",
    id_column=None,
    columns=(
        Column("乡镇代码", "town_code", "id", required=True),
        Column("乡镇名称", "town_name", "text", required=True),
        Column("类型", "town_type", "choice", required=True, allowed=TOWN_TYPES),
        Column("网格行", "grid_row", "integer"),
        Column("网格列", "grid_col", "integer"),
    ),
)

DEPARTMENTS = Source(
    name="departments",
    label="部门",
    table="departments",
    id_column=None,
    columns=(
        Column("部门名称", "dept_name", "text", required=True),
        Column("乡镇代码", "town_code", "town"),
        Column("应进驻", "must_station", "yesno", required=True),
    ),
)

COUNTIES = Source(
    name="counties",
    label="县区",
    table="county_reference",
    id_column=None,
    columns=(
        Column("县区代码", "county_code", "id", required=True, aliases=("区县代码",)),
        Column("县区名称", "county_name", "text", required=True, aliases=("区县名称",)),
        Column("所属市", "city_name", "text", aliases=("所属地市", "市(州)")),
    ),
)

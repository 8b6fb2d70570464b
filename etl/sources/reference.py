"""Reference data: towns and departments (contract §2). Each load replaces the table whole."""

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

"""办件 — cases from the integrated government-service platform (contract §3)."""

from etl.sources.contract import Column, Source

CHANNELS = ("网上办理", "掌上办理", "窗口办理", "自助终端", "帮办代办")
STATUSES = ("在办", "办结", "不予受理", "撤回")

SOURCE = Source(
    name="cases",
    label="办件",
    table="cases",
    id_column="case_id",
    columns=(
        Column("办件编号", "case_id", "id", required=True),
        Column("事项编码", "item_code", "id", required=True),
        Column("事项名称", "item_name", "text", required=True),
        Column("乡镇(街道)", "town_code", "town", required=True, aliases=("乡镇", "街道")),
        Column("受理部门", "dept_name", "text", required=True),
        Column("申报方式", "channel", "choice", required=True, allowed=CHANNELS),
        Column("受理时间", "accepted_at", "timestamp", required=True),
        Column("承诺时限", "promised_days", "integer", required=True),
        Column("办结时间", "completed_at", "timestamp"),
        Column("办件状态", "status", "choice", required=True, allowed=STATUSES),
        Column("录入时间", "recorded_at", "timestamp", required=True),
        Column("申请人", "applicant", "pii_name"),
        Column("证件号码", "id_number", "pii_hash"),
        Column("联系电话", "phone", "pii_hash"),
    ),
)

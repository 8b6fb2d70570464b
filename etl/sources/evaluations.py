"""好差评 — service evaluations (contract §5)."""

from etl.sources.contract import Column, Source

CHANNELS = ("评价器", "网上", "掌上", "短信", "二维码", "电话回访")
RATINGS = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1}
RECTIFY_STATUSES = ("无需整改", "未整改", "整改中", "已整改")

SOURCE = Source(
    name="evaluations",
    label="好差评",
    table="evaluations",
    id_column="eval_id",
    columns=(
        Column("评价编号", "eval_id", "id", required=True),
        Column("办件编号", "case_id", "id"),
        Column("乡镇(街道)", "town_code", "town", required=True, aliases=("乡镇", "街道")),
        Column("评价部门", "dept_name", "text", required=True),
        Column("评价渠道", "eval_channel", "choice", required=True, allowed=CHANNELS),
        Column("评价时间", "rated_at", "timestamp", required=True),
        Column("评价等级", "rating", "rating", required=True),
        Column("评价内容", "comment", "free_text"),
        Column("整改状态", "rectify_status", "choice", allowed=RECTIFY_STATUSES),
        Column("整改完成时间", "rectified_at", "timestamp"),
    ),
)

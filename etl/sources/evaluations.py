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
        Column(
            "评价编号",
            "eval_id",
            "id",
            required=True,
            hints=("评价流水号", "评价号", "评价记录编号"),
        ),
        Column("办件编号", "case_id", "id", hints=("业务流水号", "办件流水号", "申办流水号")),
        Column("乡镇(街道)", "town_code", "town", required=True, aliases=("乡镇", "街道")),
        Column(
            "评价部门",
            "dept_name",
            "text",
            required=True,
            hints=("被评价部门", "评价对象", "被评部门"),
        ),
        Column(
            "评价渠道",
            "eval_channel",
            "choice",
            required=True,
            allowed=CHANNELS,
            hints=("评价方式", "评价来源"),
        ),
        Column("评价时间", "rated_at", "timestamp", required=True, hints=("评价日期",)),
        Column("评价等级", "rating", "rating", required=True, hints=("评价结果", "满意程度")),
        Column("评价内容", "comment", "free_text", hints=("评价意见", "评价描述", "意见建议")),
        Column(
            "整改状态", "rectify_status", "choice", allowed=RECTIFY_STATUSES, hints=("整改情况",)
        ),
        Column("整改完成时间", "rectified_at", "timestamp", hints=("整改时间", "整改日期")),
    ),
)

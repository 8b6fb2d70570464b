"""12345 — hotline work orders (contract §4)."""

from etl.sources.contract import Column, Source

REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "建议")
STATUSES = ("待签收", "办理中", "已办结", "已退单")
SATISFACTION = ("满意", "基本满意", "不满意", "未评价")

SOURCE = Source(
    name="hotline",
    label="12345工单",
    table="hotline_tickets",
    id_column="ticket_id",
    columns=(
        Column("工单编号", "ticket_id", "id", required=True),
        Column("来电时间", "received_at", "timestamp", required=True),
        Column("乡镇(街道)", "town_code", "town", required=True, aliases=("乡镇", "街道")),
        Column("承办单位", "dept_name", "text", required=True),
        Column("诉求类型", "request_type", "choice", required=True, allowed=REQUEST_TYPES),
        Column("一级分类", "topic", "text"),
        Column("办理时限", "due_at", "timestamp", required=True),
        Column("办结时间", "completed_at", "timestamp"),
        Column("工单状态", "status", "choice", required=True, allowed=STATUSES),
        Column("是否解决", "resolved", "yesno"),
        Column("满意度", "satisfaction", "choice", allowed=SATISFACTION),
        Column("来电号码", "caller", "pii_hash"),
        Column("诉求内容", "content", "free_text"),
    ),
)

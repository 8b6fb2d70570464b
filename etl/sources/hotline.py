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
        Column(
            "工单编号", "ticket_id", "id", required=True, hints=("工单号", "工单流水号", "工单编码")
        ),
        Column(
            "来电时间",
            "received_at",
            "timestamp",
            required=True,
            hints=("来电日期", "登记时间", "受理时间"),
        ),
        Column("乡镇(街道)", "town_code", "town", required=True, aliases=("乡镇", "街道")),
        Column(
            "承办单位",
            "dept_name",
            "text",
            required=True,
            hints=("承办部门", "处置单位", "责任单位", "办理单位"),
        ),
        Column(
            "诉求类型",
            "request_type",
            "choice",
            required=True,
            allowed=REQUEST_TYPES,
            hints=("诉求类别", "工单类型", "来电类型"),
        ),
        Column("一级分类", "topic", "text", hints=("诉求分类", "问题分类", "事项分类")),
        Column(
            "办理时限",
            "due_at",
            "timestamp",
            required=True,
            hints=("办理期限", "截止时间", "办结时限"),
        ),
        Column("办结时间", "completed_at", "timestamp", hints=("办结日期", "完成时间")),
        Column(
            "工单状态",
            "status",
            "choice",
            required=True,
            allowed=STATUSES,
            hints=("办理状态", "处理状态"),
        ),
        Column("是否解决", "resolved", "yesno", hints=("解决情况", "是否已解决")),
        Column(
            "满意度",
            "satisfaction",
            "choice",
            allowed=SATISFACTION,
            hints=("回访满意度", "满意度评价"),
        ),
        Column("来电号码", "caller", "pii_hash", hints=("来电人电话", "联系电话", "来电电话")),
        Column(
            "诉求内容",
            "content",
            "free_text",
            hints=("诉求描述", "来电内容", "问题描述", "工单内容"),
        ),
    ),
)

"""办件 — cases from the integrated government-service platform (contract §3, §3a)."""

from etl.sources.contract import Column, Source

CHANNELS = ("网上办理", "掌上办理", "窗口办理", "自助终端", "帮办代办")
STATUSES = ("在办", "办结", "不予受理", "撤回")
# contract §3a: optional columns real exports carry
ITEM_TYPES = ("行政许可", "行政确认", "行政给付", "行政裁决", "公共服务", "其他")
CASE_TYPES = ("即办件", "承诺件")
WINDOW_TYPES = ("综合窗口", "部门窗口", "村级代办点", "自助终端")
ONE_WINDOW = "综合窗口"  # 一窗通办率's numerator
ONSITE_CHANNELS = ("窗口办理", "帮办代办")  # 现场办结率's cases
ASSISTED_CHANNEL = "帮办代办"

SOURCE = Source(
    name="cases",
    label="办件",
    table="cases",
    id_column="case_id",
    columns=(
        Column(
            "办件编号",
            "case_id",
            "id",
            required=True,
            hints=(
                "业务流水号",
                "申办流水号",
                "办件流水号",
                "受理编号",
                "办件号",
                "流水号",
                "收件编号",
            ),
        ),
        Column(
            "事项编码",
            "item_code",
            "id",
            required=True,
            hints=("事项代码", "实施编码", "事项实施编码", "基本编码", "事项编号"),
        ),
        Column(
            "事项名称",
            "item_name",
            "text",
            required=True,
            hints=("申办事项", "办理事项", "事项", "实施清单名称", "服务事项"),
        ),
        Column(
            "乡镇(街道)",
            "town_code",
            "town",
            required=True,
            aliases=("乡镇", "街道"),
            hints=("所属乡镇", "乡镇名称", "镇街", "所属镇街", "所属街道", "行政区划", "区划"),
        ),
        Column(
            "受理部门",
            "dept_name",
            "text",
            required=True,
            hints=("受理单位", "办理部门", "承办部门", "实施部门", "受理机构", "办理单位"),
        ),
        Column(
            "申报方式",
            "channel",
            "choice",
            required=True,
            allowed=CHANNELS,
            hints=("申请方式", "办理渠道", "申报渠道", "受理方式", "申报途径"),
        ),
        Column(
            "受理时间",
            "accepted_at",
            "timestamp",
            required=True,
            hints=("受理日期", "申请时间", "收件时间"),
        ),
        Column(
            "承诺时限",
            "promised_days",
            "integer",
            required=True,
            hints=("承诺期限", "承诺办结时限", "承诺天数", "承诺时限(工作日)"),
        ),
        Column("办结时间", "completed_at", "timestamp", hints=("办结日期", "完成时间")),
        Column(
            "办件状态",
            "status",
            "choice",
            required=True,
            allowed=STATUSES,
            hints=("办理状态", "状态", "办件状态名称"),
        ),
        Column(
            "录入时间",
            "recorded_at",
            "timestamp",
            required=True,
            hints=("登记时间", "创建时间", "入库时间", "录入日期"),
        ),
        Column("申请人", "applicant", "pii_name", hints=("申请人姓名", "申请人名称", "办事人")),
        Column("证件号码", "id_number", "pii_hash", hints=("证件号", "身份证号", "身份证号码")),
        Column("联系电话", "phone", "pii_hash", hints=("手机号码", "手机号", "联系方式")),
        # contract §3a
        Column(
            "事项类型",
            "item_type",
            "choice",
            allowed=ITEM_TYPES,
            other="其他",
            supplementary=True,
            hints=("事项类别", "权力类型", "事项种类"),
        ),
        Column(
            "办件类型",
            "case_type",
            "choice",
            allowed=CASE_TYPES,
            supplementary=True,
            hints=("办件类别",),
        ),
        Column(
            "受理窗口",
            "window_name",
            "text",
            supplementary=True,
            hints=("窗口名称", "受理窗口名称", "窗口"),
        ),
        Column(
            "窗口类型",
            "window_type",
            "choice",
            allowed=WINDOW_TYPES,
            supplementary=True,
            hints=("窗口类别",),
        ),
        Column(
            "是否现场办结",
            "onsite_completed",
            "yesno",
            supplementary=True,
            hints=("现场办结", "是否当场办结"),
        ),
        Column(
            "是否跨省通办",
            "cross_province",
            "yesno",
            supplementary=True,
            hints=("跨省通办", "是否跨省"),
        ),
        Column(
            "一件事主题",
            "bundle_theme",
            "text",
            supplementary=True,
            empty_is_no=True,
            hints=("一件事", "一件事名称", "主题名称"),
        ),
        Column(
            "特别程序天数",
            "paused_days",
            "integer",
            supplementary=True,
            hints=("特别程序时长", "特别程序用时", "特别程序时间", "暂停天数", "挂起天数"),
        ),
        Column(
            "村(社区)",
            "village",
            "text",
            supplementary=True,
            hints=("村社区", "代办点", "村(居)", "所属村"),
        ),
    ),
)

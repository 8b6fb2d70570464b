"""Chinese labels in one place: sources, tables, reasons, indicators."""

from etl.validate import REASONS

SOURCES = {
    "cases": "办件",
    "hotline": "12345工单",
    "evaluations": "好差评",
    "towns": "乡镇名录",
    "departments": "部门名录",
}

LOAD_STATUS = {"loaded": "已入库", "refused": "已拒收"}

REASON_LABELS = REASONS

COLUMNS = {
    "file": "文件",
    "file_name": "文件",
    "source": "来源",
    "rows_read": "读取行数",
    "inserted": "新增",
    "updated": "更新",
    "duplicate": "重复",
    "rejected": "拒收行",
    "status": "状态",
    "finished_at": "完成时间",
    "extracted_at": "导出时间",
}

# Indicator names, kinds and directions: dashboard/domain/indicators.py (the registry).

RATINGS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

PAGE_FIELDS = {
    "town_name": "乡镇",
    "dept_name": "部门",
    "dept_names": "部门",
    "item_code": "事项编码",
    "item_name": "事项",
    "case_id": "办件编号",
    "channel": "申报方式",
    "accepted_at": "受理时间",
    "promised_days": "承诺时限(工作日)",
    "deadline_at": "办理期限",
    "completed_at": "办结时间",
    "status": "状态",
    "late_workdays": "逾期(工作日)",
    "late_hours": "逾期(小时)",
    "left_workdays": "剩余(工作日)",
    "left_hours": "剩余(小时)",
    "outside_system": "体外循环",
    "signals": "体外循环信号",
    "ticket_id": "工单编号",
    "received_at": "来电时间",
    "due_at": "办理时限",
    "request_type": "诉求类型",
    "topic": "一级分类",
    "resolved": "是否解决",
    "satisfaction": "满意度",
    "caller": "来电人(编码)",
    "calls": "来电次数",
    "repeat_calls": "重复来电",
    "first_at": "首次来电",
    "last_at": "最近来电",
    "towns": "涉及乡镇",
    "topics": "诉求分类",
    "in_period": "本期来电",
    "is_repeat": "重复来电",
    "previous_at": "同乡镇上次来电",
    "eval_id": "评价编号",
    "eval_channel": "评价渠道",
    "rated_at": "评价时间",
    "rating": "评价等级",
    "rectify_status": "整改状态",
    "rectified_at": "整改完成时间",
    "rectify_deadline_at": "整改期限",
    "rectify_overdue": "整改超期",
    "tickets": "工单量",
    "resolution_known": "已填是否解决",
    "resolved_tickets": "已解决",
}

# --- 办件查询 and 数据质量 (issue 5) ---------------------------------------------------

# Case fields as the explorer and its exports name them.
CASE_FIELDS = {
    "case_id": "办件编号",
    "town_name": "乡镇(街道)",
    "dept_name": "受理部门",
    "item_code": "事项编码",
    "item_name": "事项名称",
    "channel": "申报方式",
    "status": "办件状态",
    "accepted_at": "受理时间",
    "promised_days": "承诺时限(工作日)",
    "deadline_at": "办理期限",
    "completed_at": "办结时间",
    "recorded_at": "录入时间",
    "applicant_masked": "申请人(已脱敏)",
    "town_code": "乡镇代码",
    "id_number_hash": "证件号码(哈希)",
    "phone_hash": "联系电话(哈希)",
}

# AG Grid's own texts (paging bar, filter menus) in Chinese.
GRID_LOCALE = {
    "page": "页",
    "of": "/",
    "to": "–",
    "more": "更多",
    "firstPage": "首页",
    "previousPage": "上一页",
    "nextPage": "下一页",
    "lastPage": "末页",
    "pageLastRowUnknown": "?",
    "pageSizeSelectorLabel": "每页",
    "ariaPageSizeSelectorLabel": "每页行数",
    "loadingOoo": "加载中…",
    "loadingError": "加载失败",
    "noRowsToShow": "没有符合条件的记录",
    "filterOoo": "筛选…",
    "equals": "等于",
    "notEqual": "不等于",
    "blank": "为空",
    "notBlank": "不为空",
    "empty": "请选择…",
    "lessThan": "小于",
    "greaterThan": "大于",
    "lessThanOrEqual": "小于等于",
    "greaterThanOrEqual": "大于等于",
    "inRange": "介于",
    "inRangeStart": "从",
    "inRangeEnd": "到",
    "contains": "包含",
    "notContains": "不包含",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "dateFormatOoo": "年-月-日",
    "before": "早于",
    "after": "晚于",
    "andCondition": "且",
    "orCondition": "或",
    "applyFilter": "应用",
    "resetFilter": "重置",
    "clearFilter": "清除",
    "cancelFilter": "取消",
    "textFilter": "文本筛选",
    "numberFilter": "数字筛选",
    "dateFilter": "日期筛选",
    "sortAscending": "升序",
    "sortDescending": "降序",
    "sortUnSort": "取消排序",
    "ariaFilterValue": "筛选值",
    "ariaFilterFromValue": "起始值",
    "ariaFilterToValue": "结束值",
    "ariaFilterMenuOpen": "打开筛选菜单",
    "ariaLabelColumnFilter": "列筛选",
    "ariaSortableColumn": "按回车排序",
}

# Data sources whose freshness the 数据质量 page watches, with the event each one dates.
FRESHNESS_SOURCES = {
    "cases": "受理时间",
    "hotline": "来电时间",
    "evaluations": "评价时间",
}

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

# Indicator names as officials read them (contract §7).
INDICATORS = {
    "cases": "办件量",
    "online_cases": "网办件数",
    "online_rate": "网办率",
    "completed": "办结量",
    "on_time_rate": "按时办结率",
    "overdue_completed": "超期办结",
    "overdue_open": "超期未办结",
    "warning_open": "超时预警",
    "evaluations": "评价数",
    "satisfaction_rate": "满意度",
    "bad_reviews": "差评数",
    "rectify_rate": "差评整改率",
    "evaluation_rate": "评价率",
    "rectify_overdue": "差评整改超期",
    "hotline_tickets": "12345工单",
    "hotline_satisfaction_rate": "12345满意率",
    "hotline_on_time_rate": "12345按时办结率",
    "hotline_overdue_open": "12345超期未办结",
    "outside_system_depts": "体外循环部门",
}

# Counts where fewer is better (red when above zero, green at zero).
LOWER_IS_BETTER = {
    "overdue_completed",
    "overdue_open",
    "warning_open",
    "bad_reviews",
    "rectify_overdue",
    "hotline_overdue_open",
}

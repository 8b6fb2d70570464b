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

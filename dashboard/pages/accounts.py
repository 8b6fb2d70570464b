"""账号管理 (admins): every account with its role, towns, state and last login, and the
security settings in force. Accounts are changed with `pulse user …` on the server (each
change is audited); this page shows them."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth import accounts
from dashboard.auth.access import ROLE_LABELS
from dashboard.components.tables import simple_table
from etl import settings

dash.register_page(
    __name__,
    path="/accounts",
    name="账号管理",
    title="账号管理 · 政务服务效能看板",
    order=96,
    roles=("admin",),
)

SHOWN_SETTINGS = (
    ("auth.session_idle_hours", "会话空闲超时(小时)"),
    ("auth.max_failed_logins", "连续登录失败锁定次数"),
    ("auth.lockout_minutes", "锁定时长(分钟)"),
    ("auth.min_password_length", "密码最短长度"),
    ("auth.proxy_header", "统一身份认证请求头"),
    ("auth.trusted_proxies", "可信反向代理地址"),
    ("audit.retention_days", "审计日志保留天数"),
    ("export.max_rows", "导出行数上限"),
    ("export.xlsx_max_rows", "Excel 导出行数上限"),
    ("export.max_concurrent", "同时导出数上限"),
    ("serve.allowed_hosts", "允许的主机名"),
)


def _scope(u: accounts.User) -> str:
    """What an account sees: its towns, its counties (issue 18), or everything."""
    if u.towns:
        return "、".join(u.towns)
    if u.counties:
        return "县区 " + "、".join(u.counties)
    return {"town": "—", "city": "全市"}.get(u.role, "全县")


def layout(**_query) -> html.Div:
    users = accounts.all_users()
    rows = [
        (
            u.name,
            ROLE_LABELS.get(u.role, u.role),
            _scope(u),
            "停用" if u.disabled else ("锁定" if u.locked else "正常"),
            u.last_login_at or "从未登录",
            u.created_at,
        )
        for u in users
    ]
    values = [(label, _value(settings.get(name))) for name, label in SHOWN_SETTINGS]
    return html.Div(
        [
            html.H2("账号管理", className="mb-1"),
            html.P(
                [
                    "在服务器上用命令管理账号(每次变更都记入审计日志):",
                    html.Code(
                        "pulse user add 用户名 --role city|county|town|admin|wall "
                        "[--county 县区代码] [--town 乡镇代码]"
                    ),
                    "、",
                    html.Code("pulse user disable/enable/passwd/token 用户名"),
                    "。",
                ],
                className="text-muted small",
            ),
            html.H4(f"账号({len(users)} 个)", className="mt-3"),
            simple_table(
                ["用户名", "角色", "乡镇", "状态", "最近登录", "创建时间"],
                rows,
                id="accounts-table",
            ),
            html.H4("安全设置", className="mt-4"),
            dbc.Alert("以下为当前生效的设置,修改 pulse.toml 后重启服务生效。", color="light"),
            simple_table(["设置", "值"], values, id="accounts-settings"),
        ]
    )


def _value(value) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "(空)"
    return str(value) if value != "" else "(空)"

"""The fictional county: its towns, departments, items, hotline topics and the value lists
its exports use. Data, no randomness."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COUNTY_CODE = "339901"
COUNTY_NAME = "示范县"
CASES_PER_YEAR = 850_000  # at scale 1
TICKETS_PER_YEAR = 60_000  # at scale 1


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class _Town:
    code3: str
    name: str
    kind: str  # 乡 / 镇 / 街道
    row: int
    col: int
    weight: float  # share of the county's cases
    online_rate: float  # share of cases applied for online
    eval_rate: float  # share of completed cases that get an evaluation
    satisfaction: float  # share of evaluations rated 3 or better
    overdue_rate: float  # share of cases with a deadline completed late

    @property
    def code(self) -> str:
        return f"{COUNTY_CODE}{self.code3}000"


# Street offices 001-099, towns 100-199, townships 200-: as in statistical division codes.
# The tile map (4 rows x 5 columns) puts the mountain townships in the north.
_TOWNS: tuple[_Town, ...] = (
    _Town("001", "城关街道", "街道", 1, 2, 16, 0.92, 0.88, 0.990, 0.004),
    _Town("002", "东城街道", "街道", 1, 3, 11, 0.85, 0.86, 0.980, 0.006),
    _Town("003", "凤鸣街道", "街道", 1, 1, 9, 0.80, 0.85, 0.975, 0.008),
    _Town("100", "青石镇", "镇", 1, 0, 7, 0.70, 0.83, 0.970, 0.010),
    _Town("101", "白沙镇", "镇", 2, 1, 7, 0.62, 0.80, 0.950, 0.020),
    _Town("102", "柳溪镇", "镇", 2, 0, 6, 0.55, 0.78, 0.960, 0.012),
    _Town("103", "桃源镇", "镇", 2, 2, 6, 0.48, 0.84, 0.985, 0.005),
    _Town("104", "双河镇", "镇", 1, 4, 7, 0.42, 0.81, 0.965, 0.015),
    _Town("105", "龙泉镇", "镇", 2, 3, 8, 0.36, 0.79, 0.940, 0.018),
    _Town("106", "松岗镇", "镇", 3, 2, 6, 0.30, 0.76, 0.955, 0.012),
    _Town("200", "石门乡", "乡", 0, 3, 5, 0.24, 0.74, 0.935, 0.025),
    _Town("201", "云岭乡", "乡", 0, 1, 4, 0.19, 0.72, 0.925, 0.030),
    _Town("202", "高坪乡", "乡", 0, 2, 4, 0.15, 0.75, 0.930, 0.022),
)
TOWN_CODES: tuple[str, ...] = tuple(t.code for t in _TOWNS)
TOWN_NAMES: tuple[str, ...] = tuple(t.name for t in _TOWNS)

# fmt: off
DEPARTMENTS: tuple[str, ...] = (
    "社保", "医保", "民政", "农业农村", "自然资源", "退役军人", "市场监管", "卫健", "司法",
    "村镇建设",
)
# fmt: on
# Share of a town centre's cases by department, before the town-type adjustment below.
_DEPT_WEIGHT = np.array([24, 22, 8, 8, 6, 3, 12, 7, 3, 7], dtype=float)
_DEPT_BY_TYPE = {
    "街道": {"农业农村": 0.3, "自然资源": 0.5, "村镇建设": 0.6, "市场监管": 1.5},
    "镇": {},
    "乡": {"农业农村": 1.6, "市场监管": 0.5, "医保": 0.9},
}
COUNTY_DEPARTMENTS: tuple[str, ...] = ("县住房和城乡建设局", "县市场监督管理局")
# (town name, department) windows that are not required at the town's centre (应进驻=否):
# they have no cases there.
# fmt: off
_NOT_STATIONED = frozenset({
    ("东城街道", "农业农村"), ("凤鸣街道", "村镇建设"), ("石门乡", "市场监管"), ("云岭乡", "司法"),
    ("松岗镇", "退役军人"),
})
# fmt: on


@dataclass(frozen=True)
class _Item:
    code: str
    name: str
    dept: str
    days: int  # 承诺时限, working days; 0 = 即办件
    weight: float  # share within the department


_ITEMS: tuple[_Item, ...] = (
    _Item("SB339901001", "城乡居民养老保险参保登记", "社保", 0, 30),
    _Item("SB339901002", "城乡居民养老保险待遇申领", "社保", 5, 15),
    _Item("SB339901003", "社会保障卡申领", "社保", 0, 30),
    _Item("SB339901004", "灵活就业人员参保登记", "社保", 0, 15),
    _Item("SB339901005", "失业保险金申领", "社保", 7, 10),
    _Item("YB339901001", "城乡居民医疗保险参保登记", "医保", 0, 45),
    _Item("YB339901002", "异地就医备案", "医保", 0, 25),
    _Item("YB339901003", "医疗费用手工报销", "医保", 15, 15),
    _Item("YB339901004", "门诊慢特病待遇认定", "医保", 10, 15),
    _Item("MZ339901001", "最低生活保障审批", "民政", 20, 25),
    _Item("MZ339901002", "特困人员救助供养审批", "民政", 20, 10),
    _Item("MZ339901003", "临时救助申请", "民政", 5, 20),
    _Item("MZ339901004", "残疾人两项补贴申请", "民政", 10, 20),
    _Item("MZ339901005", "高龄津贴申领", "民政", 3, 25),
    _Item("NY339901001", "耕地地力保护补贴申报", "农业农村", 3, 40),
    _Item("NY339901002", "农村土地承包经营权流转备案", "农业农村", 5, 25),
    _Item("NY339901003", "农机购置补贴申请", "农业农村", 10, 20),
    _Item("NY339901004", "家庭农场名录登记", "农业农村", 7, 15),
    _Item("ZR339901001", "农村宅基地审批", "自然资源", 20, 45),
    _Item("ZR339901002", "乡村建设规划许可证核发", "自然资源", 20, 25),
    _Item("ZR339901003", "不动产登记资料查询", "自然资源", 0, 30),
    _Item("TY339901001", "退役军人优待证申领", "退役军人", 5, 50),
    _Item("TY339901002", "退役士兵自主就业一次性经济补助", "退役军人", 10, 30),
    _Item("TY339901003", "伤残抚恤关系接转", "退役军人", 15, 20),
    _Item("SC339901001", "个体工商户设立登记", "市场监管", 1, 40),
    _Item("SC339901002", "个体工商户变更登记", "市场监管", 1, 20),
    _Item("SC339901003", "食品经营许可", "市场监管", 10, 25),
    _Item("SC339901004", "小餐饮登记证核发", "市场监管", 5, 15),
    _Item("WJ339901001", "生育登记", "卫健", 0, 50),
    _Item("WJ339901002", "计划生育家庭特别扶助金申请", "卫健", 10, 20),
    _Item("WJ339901003", "农村独生子女父母奖励扶助申请", "卫健", 5, 30),
    _Item("SF339901001", "法律援助申请", "司法", 7, 60),
    _Item("SF339901002", "人民调解申请", "司法", 3, 40),
    _Item("CZ339901001", "农村危房改造补助申请", "村镇建设", 20, 30),
    _Item("CZ339901002", "农村建房开工查验", "村镇建设", 5, 45),
    _Item("CZ339901003", "小型工程施工备案", "村镇建设", 3, 25),
)

# --------------------------------------------------------------------------- contract §3a
# The optional case columns real exports carry. The platform adds them to its export from
# the month UPGRADE_FILE on (older files lack them: 无数据 for those months). Item type,
# case type, 一件事 and 特别程序 are platform fields, filled for every town; the window,
# 现场办结, 跨省通办 and village columns only by the towns whose service centres record
# them (ATTRIBUTE_TOWNS): elsewhere the cells are empty (无数据 there).

UPGRADE_FILE = 6  # index of the first monthly case file that carries the §3a columns
ATTRIBUTE_TOWNS: tuple[str, ...] = (
    "城关街道", "东城街道", "凤鸣街道", "青石镇", "白沙镇", "桃源镇", "龙泉镇",
)  # fmt: skip
# share of a town's 窗口办理 cases accepted at a 综合窗口 (the rest: 部门窗口)
ONE_WINDOW_SHARE = {"街道": 0.92, "镇": 0.75, "乡": 0.55}

# 事项类型 by item; text outside the contract's list is stored as 其他 with the text kept
_ITEM_TYPES = {
    "SB339901001": "公共服务", "SB339901002": "行政给付", "SB339901003": "公共服务",
    "SB339901004": "公共服务", "SB339901005": "行政给付", "YB339901001": "公共服务",
    "YB339901002": "公共服务", "YB339901003": "行政给付", "YB339901004": "行政确认",
    "MZ339901001": "行政给付", "MZ339901002": "行政给付", "MZ339901003": "行政给付",
    "MZ339901004": "行政给付", "MZ339901005": "行政给付", "NY339901001": "行政给付",
    "NY339901002": "行政备案", "NY339901003": "行政给付", "NY339901004": "行政确认",
    "ZR339901001": "行政许可", "ZR339901002": "行政许可", "ZR339901003": "公共服务",
    "TY339901001": "行政确认", "TY339901002": "行政给付", "TY339901003": "其他",
    "SC339901001": "行政许可", "SC339901002": "行政许可", "SC339901003": "行政许可",
    "SC339901004": "行政许可", "WJ339901001": "公共服务", "WJ339901002": "行政给付",
    "WJ339901003": "行政给付", "SF339901001": "公共服务", "SF339901002": "行政裁决",
    "CZ339901001": "行政给付", "CZ339901002": "其他权力事项", "CZ339901003": "行政备案",
}  # fmt: skip
# 一件事 themes: items a bundle takes in (some of their cases are part of one)
_BUNDLES = {
    "WJ339901001": "新生儿出生一件事", "SB339901003": "新生儿出生一件事",
    "SB339901002": "退休一件事", "YB339901001": "退休一件事",
    "SC339901003": "开办餐饮店一件事", "SC339901004": "开办餐饮店一件事",
    "ZR339901001": "农村建房一件事", "CZ339901002": "农村建房一件事",
    "MZ339901004": "残疾人服务一件事", "TY339901001": "退役军人服务一件事",
    "SC339901001": "个体工商户开业一件事",
}  # fmt: skip
# items that can go through 特别程序 (公示, 听证, 专家评审): their clock may pause
_PAUSABLE_ITEMS = frozenset(
    {"ZR339901001", "ZR339901002", "MZ339901001", "MZ339901002", "SC339901003", "CZ339901001"}
)
# items that 跨省通办 serves
_CROSS_PROVINCE_ITEMS = frozenset(
    {"YB339901002", "SB339901003", "SB339901001", "SC339901001", "WJ339901001", "ZR339901003"}
)
# village and community agency points (村级代办点) per town, for 帮办代办
_VILLAGE_STEMS = (
    "李家", "石桥", "王庄", "河口", "新塘", "上坪", "下坪", "杨柳", "东岗", "西岗", "南湾",
    "北山", "竹林", "枫树", "梅溪", "桂花", "长岭", "白鹤", "龙潭", "清水", "茶园", "花园",
    "岭头", "田心", "沙洲", "金星", "红旗", "和平", "光明", "幸福",
)  # fmt: skip
VILLAGES_PER_TOWN = 4

# A second vendor (the county centre's own system) exports one month's cases with its own
# headers; the demo's configuration maps them (columns.toml beside the exports).
VENDOR_FILE = 7  # index of the monthly case file in the vendor's style
VENDOR_MAP_NAME = "乙厂商办件明细"
VENDOR_HEADERS = {
    "办件编号": "业务流水号", "事项编码": "事项代码", "事项名称": "申办事项",
    "乡镇(街道)": "所属乡镇", "受理部门": "受理单位", "申报方式": "申请方式",
    "受理时间": "受理日期", "承诺时限": "承诺期限", "办结时间": "办结日期",
    "办件状态": "办理状态", "录入时间": "登记时间", "申请人": "申请人姓名",
    "证件号码": "证件号", "联系电话": "手机号码", "事项类型": "事项类别",
    "办件类型": "办件类别", "受理窗口": "窗口名称", "窗口类型": "窗口类别",
    "是否现场办结": "现场办结", "是否跨省通办": "跨省通办", "一件事主题": "一件事名称",
    "特别程序天数": "特别程序时长", "村(社区)": "代办点",
}  # fmt: skip
VENDOR_EXTRA = ("数据来源", "乙厂商一体化受理平台")  # a column the contract does not have


def village_names(town: int) -> tuple[str, ...]:
    """The agency points of a town: 村 in 镇 and 乡, 社区 in 街道."""
    kind = "社区" if _TOWNS[town].kind == "街道" else "村"
    start = town * VILLAGES_PER_TOWN % len(_VILLAGE_STEMS)
    stems = [_VILLAGE_STEMS[(start + j) % len(_VILLAGE_STEMS)] for j in range(VILLAGES_PER_TOWN)]
    return tuple(f"{s}{kind}" for s in stems)


CASE_CHANNELS = ("网上办理", "掌上办理", "窗口办理", "自助终端", "帮办代办")
CASE_STATUSES = ("在办", "办结", "不予受理", "撤回")
_OPEN, _DONE, _REFUSED, _WITHDRAWN = 0, 1, 2, 3
EVAL_CHANNELS = ("评价器", "网上", "掌上", "短信", "二维码", "电话回访")
RATING_WORDS = ("", "非常不满意", "不满意", "基本满意", "满意", "非常满意")  # index = rating
HOTLINE_TYPES = ("咨询", "求助", "投诉", "举报", "建议")
HOTLINE_STATUSES = ("待签收", "办理中", "已办结", "已退单")


def _code(name: str) -> str:
    return next(t.code for t in _TOWNS if t.name == name)


# fmt: off
_GOOD_COMMENTS = ("办事效率高", "工作人员态度热情，讲解耐心", "一次办好，不用来回跑",
                  "流程清楚，很方便", "窗口服务规范", "网上办理很快，点赞")
# fmt: on
# fmt: off
_BAD_COMMENTS = ("等候时间太长", "材料要求反复变，跑了三次", "工作人员态度冷淡",
                 "系统卡顿，办理失败", "办理进度一直没人通知", "窗口经常没人")
# fmt: on
_RECTIFY = ("无需整改", "未整改", "整改中", "已整改")


# 12345 topics: topic, town department, county department taking a share, its share,
# weight, request texts
# fmt: off
_TOPICS: tuple[tuple[str, str, str | None, float, float, tuple[str, ...]], ...] = (
    ("社会保障", "社保", None, 0.0, 20, (
        "咨询城乡居民养老保险缴费档次和补缴政策", "反映养老金到账时间推迟",
        "咨询社保卡补办需要哪些材料", "反映失业保险金申领进度慢")),
    ("医疗保障", "医保", None, 0.0, 12, (
        "咨询异地就医备案办理流程", "反映医疗费用报销迟迟未到账", "咨询居民医保缴费时间")),
    ("医疗卫生", "卫健", None, 0.0, 8, (
        "反映村卫生室经常无人值守", "咨询生育登记办理地点", "投诉卫生院服务态度差")),
    ("农业农村", "农业农村", None, 0.0, 10, (
        "咨询耕地地力保护补贴发放时间", "反映农机购置补贴未到账", "咨询土地流转备案手续")),
    ("市场监管", "市场监管", "县市场监督管理局", 0.3, 14, (
        "投诉超市销售过期食品", "举报无证经营小餐饮", "反映商家缺斤短两",
        "咨询个体工商户注册流程")),
    ("民政救助", "民政", None, 0.0, 10, (
        "咨询低保申请条件", "反映临时救助申请无人受理", "咨询高龄津贴发放标准")),
    ("城乡建设", "村镇建设", "县住房和城乡建设局", 0.4, 16, (
        "反映小区路灯不亮", "反映危房改造补助未发放", "投诉工地夜间施工噪音扰民",
        "反映村道积水严重")),
    ("自然资源", "自然资源", None, 0.0, 5, (
        "咨询宅基地审批进度", "举报违法占用耕地建房", "咨询不动产登记资料查询方式")),
    ("退役军人", "退役军人", None, 0.0, 2, (
        "咨询退役军人优待证申领条件", "反映优待证办理进度慢")),
    ("法律服务", "司法", None, 0.0, 3, ("咨询法律援助申请条件", "请求调解邻里纠纷")),
)
# fmt: on


def _units() -> tuple[str, ...]:
    return DEPARTMENTS + COUNTY_DEPARTMENTS

"""Raw-record schemas: the columns of each record set, their types and the validation rules.

Documented for users in docs/records.md; keep the two in step. Every rule is a SQL condition in the DuckDB
dialect over the typed columns (``x``) and, for text sources, the raw text (``x__raw``), so the same
checks run on DuckDB and, transpiled, on Spark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Enumerations (values exactly as the issue and seeds write them).
ITEM_TYPES = ("行政许可", "其他依申请", "公共服务")
CHANNELS = ("网上", "窗口", "移动端", "自助终端")
APPLICANT_TYPES = ("个人", "法人")
RATING_LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
TONGBAN_SCOPES = ("全市", "跨市", "跨省")
INFO_CATEGORIES = ("专刊", "专报", "综合", "情况", "动态")
MEDIA_LEVELS = ("市级", "省级", "国家级")
INFO_VIOLATIONS = ("瞒报", "迟报", "漏报")
SERVICE_DAYS = ("工作日", "每日")
SATISFACTION = RATING_LEVELS
# 暗访: channels an evaluator tries (seed 002: 匿名电话、网络平台、实地考察) and what came of it.
VISIT_CHANNELS = ("窗口", "电话", "网站", "自助终端", "移动端")
VISIT_OUTCOMES = ("办成", "未办成", "被推诿", "一次告知不清", "未接通")

TYPES = ("str", "int", "float", "bool", "timestamp", "date", "time")


@dataclass(frozen=True)
class Column:
    name: str
    label: str  # the Chinese header a user may write instead of `name`
    type: str = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None  # e.g. 0 for time limits and visit counts
    doc: str = ""


@dataclass(frozen=True)
class Check:
    """A record-level rule beyond the per-column ones. `sql` is true for a BAD record."""

    code: str
    message: str
    sql: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class RecordSet:
    name: str
    label: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # duplicates of the key are errors
    period_column: str | None = None  # the column a period filter applies to; None = snapshot
    checks: tuple[Check, ...] = ()
    unit_column: str | None = "unit"
    item_ref: bool = False  # (unit, item_code) must exist in the item catalogue
    system_ref: bool = False  # system_id must exist in the systems table
    aliases: tuple[str, ...] = field(default=())  # other file stems accepted for this set

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


C = Column

CASES = RecordSet(
    name="cases",
    label="办件",
    aliases=("办件",),
    key=("case_id",),
    period_column="accepted_at",
    item_ref=True,
    columns=(
        C("case_id", "办件编号", required=True),
        C("unit", "单位", required=True),
        C("item_code", "事项编码", required=True),
        C("item_type", "事项类型", choices=ITEM_TYPES, required=True),
        C("channel", "受理渠道", choices=CHANNELS, required=True),
        C("one_window", "一窗受理", "bool"),
        C("comprehensive", "综合受理", "bool"),
        C("appointment", "预约", "bool"),
        C("accepted_at", "受理时间", "timestamp", required=True),
        C("legal_limit", "法定时限", "int", min=0, doc="工作日"),
        C("promised_limit", "承诺时限", "int", min=0, doc="工作日；0 = 即办"),
        C("finished_at", "办结时间", "timestamp", doc="空 = 未办结"),
        C("visits", "跑动次数", "int", min=0),
        C("instant", "即办", "bool"),
        C("applicant_type", "申请人类型", choices=APPLICANT_TYPES),
    ),
    checks=(
        Check(
            "finished_before_accepted",
            "办结时间早于受理时间",
            "finished_at < accepted_at",
            ("accepted_at", "finished_at"),
        ),
        Check(
            "promised_over_legal",
            "承诺时限长于法定时限",
            "promised_limit > legal_limit",
            ("legal_limit", "promised_limit"),
        ),
    ),
)

ITEMS = RecordSet(
    name="items",
    label="事项目录",
    aliases=("事项", "事项目录"),
    key=("unit", "item_code"),
    period_column=None,
    columns=(
        C("unit", "单位", required=True),
        C("item_code", "事项编码", required=True),
        C("item_name", "事项名称"),
        C("item_type", "事项类型", choices=ITEM_TYPES, required=True),
        C("online_capable", "网上可办", "bool"),
        C("online_depth", "网办深度", "int", min=1, doc="1–4，4 = 全程网办"),
        C("bookable", "可预约", "bool"),
        C("bookable_slots", "分时段预约", "bool"),
        C("nearby", "就近办", "bool"),
        C("in_hall", "进驻大厅", "bool"),
        C("tongban", "通办范围", choices=TONGBAN_SCOPES),
        C("legal_limit", "法定时限", "int", min=0),
        C("promised_limit", "承诺时限", "int", min=0),
        C("visits", "跑动次数", "int", min=0, doc="办事指南中的到办事现场次数"),
    ),
    checks=(
        Check("depth_over_4", "网办深度应为 1–4", "online_depth > 4", ("online_depth",)),
        Check(
            "promised_over_legal",
            "承诺时限长于法定时限",
            "promised_limit > legal_limit",
            ("legal_limit", "promised_limit"),
        ),
    ),
)

RATINGS = RecordSet(
    name="ratings",
    label="好差评",
    aliases=("好差评", "评价"),
    key=("rating_id",),
    period_column="rated_at",
    columns=(
        C("rating_id", "评价编号", required=True),
        C("case_id", "办件编号", doc="或服务编号"),
        C("unit", "单位", required=True),
        C("channel", "评价渠道", choices=CHANNELS),
        C("level", "评价等级", choices=RATING_LEVELS, required=True),
        C("active", "主动评价", "bool", required=True, doc="否 = 系统默认评价"),
        C("rated_at", "评价时间", "timestamp", required=True),
        C(
            "verified",
            "差评核实",
            "bool",
            doc="差评：是 = 核实有效；否 = 核实无效（不计）；空 = 未核实（计入）",
        ),
        C("rectified", "已整改", "bool"),
        C("rectified_at", "整改时间", "timestamp"),
        C("callback", "已回访", "bool"),
        C("deadline", "整改期限", "timestamp", doc="空 = 评价时间后 15 个工作日"),
    ),
    checks=(
        Check(
            "rectified_before_rated",
            "整改时间早于评价时间",
            "rectified_at < rated_at",
            ("rated_at", "rectified_at"),
        ),
    ),
)

TICKETS = RecordSet(
    name="tickets",
    label="12345工单",
    aliases=("12345", "12345工单", "工单"),
    key=("ticket_id",),
    period_column="received_at",
    columns=(
        C("ticket_id", "工单编号", required=True),
        C("unit", "单位", required=True),
        C("received_at", "受理时间", "timestamp", required=True),
        C("deadline", "办理时限", "timestamp", required=True),
        C("closed_at", "办结时间", "timestamp"),
        C("satisfaction", "满意度", choices=SATISFACTION),
    ),
    checks=(
        Check(
            "closed_before_received",
            "办结时间早于受理时间",
            "closed_at < received_at",
            ("received_at", "closed_at"),
        ),
        Check(
            "deadline_before_received",
            "办理时限早于受理时间",
            "deadline < received_at",
            ("received_at", "deadline"),
        ),
    ),
)

INFO_REPORTS = RecordSet(
    name="info_reports",
    label="政务信息报送",
    aliases=("政务信息", "信息报送"),
    key=(),
    period_column="submitted_at",
    columns=(
        C("unit", "单位", required=True),
        C("submitted_at", "报送日期", "date", required=True),
        C("title", "标题"),
        C("adopted", "被采用", "bool", doc="被本级政府办公室采用"),
        C("category", "采用类别", choices=INFO_CATEGORIES),
        C("instructed", "领导批示", "bool"),
        C("media_level", "媒体采用", choices=MEDIA_LEVELS),
        C("violation", "违规", choices=INFO_VIOLATIONS, doc="瞒报 / 漏报 行只记录事件，不算报送"),
    ),
)

SYSTEMS = RecordSet(
    name="systems",
    label="信息系统",
    aliases=("系统", "信息系统"),
    key=("system_id",),
    period_column=None,
    columns=(
        C("system_id", "系统编号", required=True),
        C("unit", "单位", required=True),
        C("system_name", "系统名称"),
        C("registered_users", "注册用户数", "int", min=0),
        C("service_days", "服务日", choices=SERVICE_DAYS, required=True),
        C("service_start", "服务开始", "time", required=True, doc="HH:MM"),
        C("service_end", "服务结束", "time", required=True, doc="HH:MM，24:00 = 全天"),
    ),
    checks=(
        Check(
            "end_not_after_start",
            "服务结束时间应晚于开始时间",
            "service_end <= service_start",
            ("service_start", "service_end"),
        ),
    ),
)

DOWNTIME = RecordSet(
    name="downtime",
    label="系统停机",
    aliases=("停机", "系统停机"),
    key=(),
    period_column=None,  # intervals are clipped to the period by the metric itself
    unit_column=None,
    system_ref=True,
    columns=(
        C("system_id", "系统编号", required=True),
        C("start_at", "停机开始", "timestamp", required=True),
        C("end_at", "停机结束", "timestamp", required=True),
        C("reason", "原因"),
    ),
    checks=(
        Check(
            "end_not_after_start", "停机结束时间应晚于开始时间", "end_at <= start_at", ("start_at", "end_at")
        ),
    ),
)

USAGE = RecordSet(
    name="usage",
    label="系统使用日志",
    aliases=("使用日志", "日活"),
    key=("system_id", "day"),
    period_column="day",
    unit_column=None,
    system_ref=True,
    columns=(
        C("system_id", "系统编号", required=True),
        C("day", "日期", "date", required=True),
        C("active_users", "日使用用户数", "int", required=True, min=0),
        C("registered_users", "注册用户数", "int", min=0, doc="空 = 取系统表的注册用户数"),
    ),
    checks=(
        Check(
            "active_over_registered",
            "日使用用户数大于注册用户数",
            "active_users > registered_users",
            ("active_users", "registered_users"),
        ),
    ),
)

VISITS = RecordSet(
    name="visits",
    label="暗访记录",
    aliases=("暗访", "暗访记录"),
    key=("visit_id",),
    period_column="visited_at",
    columns=(
        C("visit_id", "暗访编号", required=True),
        C("unit", "单位", required=True),
        C("visited_at", "暗访时间", "timestamp", required=True),
        C("visitor", "暗访人员"),
        C("channel", "暗访渠道", choices=VISIT_CHANNELS, required=True),
        C("matter", "办理事项"),
        C("waiting_minutes", "等候时间", "float", min=0, doc="分钟；空 = 未等候或不适用"),
        C("handling_minutes", "办理时间", "float", min=0, doc="分钟，从开始受理到办完或被告知结果"),
        C("outcome", "办理结果", choices=VISIT_OUTCOMES, required=True),
        C("note", "情况说明"),
        C("evidence", "证据文件", doc="照片、录音的文件名，多个用“；”分隔"),
    ),
)

UNITS = RecordSet(
    name="units",
    label="评估对象",
    aliases=("评估对象", "单位"),
    key=("unit",),
    unit_column=None,
    columns=(
        C("unit", "单位", required=True),
        C("name", "名称"),
        C("class", "类别"),
        C("region", "区域"),
    ),
)

RECORD_SETS: dict[str, RecordSet] = {
    rs.name: rs
    for rs in (UNITS, ITEMS, SYSTEMS, CASES, RATINGS, TICKETS, INFO_REPORTS, DOWNTIME, USAGE, VISITS)
}

# Messages of the generic rules; `{col}` is the column's Chinese label.
GENERIC_MESSAGES = {
    "missing": "必填项「{col}」为空",
    "bad_timestamp": "「{col}」不是有效的时间（应为 2021-01-05 或 2021-01-05 09:30:00）",
    "bad_date": "「{col}」不是有效的日期（应为 2021-01-05）",
    "bad_int": "「{col}」不是整数",
    "bad_float": "「{col}」不是数字",
    "bad_bool": "「{col}」应为 是/否、1/0 或 true/false",
    "bad_time": "「{col}」不是有效的时刻（应为 HH:MM，如 08:30）",
    "bad_choice": "「{col}」取值不在允许范围内（{choices}）",
    "below_min": "「{col}」不能小于 {min}",
    "duplicate": "编号重复（{col}），重复的各条记录都不计入",
    "unknown_unit": "单位「{col}」不在评估对象名单中",
    "unknown_item": "事项编码不在该单位的事项目录中",
    "unknown_system": "系统编号不在信息系统表中",
}

"""Parameters of supervision (edited by the city bureau at /settings/parameters/, audited)."""

from decimal import Decimal

from shuiquan.core import config

AMBER_MARGIN_PCT = config.define(
    "supervision.amber_margin_pct", Decimal("5"),
    "双控考核预警区间（%）", "Dual-control amber margin (%)",
    "上限类指标（用水总量、用水强度、地下水开采量）达到上限的(100−该值)%即为黄色预警、超过上限为红色；"
    "下限类指标（灌溉水有效利用系数、非常规水利用量）低于下限为红色，低于下限但在该百分比以内为黄色。"
    " Cap indicators: amber from (100 − margin)% of the cap, red above it. Floor indicators: red below the floor"
    " by more than the margin, amber within it.",
)
USE_BASIS = config.define(
    "supervision.use_basis", "metered_first",
    "考核用水量口径", "Basis of assessed water use",
    "metered_first：有计量监测数据的年度以计量数据为准，否则采用统计上报数据；reported_first：有统计上报数据的年度以统计数据为准。"
    " metered_first: years with metering data use it, others the reported statistics; reported_first: the reverse.",
    kind=str,
)
MONITORING_TOLERANCE_PCT = config.define(
    "supervision.monitoring_tolerance_pct", Decimal("10"),
    "交易履约动态监管容差（%）", "Trade-performance monitoring tolerance (%)",
    "履约中交易：转让方实际用水量超过交易后可用水量、或受让方实际用水量超过其全部水权的该百分比以上时，列为异常。"
    " A trade in performance is flagged when a party's metered use exceeds its post-trade right by more than this share.",
)
COMPLAINTS_PER_HOUR = config.define(
    "supervision.public_complaints_per_hour", 5,
    "同一来源每小时可提交的投诉数", "Public complaints per source per hour",
    "信息公开网站（免登录）提交投诉的频率限制，按来源地址的摘要计数（不保存原始地址）。"
    " Rate limit for anonymous complaints from the portal, counted per hashed source address (the raw address is not stored).",
)
COMPLAINT_MAX_CHARS = config.define(
    "supervision.complaint_max_chars", 2000,
    "投诉内容最大字数", "Maximum complaint length (characters)",
)

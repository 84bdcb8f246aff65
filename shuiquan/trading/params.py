"""Trading parameters (core.config): every number of the market procedure, with its documented
default. The city bureau edits them at /settings/parameters/ (audited). docs/trading.md lists them."""

from decimal import Decimal

from shuiquan.core import config

VERIFICATION_WORKING_DAYS = config.define(
    "trading.verification_working_days", 20, "节水量核定期限（工作日）", "Savings verification deadline (working days)",
    "原取水审批机关自申请之日起核定节约水量的期限；工作日不含周六、周日和 trading.holidays 所列节假日。",
)
HOLIDAYS = config.define(
    "trading.holidays", [], "法定节假日（不计工作日）", "Public holidays (not working days)",
    "逗号分隔的日期 YYYY-MM-DD；每年由市水利局按国务院办公厅通知录入。", kind=list,
)
EXTRA_WORKDAYS = config.define(
    "trading.extra_workdays", [], "调休上班日（计为工作日）", "Make-up working days (weekend days that count)",
    "逗号分隔的日期 YYYY-MM-DD。", kind=list,
)
NOTICE_DAYS = config.define(
    "trading.notice_days", 10, "挂牌公告期（日）", "Listing notice period (days)",
    "挂牌公告自发布起的自然日数；公告期满后按意向受让方数量协议成交或组织竞价。",
)
PRIORITY_WINDOW_DAYS = config.define(
    "trading.priority_window_days", 5, "灌溉水权优先受让期（日）", "Irrigation first-purchase window (days)",
    "公告期开始后的该日数内只接受同一协会（或同一灌区）用水户登记受让意向（T9）。",
)
PRIORITY_SCOPE = config.define(
    "trading.priority_scope", "district", "优先受让范围", "First-purchase scope",
    "association（同一协会）或 district（同一灌区，含同一协会）。", kind=str,
)
DEPOSIT_RATE = config.define(
    "trading.deposit_rate", Decimal("0.10"), "竞买保证金比例", "Deposit rate",
    "意向受让方按挂牌总价的该比例缴纳保证金；成交方转为价款，未成交方全额退还。",
)
MIN_INCREMENT = config.define(
    "trading.auction_min_increment", Decimal("0.01"), "竞价最小加价幅度（元/立方米）", "Minimum bid increment (yuan/m³)",
)
AUCTION_MINUTES = config.define(
    "trading.auction_minutes", 60, "竞价时长（分钟）", "Auction duration (minutes)",
)
EXTEND_WINDOW_MINUTES = config.define(
    "trading.auction_extend_window_minutes", 5, "延时触发时段（分钟）", "Anti-sniping window (minutes)",
    "结束前该分钟数内出现有效报价时，结束时间延长。",
)
EXTEND_MINUTES = config.define(
    "trading.auction_extend_minutes", 5, "每次延时（分钟）", "Anti-sniping extension (minutes)",
)
FEE_RATE_SELLER = config.define(
    "trading.fee_rate_seller", Decimal("0.005"), "转让方交易服务费率", "Seller fee rate",
    "取水权、区域水权交易转让方按成交总价缴纳的服务费比例（F1：收入扣除费用后归转让方）。",
)
FEE_RATE_BUYER = config.define(
    "trading.fee_rate_buyer", Decimal("0.005"), "受让方交易服务费率", "Buyer fee rate",
)
FEE_RATE_IRRIGATION_SELLER = config.define(
    "trading.fee_rate_irrigation_seller", Decimal("0"), "灌溉用水户交易转让方服务费率", "Irrigation trade seller fee rate",
    "T9：交易收益全部归转让方，默认为0。",
)
FEE_RATE_IRRIGATION_BUYER = config.define(
    "trading.fee_rate_irrigation_buyer", Decimal("0"), "灌溉用水户交易受让方服务费率", "Irrigation trade buyer fee rate",
)
LOT_M3 = config.define(
    "trading.lot_m3", 1000, "标准交易单位（立方米/手）", "Standard lot (m³ per lot)",
    "双向委托撮合只交易本年度、整手的灌溉用水权。",
)
MAX_LOTS = config.define(
    "trading.orderbook_max_lots", 200, "单笔委托最大手数", "Maximum lots per order",
)
OPENING_WINDOW_MINUTES = config.define(
    "trading.orderbook_opening_minutes", 30, "集合委托时段（分钟）", "Opening window (minutes)",
    "交易时段开始后的该分钟数内的委托不按到达时间排序，而按记录的随机抽签顺序进入撮合。",
)
SESSION_HOURS = config.define(
    "trading.orderbook_session_hours", 8, "交易时段长度（小时）", "Session length (hours)",
)
MEDIAN_WINDOW = config.define(
    "trading.median_window", 20, "价格滚动中位数窗口（笔）", "Rolling median window (trades)",
)
MEDIAN_MIN_TRADES = config.define(
    "trading.median_min_trades", 5, "中位数最少成交笔数", "Minimum trades for a median",
    "少于该笔数（不含零价格成交）时不显示中位数。",
)
S1_MAX_AGRI_OUTFLOW_PCT = config.define(
    "trading.s1_max_agri_outflow_pct", 30, "灌溉用水权转出农业的年度上限（%）", "Cap on irrigation water leaving agriculture (%)",
    "S1：协会/用水户水权一年内转为非农业用途的水量不得超过其名义水量的该百分比，保障农田灌溉合理用水。",
)
M2_DISTRICT_METER_OK = config.define(
    "trading.m2_irrigation_accept_district_meter", True, "灌溉交易可使用灌区计量设施", "Irrigation trades may rely on the district's meters",
    "M2：协会取水口无计量设施时，以灌区取水许可取水口的合格在线计量设施满足灌溉计量要求。",
)
RESERVE_HORIZON_YEARS = config.define(
    "trading.reserve_right_years", 30, "收储/市外受让水权账户有效年数", "Validity of reserve and outside accounts (years)",
)
DEFAULT_LIABILITY = config.define(
    "trading.default_liability_text",
    "任何一方未按本协议约定履行义务的，应向守约方支付相当于交易总价款百分之二十的违约金；造成损失的，还应赔偿损失。",
    "协议默认违约责任条款", "Default liability clause", kind=str,
)
DISPUTE_RESOLUTION = config.define(
    "trading.dispute_resolution_text",
    "因本协议发生争议的，双方协商解决；协商不成的，提交南阳仲裁委员会仲裁。",
    "协议默认争议解决条款", "Dispute resolution clause", kind=str,
)
MAX_TERM_YEARS = config.define(
    "trading.max_term_years", 25, "交易期限上限（年）", "Maximum term (years)",
)

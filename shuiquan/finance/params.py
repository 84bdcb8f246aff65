"""Finance parameters (core.config; the city bureau edits them at /settings/parameters/, audited).

All rates here are PLACEHOLDERS: the seed leaves them to 《南阳市水权交易资金管理和使用办法》, which
the finance bureau and the water bureau are to issue (§7.6.3, Table 9-1 item 5). The platform
withholds no tax until a rate is set, and splits SNWD non-tax revenue by the shares below until
the finance bureau sets its own. Trading fees are trading's parameters (``trading.fee_rate_*``).
"""

from decimal import Decimal

from shuiquan.core import config

TAX_RATE = config.define(
    "finance.tax_rate", Decimal("0"),
    "代扣代缴税费率（取水权、区域、收储交易）", "Tax withheld from proceeds (permit, regional and reserve trades)",
    "占成交总价的比例，结算时从转让方收入中代扣（F1）。占位值：默认为0，由市财政局、税务部门确定后设置（如合同印花税）。"
    " Share of the total price withheld from the seller's proceeds at settlement (F1). PLACEHOLDER: 0 until the finance bureau sets it.",
)
TAX_RATE_IRRIGATION = config.define(
    "finance.tax_rate_irrigation", Decimal("0"),
    "代扣代缴税费率（灌溉用水户交易）", "Tax withheld from irrigation-user trades",
    "T9：交易收益全部归转让方，默认为0。占位值，由市财政局确定。 PLACEHOLDER: 0 (T9: all proceeds go to the seller).",
)
SNWD_EARMARK_SHARES = config.define(
    "finance.snwd_earmark_shares", "basic_water_fee:40,supporting_works:30,development_conservation:20,eco_compensation:10",
    "南水北调水量交易收益专项用途比例", "Earmarked uses of SNWD trade revenue (shares)",
    "F2：非税收入扣除县市区奖励后按此比例安排：basic_water_fee 南水北调基本水费、supporting_works 配套工程运行维护、"
    "development_conservation 开发利用与节约保护、eco_compensation 水生态补偿。占位值，由市财政局按预算确定。"
    " F2: after the counties' rewards, the revenue is split by these weights. PLACEHOLDER shares.",
    kind=str,
)
SNWD_COUNTY_REWARD_PCT = config.define(
    "finance.snwd_county_reward_pct", Decimal("10"),
    "南水北调水量交易收益县市区奖励比例（%）", "Share of SNWD trade revenue rewarded to counties (%)",
    "F2：按各县市区交由市级收储的水量比例分配奖励。占位值，由市财政局确定。"
    " F2: rewarded to the counties in proportion to the volume they gave the city reserve. PLACEHOLDER.",
)

"""Choices of the trading app: trade types, modes, states, sides, kinds of records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TradeType(models.TextChoices):
    """T1: the three types of water-rights trade (§7.2)."""

    PERMIT = "permit", _("取水权交易")
    REGIONAL = "regional", _("区域水权交易")
    IRRIGATION = "irrigation", _("灌溉用水户水权交易")


class TradeMode(models.TextChoices):
    """T3: how the buyer and the price are found."""

    NEGOTIATED = "negotiated", _("协议转让")
    LISTING = "listing", _("单向挂牌")
    AUCTION = "auction", _("竞价")
    ORDER_BOOK = "order_book", _("双向委托撮合")


class TradeStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    CONSULTED = "consulted", _("已征求意见")
    READY = "ready", _("可交易（已核定/备案）")
    LISTED = "listed", _("挂牌公告中")
    AUCTION = "auction", _("竞价中")
    AGREED = "agreed", _("已成交待签约")
    CONTRACTED = "contracted", _("已签约")
    PROVINCE_FILED = "province_filed", _("已报省备案")
    PAID = "paid", _("已付款")
    SETTLED = "settled", _("已结算")
    REGISTERED = "registered", _("已登记（履约中）")
    EXPIRED = "expired", _("期满归还")
    REJECTED = "rejected", _("未通过")
    CANCELLED = "cancelled", _("已撤销")
    FAILED = "failed", _("流拍/未成交")


#: States in which the trade's volume is committed to the market (locked or posted).
OPEN_STATES = (TradeStatus.LISTED, TradeStatus.AUCTION)
#: States of a trade that has been dealt and settled (market information "completed trades").
COMPLETED_STATES = (TradeStatus.SETTLED, TradeStatus.REGISTERED, TradeStatus.EXPIRED)
#: States that no longer claim any volume.
DEAD_STATES = (TradeStatus.REJECTED, TradeStatus.CANCELLED, TradeStatus.FAILED)
#: The ordered main path shown on the timeline, per type.
MAIN_PATH = {
    TradeType.PERMIT: ["applied", "ready", "listed", "auction", "agreed", "contracted", "paid", "settled", "registered", "expired"],
    TradeType.REGIONAL: ["applied", "consulted", "ready", "listed", "auction", "agreed", "contracted", "province_filed", "paid",
                         "settled", "registered", "expired"],
    TradeType.IRRIGATION: ["applied", "ready", "listed", "auction", "agreed", "contracted", "paid", "settled", "registered",
                           "expired"],
}


class Basis(models.TextChoices):
    """Where the sold volume comes from (T4, T12, T2, T10)."""

    SAVING = "saving", _("核定的节约水量")
    RESERVE_PURCHASE = "reserve_purchase", _("从收储购得的水量")
    REGIONAL_SURPLUS = "regional_surplus", _("区域结余或预留水量")
    IRRIGATION_RIGHT = "irrigation_right", _("灌溉用水权（节余水量）")
    RESERVE_STOCK = "reserve_stock", _("收储水量")


class SavingSource(models.TextChoices):
    """T12 and §7.2.2: the sources of saved volume that may be sold."""

    STRUCTURAL = "structural", _("调整产品和产业结构、改革工艺")
    WORKS = "works", _("节水工程措施")
    CONTRACT = "contract", _("合同节水")
    RECLAIMED = "reclaimed", _("再生水替代")


class SavingStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待核定")
    VERIFIED = "verified", _("已核定")
    REJECTED = "rejected", _("未通过核定")


class ListingStatus(models.TextChoices):
    OPEN = "open", _("公告中")
    AUCTION = "auction", _("竞价中")
    DEALT = "dealt", _("已成交")
    FAILED = "failed", _("流拍")
    CANCELLED = "cancelled", _("已撤牌")


class IntentStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    EXCLUDED = "excluded", _("优先受让期外（未入围）")
    WON = "won", _("受让")
    LOST = "lost", _("未受让")


class DepositStatus(models.TextChoices):
    PAID = "paid", _("已缴纳")
    REFUNDED = "refunded", _("已退还")
    APPLIED = "applied", _("已转为价款")


class AuctionStatus(models.TextChoices):
    OPEN = "open", _("竞价中")
    CLOSED = "closed", _("已结束")


class PaymentKind(models.TextChoices):
    DEPOSIT = "deposit", _("保证金")
    DEPOSIT_REFUND = "deposit_refund", _("保证金退还")
    DEPOSIT_APPLIED = "deposit_applied", _("保证金转价款")
    PRICE = "price", _("交易价款")
    FEE_SELLER = "fee_seller", _("转让方交易服务费")
    FEE_BUYER = "fee_buyer", _("受让方交易服务费")
    PROCEEDS = "proceeds", _("交易收益划付")


class Side(models.TextChoices):
    BID = "bid", _("买入")
    ASK = "ask", _("卖出")


class OrderStatus(models.TextChoices):
    QUEUED = "queued", _("集合时段排队")
    OPEN = "open", _("挂单中")
    PARTIAL = "partial", _("部分成交")
    FILLED = "filled", _("全部成交")
    CANCELLED = "cancelled", _("已撤单")
    EXPIRED = "expired", _("时段结束失效")


LIVE_ORDER_STATES = (OrderStatus.QUEUED, OrderStatus.OPEN, OrderStatus.PARTIAL)


class RestrictionKind(models.TextChoices):
    """S6: what the city bureau imposes on a party that fails its targets."""

    HALT = "halt", _("责令停止交易")
    CUT = "cut", _("核减交易水量")


class RestrictionGround(models.TextChoices):
    GROUNDWATER_REDUCTION = "groundwater_reduction", _("地下水压采未达标")
    STRICT_ASSESSMENT = "strict_assessment", _("最严格水资源管理考核不合格")
    OTHER = "other", _("其他")


class ProhibitionSide(models.TextChoices):
    SELL = "sell", _("不得转让")
    BUY = "buy", _("不得受让")
    BOTH = "both", _("不得转让和受让")


class PermitChangeKind(models.TextChoices):
    TRADE = "trade", _("交易变更")
    REVERSION = "reversion", _("期满恢复")


class Stage(models.TextChoices):
    """When the rules engine runs."""

    APPLICATION = "application", _("申请")
    LISTING = "listing", _("挂牌")
    BID = "bid", _("竞买/委托")
    CONTRACT = "contract", _("签约")
    REGISTRATION = "registration", _("登记")

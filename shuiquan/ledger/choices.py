from django.db import models
from django.utils.translation import gettext_lazy as _


class RightKind(models.TextChoices):
    ISSUANCE = "issuance", _("指标来源")
    REGIONAL = "regional", _("区域用水权")
    RIVER = "river", _("河流水量分配")
    GROUNDWATER = "groundwater", _("地下水取水指标")
    SNWD = "snwd", _("南水北调用水权")
    RESERVOIR = "reservoir", _("水库水量分配")
    WITHDRAWAL = "withdrawal", _("取水权")
    IRRIGATION = "irrigation", _("灌溉用水权（协会）")
    HOUSEHOLD = "household", _("灌溉用水户水权")
    RESERVE = "reserve", _("收储水权")
    ECOLOGICAL = "ecological", _("河道生态水量")
    OUTSIDE = "outside", _("市外受让水权")


#: Kinds whose balance may go negative: they are where volume enters the books (like an equity
#: account), e.g. "the province's dual-control target for Nanyang" or "the Tang river in a 75% year".
NEGATIVE_ALLOWED = {RightKind.ISSUANCE}
#: Kinds that can never be allocated onward or traded (A2: the river's ecological water).
NEVER_MOVES = {RightKind.ECOLOGICAL}


class HolderKind(models.TextChoices):
    AUTHORITY = "authority", _("下达机关")
    REGION = "region", _("行政区")
    WATER_USER = "water_user", _("取用水户")
    IRRIGATION_DISTRICT = "irrigation_district", _("灌区")
    ASSOCIATION = "association", _("农民用水者协会")
    HOUSEHOLD = "household", _("灌溉用水户")
    RESERVE = "reserve", _("收储机构")
    RIVER = "river", _("河流（生态）")


class RightStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("中止")
    EXPIRED = "expired", _("到期")
    CANCELLED = "cancelled", _("注销")


class EntryKind(models.TextChoices):
    ISSUANCE = "issuance", _("指标下达")
    ALLOCATION = "allocation", _("初始分配")
    TRADE = "trade", _("交易过户")
    RESERVE_PURCHASE = "reserve_purchase", _("回购收储")
    RESERVE_RESALE = "reserve_resale", _("收储出让")
    PLEDGE_ENFORCEMENT = "pledge_enforcement", _("质权实现")
    REVERSAL = "reversal", _("冲正")
    ADJUSTMENT = "adjustment", _("调整")
    #: Households' volume gathered into their association's right before it sells (trading, T9/T10).
    POOLING = "pooling", _("用水户水量归集")
    #: Pooled volume the association did not sell, given back to the same households.
    POOLING_RETURN = "pooling_return", _("归集水量退回")


class LockKind(models.TextChoices):
    LISTING = "listing", _("挂牌冻结")
    PLEDGE = "pledge", _("质押冻结")
    ORDER = "order", _("委托冻结")
    APPLICATION = "application", _("申请冻结")
    OTHER = "other", _("其他")


class LockStatus(models.TextChoices):
    ACTIVE = "active", _("冻结中")
    RELEASED = "released", _("已解除")
    CONSUMED = "consumed", _("已成交")

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    """Where money can be. Line amounts are positive when money arrives at the account."""

    PARTY = "party", _("交易方（受让方/转让方）")
    RESERVE_FUNDER = "reserve_funder", _("收储出资方（F3）")
    PLEDGEE = "pledgee", _("质权人（金融机构）")
    SETTLEMENT = "settlement", _("交易资金结算账户")
    DEPOSITS = "deposits", _("保证金专户")
    FEES = "fees", _("交易服务费收入")
    TAX = "tax", _("代扣代缴税费")
    NON_TAX = "non_tax", _("南水北调水量交易非税收入（F2）")
    EARMARKED = "earmarked", _("专项用途（F2）")
    COUNTY_REWARD = "county_reward", _("县市区奖励（F2）")


PLATFORM_KINDS = (AccountKind.SETTLEMENT, AccountKind.DEPOSITS)


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", _("保证金缴纳")
    DEPOSIT_REFUND = "deposit_refund", _("保证金退还")
    DEPOSIT_APPLIED = "deposit_applied", _("保证金转价款")
    PRICE = "price", _("受让方付价款")
    BUYER_FEE = "buyer_fee", _("受让方服务费")
    SELLER_FEE = "seller_fee", _("转让方服务费")
    SETTLEMENT = "settlement", _("结算划付（扣税费后）")
    ORDERBOOK = "orderbook", _("委托撮合成交价款")
    SNWD_DISTRIBUTION = "snwd_distribution", _("南水北调收益分配（F2）")
    REVERSAL = "reversal", _("冲正")


class Earmark(models.TextChoices):
    BASIC_WATER_FEE = "basic_water_fee", _("南水北调基本水费")
    SUPPORTING_WORKS = "supporting_works", _("配套工程运行维护")
    DEVELOPMENT_CONSERVATION = "development_conservation", _("水资源开发利用与节约保护")
    ECO_COMPENSATION = "eco_compensation", _("水生态补偿")

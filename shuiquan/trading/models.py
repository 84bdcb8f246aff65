"""Models of the water-rights market (用水权交易, §7.2).

- ``Trade``: one trade of any type (T1) and mode (T3), a state machine (django-fsm-2, protected
  field) whose every transition writes a ``TradeTransition`` history row and an audit record.
  Parties are identified by the ledger rights the volume moves between (seller → buyer) and
  denormalised onto the trade for scoping and the market pages.
- ``SavingsVerification``: where sellable volume comes from (T4, T5, T12).
- ``Listing``, ``ListingIntent``, ``Auction``, ``Bid``: one-sided listing with notice, first-purchase
  window, deposits and the online auction.
- ``OrderBookSession``, ``Order``, ``Fill``: the two-sided book for standard irrigation lots.
- ``Payment``: price, deposits, fees and proceeds as recorded by the platform (F1, F3).
- ``PermitChange`` (T7), ``DispatchPlanLine`` (regional trades enter the buyer's dispatch plan).
- ``TradingRestriction`` (S6) and the editable rule lists (S4, S5): ``EliminatedIndustry``,
  ``SectorQuota``, ``PollutantIntensity``, ``LegalProhibition``; ``OutflowCap`` for the book.

Volumes are integer m³; money is Decimal yuan to the fen; unit prices are yuan per m³ with four
decimal places (a rate, not an amount; totals are rounded to the fen).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager
from shuiquan.registry.choices import WaterUse

from .choices import (
    AuctionStatus,
    Basis,
    DepositStatus,
    IntentStatus,
    ListingStatus,
    OrderStatus,
    PaymentKind,
    PermitChangeKind,
    ProhibitionSide,
    RestrictionGround,
    RestrictionKind,
    SavingSource,
    SavingStatus,
    Side,
    TradeMode,
    TradeStatus,
    TradeType,
)

__all__ = [
    "SavingsVerification", "Trade", "TradeTransition", "Listing", "ListingIntent", "Auction", "Bid", "Payment",
    "PermitChange", "DispatchPlanLine", "Pooling", "PoolingShare", "PoolingReturn", "OrderBookSession", "Order", "Fill", "OutflowCap", "TradingRestriction",
    "EliminatedIndustry", "SectorQuota", "PollutantIntensity", "LegalProhibition",
]

S = TradeStatus
PRICE_DIGITS, PRICE_PLACES = 12, 4  # yuan per m³
MONEY_DIGITS, MONEY_PLACES = 16, 2  # yuan


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs)


def price_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES,
                               validators=[MinValueValidator(Decimal("0"))], **kwargs)


def _party_scope(prefix: str = ""):
    """Who sees a record tied to a trade: the parties, their county, district and association."""

    def county(user):
        return Q(**{f"{prefix}seller_region": user.region_id}) | Q(**{f"{prefix}buyer_region": user.region_id})

    def holder(user):
        return Q(**{f"{prefix}seller_water_user": user.water_user_id}) | Q(**{f"{prefix}buyer_water_user": user.water_user_id})

    def association(user):
        return Q(**{f"{prefix}seller_association": user.association_id}) | Q(**{f"{prefix}buyer_association": user.association_id})

    def district(user):
        return (Q(**{f"{prefix}seller_association__district": user.irrigation_district_id})
                | Q(**{f"{prefix}buyer_association__district": user.irrigation_district_id}))

    def snwd(user):
        return Q(**{f"{prefix}is_snwd": True})

    return {
        Role.COUNTY_OFFICER: county,
        Role.PERMIT_HOLDER: holder,
        Role.ASSOCIATION_REP: association,
        Role.DISTRICT_MANAGER: district,
        Role.SNWD_UNIT: snwd,
    }


# ---------------------------------------------------------------------------------------------
# Where sellable volume comes from (T4, T5, T12)
# ---------------------------------------------------------------------------------------------


class SavingsVerification(models.Model):
    """A saved volume claimed by a permit holder for one source of saving, and its verification by
    the permit's original approving authority (T5), consulting the works' manager."""

    number = models.CharField(_("核定编号"), max_length=30, unique=True, null=True, blank=True)
    permit = models.ForeignKey("registry.WithdrawalPermit", on_delete=models.PROTECT, related_name="savings", verbose_name=_("取水许可证"))
    water_user = models.ForeignKey("registry.WaterUser", on_delete=models.PROTECT, related_name="savings", verbose_name=_("取用水户"), editable=False)
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"), editable=False)
    source_kind = models.CharField(_("节水来源"), max_length=20, choices=SavingSource.choices)
    description = models.TextField(_("节水措施说明"))
    claimed_m3 = models.PositiveBigIntegerField(_("申报年节约水量（立方米）"), validators=[MinValueValidator(1)])
    verified_m3 = models.PositiveBigIntegerField(_("核定年节约水量（立方米）"), null=True, blank=True)
    first_year = models.PositiveSmallIntegerField(_("起始年度"))
    last_year = models.PositiveSmallIntegerField(_("终止年度"))
    evidence = models.TextField(_("证明材料"), help_text=_("计量数据、工程验收、合同等材料的说明（可另附文件）"))
    # Contract water saving (合同节水, T12)
    contractor_name = models.CharField(_("节水服务企业"), max_length=120, blank=True)
    host_unit = models.CharField(_("用水单位（业主）"), max_length=120, blank=True)
    contractor_share_pct = models.DecimalField(_("节水服务企业收益分成（%）"), max_digits=5, decimal_places=2, null=True, blank=True,
                                               validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    host_share_pct = models.DecimalField(_("用水单位收益分成（%）"), max_digits=5, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    # Reclaimed-water substitution (再生水替代, T12)
    reclaimed_source = models.ForeignKey("registry.WaterSource", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("替代再生水水源"))
    reclaimed_m3 = models.PositiveBigIntegerField(_("年再生水替代量（立方米）"), null=True, blank=True)
    # Verification (T5)
    verifying_authority = models.ForeignKey("registry.Authority", on_delete=models.PROTECT, related_name="+", verbose_name=_("核定机关"), editable=False)
    works_manager_opinion = models.TextField(_("水利工程管理单位意见"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=SavingStatus.choices, default=SavingStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    due_on = models.DateField(_("核定期限"))
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    decision_note = models.TextField(_("核定意见"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.PERMIT_HOLDER}
    scope_paths = {Role.COUNTY_OFFICER: "region", Role.PERMIT_HOLDER: "water_user"}

    class Meta:
        ordering = ["-id"]
        verbose_name = _("节水量核定")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(last_year__gte=models.F("first_year")), name="trading_savings_year_order",
                                   violation_error_message=_("终止年度不能早于起始年度")),
            models.CheckConstraint(condition=Q(verified_m3__isnull=True) | Q(verified_m3__lte=models.F("claimed_m3")),
                                   name="trading_savings_verified_within_claim",
                                   violation_error_message=_("核定水量不能大于申报水量")),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.water_user}"

    def get_absolute_url(self):
        return reverse("trading:savings_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code or ""

    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


# ---------------------------------------------------------------------------------------------
# The trade and its state machine
# ---------------------------------------------------------------------------------------------


def _perm(action: str):
    def check(trade, user) -> bool:
        from .permissions import can_take

        return can_take(trade, user, action)

    check.__name__ = f"can_{action}"
    return check


def _is_snwd(trade) -> bool:
    return trade.is_snwd


def _verify_ready(trade) -> bool:
    if trade.trade_type == TradeType.IRRIGATION:
        return trade.seller_reserve_id is not None  # T10: the county verifies the buyer's need
    return trade.status == S.CONSULTED or not trade.is_snwd


def _needs_filing(trade) -> bool:
    return trade.trade_type == TradeType.IRRIGATION and trade.term_years > 1 and trade.seller_reserve_id is None


def _no_approval_needed(trade) -> bool:
    return trade.trade_type == TradeType.IRRIGATION and trade.term_years <= 1 and trade.seller_reserve_id is None


def _is_regional(trade) -> bool:
    return trade.trade_type == TradeType.REGIONAL


def _pay_ready(trade) -> bool:
    # A regional agreement is filed with the province before payment (§7.2.1).
    return trade.status == S.PROVINCE_FILED if trade.trade_type == TradeType.REGIONAL else trade.status == S.CONTRACTED


def _has_buyer(trade) -> bool:
    return trade.buyer_right_id is not None


class Trade(ConcurrentTransitionMixin, models.Model):
    """One water-rights trade: seller → buyer, ``volume_m3`` for each year from ``start_year`` to
    ``end_year``. Its ``status`` changes only through the declared transitions below, called by
    ``trading.services``; each writes a ``TradeTransition`` row."""

    number = models.CharField(_("交易编号"), max_length=30, unique=True, null=True, blank=True)
    trade_type = models.CharField(_("交易类型"), max_length=20, choices=TradeType.choices)
    mode = models.CharField(_("交易方式"), max_length=20, choices=TradeMode.choices)
    status = FSMField(_("状态"), max_length=20, choices=TradeStatus.choices, default=S.APPLIED, protected=True)
    is_snwd = models.BooleanField(_("南水北调水权"), default=False)
    basis = models.CharField(_("水量来源"), max_length=20, choices=Basis.choices)
    savings = models.ForeignKey(SavingsVerification, null=True, blank=True, on_delete=models.PROTECT, related_name="trades",
                                verbose_name=_("节水量核定"))

    # Seller: the right the volume leaves, and who holds it (denormalised for scope and display)
    seller_right = models.ForeignKey("ledger.WaterRight", on_delete=models.PROTECT, related_name="trades_sold", verbose_name=_("转让方用水权"))
    seller_name = models.CharField(_("转让方"), max_length=200)
    seller_kind = models.CharField(_("转让方类型"), max_length=24)
    seller_permit = models.ForeignKey("registry.WithdrawalPermit", null=True, blank=True, on_delete=models.PROTECT, related_name="trades_sold",
                                      verbose_name=_("转让方取水许可证"))
    seller_region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("转让方所在行政区"))
    seller_water_user = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    seller_association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    seller_household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    seller_reserve = models.ForeignKey("ledger.Reserve", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    # Buyer (known at application for negotiated trades, else when the listing or auction closes)
    buyer_ref = models.CharField(_("受让方标识"), max_length=40, blank=True, help_text=_("permit:ID / region:ID / reserve:ID / association:ID / household:ID"))
    buyer_right = models.ForeignKey("ledger.WaterRight", null=True, blank=True, on_delete=models.PROTECT, related_name="trades_bought",
                                    verbose_name=_("受让方用水权"))
    buyer_name = models.CharField(_("受让方"), max_length=200, blank=True)
    buyer_kind = models.CharField(_("受让方类型"), max_length=24, blank=True)
    buyer_permit = models.ForeignKey("registry.WithdrawalPermit", null=True, blank=True, on_delete=models.PROTECT, related_name="trades_bought",
                                     verbose_name=_("受让方取水许可证"))
    buyer_region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("受让方所在行政区"))
    buyer_water_user = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_reserve = models.ForeignKey("ledger.Reserve", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    # What is traded (T6)
    volume_m3 = models.PositiveBigIntegerField(_("年交易水量（立方米）"), validators=[MinValueValidator(1)])
    start_year = models.PositiveSmallIntegerField(_("起始年度"))
    end_year = models.PositiveSmallIntegerField(_("终止年度"))
    unit_price = price_field(_("单价（元/立方米）"), null=True, blank=True)
    total_price = money_field(_("交易总价（元）"), null=True, blank=True)
    use = models.CharField(_("取水用途"), max_length=20, choices=WaterUse.choices, blank=True)
    intake_location = models.CharField(_("取水地点"), max_length=200, blank=True)
    default_liability = models.TextField(_("违约责任"), blank=True)
    dispute_resolution = models.TextField(_("争议解决办法"), blank=True)
    # The buyer's project (S5 checks)
    project_sector = models.ForeignKey("registry.Sector", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("受让项目行业"))
    project_product = models.CharField(_("受让项目产品"), max_length=100, blank=True)
    project_water_per_unit = models.DecimalField(_("受让项目单位产品取水量（立方米）"), max_digits=12, decimal_places=4, null=True, blank=True)

    # Verification / filing / consultation findings
    verifying_authority = models.ForeignKey("registry.Authority", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                            verbose_name=_("核定机关"))
    verification_due = models.DateField(_("核定期限"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    verification_note = models.TextField(_("核定意见"), blank=True)
    use_change_approved = models.BooleanField(_("准予改变用途"), default=False)
    third_party_harm = models.BooleanField(_("对第三方或公共利益有重大损害"), default=False)
    needs_new_groundwater = models.BooleanField(_("转让后需新增地下水取水"), default=False)
    snwd_opinion = models.TextField(_("南水北调工程管理单位意见"), blank=True)
    snwd_consulted_at = models.DateTimeField(null=True, blank=True)
    filed_with = models.CharField(_("备案机关"), max_length=120, blank=True)
    filing_number = models.CharField(_("备案编号"), max_length=40, blank=True)
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    province_filing_number = models.CharField(_("报省备案编号"), max_length=40, blank=True)
    province_filed_at = models.DateTimeField(null=True, blank=True)

    # Agreement, settlement, registration
    agreement_number = models.CharField(_("协议编号"), max_length=30, blank=True)
    agreed_at = models.DateTimeField(_("成交时间"), null=True, blank=True)
    seller_signed_at = models.DateTimeField(_("转让方签约时间"), null=True, blank=True)
    seller_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_signed_at = models.DateTimeField(_("受让方签约时间"), null=True, blank=True)
    buyer_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    seller_fee = money_field(_("转让方服务费（元）"), null=True, blank=True)
    buyer_fee = money_field(_("受让方服务费（元）"), null=True, blank=True)
    proceeds = money_field(_("转让方所得（元）"), null=True, blank=True)
    proceeds_to = models.CharField(_("收益归属"), max_length=200, blank=True, help_text=_("F1 转让方；F3 收储出资方"))
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)
    certificate_number = models.CharField(_("交易鉴证书编号"), max_length=30, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("过户分录"))
    completed_at = models.DateTimeField(_("成交完成时间"), null=True, blank=True, db_index=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    renewal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals", verbose_name=_("延续自"))
    cancel_reason = models.CharField(_("撤销/未通过原因"), max_length=300, blank=True)
    note = models.TextField(_("说明"), blank=True)

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    created = models.DateTimeField(_("申请时间"), auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.PERMIT_HOLDER, Role.ASSOCIATION_REP, Role.DISTRICT_MANAGER, Role.SNWD_UNIT}
    scope_paths = _party_scope()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("交易")
        verbose_name_plural = _("交易")
        indexes = [
            models.Index(fields=["status", "trade_type"], name="trading_trade_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")), name="trading_trade_term_order",
                                   violation_error_message=_("终止年度不能早于起始年度")),
            models.CheckConstraint(condition=Q(volume_m3__gt=0), name="trading_trade_volume_positive",
                                   violation_error_message=_("交易水量应大于0")),
            models.CheckConstraint(condition=~Q(buyer_right=models.F("seller_right")), name="trading_trade_distinct_parties",
                                   violation_error_message=_("转让方与受让方不能为同一用水权")),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.get_trade_type_display()}"

    def get_absolute_url(self):
        return reverse("trading:trade_detail", args=[self.pk])

    def audit_region_code(self):
        return self.seller_region.code or ""

    @property
    def term_years(self) -> int:
        return self.end_year - self.start_year + 1

    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def total_volume_m3(self) -> int:
        return self.volume_m3 * self.term_years

    @property
    def is_reserve_purchase(self) -> bool:
        return self.buyer_reserve_id is not None

    @property
    def is_reserve_resale(self) -> bool:
        return self.seller_reserve_id is not None

    # --- transitions (each writes a TradeTransition row via the post_transition signal) -------

    @transition(field=status, source=S.APPLIED, target=S.CONSULTED, conditions=[_is_snwd], permission=_perm("consult_snwd"),
                custom={"label": "征求南水北调工程管理单位意见", "label_en": "Consult the SNWD management unit"})
    def consult_snwd(self, *, by, note=""):
        pass

    @transition(field=status, source=[S.APPLIED, S.CONSULTED], target=S.READY, conditions=[_verify_ready], permission=_perm("verify"),
                custom={"label": "核定", "label_en": "Verify"})
    def verify(self, *, by, note=""):
        pass

    @transition(field=status, source=S.APPLIED, target=S.READY, conditions=[_needs_filing], permission=_perm("file_record"),
                custom={"label": "备案", "label_en": "File (备案)"})
    def file_record(self, *, by, note=""):
        pass

    @transition(field=status, source=S.APPLIED, target=S.READY, conditions=[_no_approval_needed], permission=_perm("accept"),
                custom={"label": "受理（一年以内无需审批）", "label_en": "Accept (no approval for one year or less)"})
    def accept(self, *, by, note=""):
        pass

    @transition(field=status, source=[S.APPLIED, S.CONSULTED], target=S.REJECTED, permission=_perm("reject"),
                custom={"label": "不予通过", "label_en": "Reject"})
    def reject(self, *, by, note=""):
        pass

    @transition(field=status, source=S.READY, target=S.LISTED, permission=_perm("publish"),
                custom={"label": "挂牌", "label_en": "List"})
    def publish(self, *, by, note=""):
        pass

    @transition(field=status, source=S.READY, target=S.AGREED, permission=_perm("agree"),
                custom={"label": "协议成交", "label_en": "Record the agreement"})
    def agree(self, *, by, note=""):
        pass

    @transition(field=status, source=S.LISTED, target=RETURN_VALUE(S.AGREED, S.AUCTION, S.FAILED), permission=_perm("close_notice"),
                custom={"label": "公告期满处理", "label_en": "Close the notice period", "system": True})
    def close_notice(self, *, by, note="", outcome):
        return outcome

    @transition(field=status, source=S.AUCTION, target=RETURN_VALUE(S.AGREED, S.FAILED), permission=_perm("close_auction"),
                custom={"label": "竞价结束", "label_en": "Close the auction", "system": True})
    def close_auction(self, *, by, note="", outcome):
        return outcome

    @transition(field=status, source=S.AGREED, target=RETURN_VALUE(S.AGREED, S.CONTRACTED), conditions=[_has_buyer], permission=_perm("sign"),
                custom={"label": "签订协议", "label_en": "Sign the agreement"})
    def sign(self, *, by, note="", outcome):
        return outcome

    @transition(field=status, source=S.CONTRACTED, target=S.PROVINCE_FILED, conditions=[_is_regional], permission=_perm("file_province"),
                custom={"label": "协议报省备案", "label_en": "File the agreement with the province"})
    def file_province(self, *, by, note=""):
        pass

    @transition(field=status, source=[S.CONTRACTED, S.PROVINCE_FILED], target=S.PAID, conditions=[_pay_ready], permission=_perm("pay"),
                custom={"label": "支付价款", "label_en": "Pay"})
    def pay(self, *, by, note=""):
        pass

    @transition(field=status, source=S.PAID, target=S.SETTLED, permission=_perm("settle"),
                custom={"label": "资金结算", "label_en": "Settle"})
    def settle(self, *, by, note=""):
        pass

    @transition(field=status, source=S.SETTLED, target=S.REGISTERED, permission=_perm("register"),
                custom={"label": "登记过户", "label_en": "Register"})
    def register(self, *, by, note=""):
        pass

    @transition(field=status, source=S.REGISTERED, target=S.EXPIRED, permission=_perm("expire"),
                custom={"label": "期满归还", "label_en": "Expire (volume reverts)", "system": True})
    def expire(self, *, by, note=""):
        pass

    @transition(field=status, source=[S.APPLIED, S.CONSULTED, S.READY, S.LISTED, S.AGREED], target=S.CANCELLED,
                permission=_perm("cancel"), custom={"label": "撤销", "label_en": "Cancel"})
    def cancel(self, *, by, note=""):
        pass


class TradeTransition(models.Model):
    """One step of a trade's procedure: who took it, when, from which state to which."""

    trade = models.ForeignKey(Trade, on_delete=models.CASCADE, related_name="history")
    name = models.CharField(_("步骤"), max_length=40)
    label = models.CharField(_("步骤名称"), max_length=80)
    source = models.CharField(_("原状态"), max_length=20, blank=True)
    target = models.CharField(_("新状态"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150)
    actor_role = models.CharField(_("角色"), max_length=32, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("交易流程记录")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.trade_id} {self.name} {self.source}→{self.target}"

    @property
    def target_label(self) -> str:
        return TradeStatus(self.target).label if self.target in TradeStatus.values else self.target


# ---------------------------------------------------------------------------------------------
# Listing, intents, auction
# ---------------------------------------------------------------------------------------------


class Listing(models.Model):
    """A public listing (单向挂牌) of a trade's volume at a fixed price with a notice period."""

    trade = models.OneToOneField(Trade, on_delete=models.PROTECT, related_name="listing")
    number = models.CharField(_("挂牌编号"), max_length=30, unique=True, null=True, blank=True)
    listed_price = price_field(_("挂牌单价（元/立方米）"))
    notice_starts_at = models.DateTimeField(_("公告开始"))
    notice_ends_at = models.DateTimeField(_("公告截止"))
    priority_until = models.DateTimeField(_("优先受让期截止"), null=True, blank=True)
    priority_scope = models.CharField(_("优先受让范围"), max_length=20, blank=True)
    deposit_rate = models.DecimalField(_("保证金比例"), max_digits=6, decimal_places=4)
    deposit_amount = money_field(_("保证金（元）"))
    conditions = models.TextField(_("受让条件"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ListingStatus.choices, default=ListingStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_public_read = True  # a listing is a public announcement
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["-id"]
        verbose_name = _("挂牌")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.number or f"GP{self.pk}"

    def get_absolute_url(self):
        return reverse("trading:trade_detail", args=[self.trade_id])

    @property
    def total_listed_price(self) -> Decimal:
        from shuiquan.core.units import money

        return money(self.listed_price * self.trade.total_volume_m3)


class ListingIntent(models.Model):
    """An intending buyer's registration (意向受让) on a listing, with its deposit."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="intents")
    buyer_ref = models.CharField(_("受让方标识"), max_length=40)
    buyer_right = models.ForeignKey("ledger.WaterRight", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_name = models.CharField(_("意向受让方"), max_length=200)
    buyer_kind = models.CharField(max_length=24)
    buyer_region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_water_user = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_priority = models.BooleanField(_("享有优先受让权"), default=False)
    use = models.CharField(_("取水用途"), max_length=20, choices=WaterUse.choices, blank=True)
    intake_location = models.CharField(_("取水地点"), max_length=200, blank=True)
    project_sector = models.ForeignKey("registry.Sector", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    project_product = models.CharField(max_length=100, blank=True)
    project_water_per_unit = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    deposit_amount = money_field(_("保证金（元）"))
    deposit_reference = models.CharField(_("保证金缴款凭证"), max_length=80, blank=True)
    deposit_status = models.CharField(_("保证金状态"), max_length=20, choices=DepositStatus.choices, default=DepositStatus.PAID)
    status = models.CharField(_("状态"), max_length=20, choices=IntentStatus.choices, default=IntentStatus.REGISTERED)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    is_demo = models.BooleanField(default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.PERMIT_HOLDER, Role.ASSOCIATION_REP}
    scope_paths = {
        Role.COUNTY_OFFICER: "buyer_region",
        Role.PERMIT_HOLDER: "buyer_water_user",
        Role.ASSOCIATION_REP: "buyer_association",
        Role.DISTRICT_MANAGER: "buyer_association__district",
    }

    class Meta:
        ordering = ["listing", "id"]
        verbose_name = _("意向受让登记")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["listing", "buyer_ref"], name="trading_listingintent_one_per_buyer",
                                    violation_error_message=_("同一受让方对同一挂牌只能登记一次")),
        ]

    def __str__(self):
        return f"{self.listing} {self.buyer_name}"


class Auction(models.Model):
    """The online auction (竞价) among two or more qualified intending buyers."""

    listing = models.OneToOneField(Listing, on_delete=models.PROTECT, related_name="auction")
    start_price = price_field(_("起始单价（元/立方米）"))
    min_increment = price_field(_("最小加价幅度（元/立方米）"))
    starts_at = models.DateTimeField(_("开始时间"))
    original_ends_at = models.DateTimeField(_("原定结束时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    extend_window_minutes = models.PositiveSmallIntegerField(_("延时触发时段（分钟）"))
    extend_minutes = models.PositiveSmallIntegerField(_("每次延时（分钟）"))
    extensions = models.PositiveSmallIntegerField(_("延时次数"), default=0)
    status = models.CharField(_("状态"), max_length=20, choices=AuctionStatus.choices, default=AuctionStatus.OPEN)
    winning_bid = models.OneToOneField("Bid", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("竞价")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"竞价 {self.listing}"


class Bid(models.Model):
    """One bid in an auction: a unit price offered by an admitted intending buyer."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="bids")
    intent = models.ForeignKey(ListingIntent, on_delete=models.PROTECT, related_name="bids")
    unit_price = price_field(_("报价（元/立方米）"))
    placed_at = models.DateTimeField(_("报价时间"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    extended_to = models.DateTimeField(_("触发延时至"), null=True, blank=True)

    class Meta:
        ordering = ["auction", "-unit_price", "placed_at", "id"]
        verbose_name = _("报价")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.intent.buyer_name} {self.unit_price}"


# ---------------------------------------------------------------------------------------------
# Money as recorded by the platform (F1, F3; the funds ledger belongs to finance)
# ---------------------------------------------------------------------------------------------


class Payment(models.Model):
    """A payment the platform recorded: price, deposit (and its refund or conversion), fees, proceeds."""

    trade = models.ForeignKey(Trade, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    intent = models.ForeignKey(ListingIntent, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("类型"), max_length=20, choices=PaymentKind.choices)
    payer = models.CharField(_("付款方"), max_length=200)
    payee = models.CharField(_("收款方"), max_length=200)
    amount = money_field(_("金额（元）"), validators=[MinValueValidator(Decimal("0"))])
    reference = models.CharField(_("凭证号"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("资金记录")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


# ---------------------------------------------------------------------------------------------
# Registry effects: permit changes (T7) and dispatch plans (regional trades)
# ---------------------------------------------------------------------------------------------


class PermitChange(models.Model):
    """T7: the approval of a trade over one year states both permits' post-trade volumes, uses and
    annual plans; ``kind=reversion`` restores them at the end of the term (T8)."""

    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, related_name="permit_changes")
    kind = models.CharField(_("类型"), max_length=20, choices=PermitChangeKind.choices, default=PermitChangeKind.TRADE)
    approval_number = models.CharField(_("批准文号"), max_length=60)
    seller_permit = models.ForeignKey("registry.WithdrawalPermit", on_delete=models.PROTECT, related_name="+", verbose_name=_("转让方许可证"))
    buyer_permit = models.ForeignKey("registry.WithdrawalPermit", on_delete=models.PROTECT, related_name="+", verbose_name=_("受让方许可证"))
    seller_volume_before_m3 = models.PositiveBigIntegerField(_("转让方变更前许可水量"))
    seller_volume_after_m3 = models.PositiveBigIntegerField(_("转让方变更后许可水量"))
    buyer_volume_before_m3 = models.PositiveBigIntegerField(_("受让方变更前许可水量"))
    buyer_volume_after_m3 = models.PositiveBigIntegerField(_("受让方变更后许可水量"))
    seller_use = models.CharField(_("转让方取水用途"), max_length=20, choices=WaterUse.choices)
    buyer_use = models.CharField(_("受让方取水用途"), max_length=20, choices=WaterUse.choices)
    seller_plans = models.JSONField(_("转让方年度取水计划"), default=dict)
    buyer_plans = models.JSONField(_("受让方年度取水计划"), default=dict)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("批准时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("取水许可变更")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.approval_number} {self.seller_permit}→{self.buyer_permit}"


class DispatchPlanLine(models.Model):
    """A regional trade's volume entered into the buyer's annual dispatch plan (年度调度计划)."""

    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, related_name="dispatch_lines")
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("受让方"))
    year = models.PositiveSmallIntegerField(_("年度"))
    volume_m3 = models.PositiveBigIntegerField(_("调度水量（立方米）"))
    channel = models.CharField(_("输水工程"), max_length=120, blank=True)

    class Meta:
        ordering = ["year", "id"]
        verbose_name = _("年度调度计划")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["trade", "year"], name="trading_dispatchplanline_unique")]

    def __str__(self):
        return f"{self.region} {self.year} {self.volume_m3}"


# ---------------------------------------------------------------------------------------------
# 归集: households' volume gathered into their association's right before the association sells
# ---------------------------------------------------------------------------------------------


def _pooling_scope():
    return {
        Role.COUNTY_OFFICER: "region",
        Role.DISTRICT_MANAGER: "association__district",
        Role.ASSOCIATION_REP: "association",
    }


class Pooling(models.Model):
    """归集 (seed §7.1.3, §7.2.3): the association holds the irrigation right and its certificate,
    but its whole volume is allocated down to its households (A4), so before the association sells
    (to another association, T9, or to the county reserve, T10) its households give volume back to
    it — pro rata to their rights (planted areas) or from the households that consented — in one
    balanced ledger entry (kind ``pooling``), all or nothing. The shares are recorded
    (``PoolingShare``); what the association does not sell can be given back (``PoolingReturn``)."""

    number = models.CharField(_("归集编号"), max_length=30, unique=True, null=True, blank=True)
    association = models.ForeignKey("registry.Association", on_delete=models.PROTECT, related_name="+", verbose_name=_("农民用水者协会"))
    association_right = models.ForeignKey("ledger.WaterRight", on_delete=models.PROTECT, related_name="+", verbose_name=_("协会用水权"))
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在行政区"))
    first_year = models.PositiveSmallIntegerField(_("起始年度"))
    last_year = models.PositiveSmallIntegerField(_("终止年度"))
    volume_m3 = models.PositiveBigIntegerField(_("年归集水量（立方米）"), validators=[MinValueValidator(1)])
    returned_m3 = models.PositiveBigIntegerField(_("已退回水量（立方米/年）"), default=0)
    consent_only = models.BooleanField(_("仅自愿归集的用水户"), default=False,
                                       help_text=_("否：按全体用水户的水权（种植面积）比例归集；是：仅在同意归集的用水户之间按比例归集"))
    reason = models.TextField(_("归集事由"))
    entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("归集分录"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    created_at = models.DateTimeField(_("归集时间"), auto_now_add=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.ASSOCIATION_REP}
    scope_paths = _pooling_scope()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("用水户水量归集")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.number} {self.association}"

    def get_absolute_url(self):
        return reverse("trading:pooling_detail", args=[self.pk])

    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def outstanding_m3(self) -> int:
        return self.volume_m3 - self.returned_m3


class PoolingShare(models.Model):
    """One household's part of a pooling: ``volume_m3`` for each year of the pooling, taken from
    its household right; ``weight_m3`` is the right's nominal volume the split was made by."""

    pooling = models.ForeignKey(Pooling, on_delete=models.PROTECT, related_name="shares")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("灌溉用水户"))
    household_right = models.ForeignKey("ledger.WaterRight", on_delete=models.PROTECT, related_name="+", verbose_name=_("用水户水权"))
    weight_m3 = models.PositiveBigIntegerField(_("水权水量（立方米/年）"))
    volume_m3 = models.PositiveBigIntegerField(_("归集水量（立方米/年）"))
    returned_m3 = models.PositiveBigIntegerField(_("已退回（立方米/年）"), default=0)

    class Meta:
        ordering = ["pooling", "household__code"]
        verbose_name = _("归集份额")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["pooling", "household"], name="trading_poolingshare_unique")]

    def __str__(self):
        return f"{self.household.code} {self.volume_m3}"


class PoolingReturn(models.Model):
    """Pooled volume the association gives back to the same households (pro rata to their
    shares), in one ledger entry (kind ``pooling_return``)."""

    pooling = models.ForeignKey(Pooling, on_delete=models.PROTECT, related_name="returns")
    volume_m3 = models.PositiveBigIntegerField(_("退回水量（立方米/年）"), validators=[MinValueValidator(1)])
    shares = models.JSONField(_("各户退回水量"), default=dict, help_text=_("household id → m³ per year"))
    reason = models.TextField(_("退回事由"))
    entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("退回分录"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("归集水量退回")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.pooling.number} −{self.volume_m3}"


# ---------------------------------------------------------------------------------------------
# The two-sided order book for standard irrigation lots
# ---------------------------------------------------------------------------------------------


class OrderBookSession(models.Model):
    """A trading session of the irrigation order book: an opening window whose orders are queued
    and entered in a recorded random order, then continuous price-time matching until close."""

    year = models.PositiveSmallIntegerField(_("水量年度"))
    district = models.ForeignKey("registry.IrrigationDistrict", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("灌区"), help_text=_("空为全市"))
    opens_at = models.DateTimeField(_("开市时间"))
    opening_ends_at = models.DateTimeField(_("集合时段结束"))
    closes_at = models.DateTimeField(_("收市时间"))
    lot_m3 = models.PositiveIntegerField(_("每手水量（立方米）"))
    draw_seed = models.CharField(_("抽签种子"), max_length=64, blank=True)
    draw_order = models.JSONField(_("抽签结果（委托编号顺序）"), default=list, blank=True)
    drawn_at = models.DateTimeField(_("抽签时间"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    next_seq = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("委托交易时段")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.opens_at:%Y-%m-%d %H:%M} {self.district or ''}"

    def get_absolute_url(self):
        return reverse("trading:orderbook_session", args=[self.pk])


class Order(models.Model):
    """A limit order: buy (bid) or sell (ask) ``lots`` standard lots of this year's irrigation water."""

    session = models.ForeignKey(OrderBookSession, on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(_("方向"), max_length=4, choices=Side.choices)
    right = models.ForeignKey("ledger.WaterRight", on_delete=models.PROTECT, related_name="+", verbose_name=_("用水权"))
    party_name = models.CharField(_("委托方"), max_length=200)
    association = models.ForeignKey("registry.Association", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+")
    lots = models.PositiveIntegerField(_("委托手数"), validators=[MinValueValidator(1)])
    remaining_lots = models.PositiveIntegerField(_("未成交手数"))
    limit_price = price_field(_("限价（元/立方米）"))
    status = models.CharField(_("状态"), max_length=20, choices=OrderStatus.choices)
    book_seq = models.PositiveIntegerField(_("入簿顺序"), null=True, blank=True)
    draw_position = models.PositiveIntegerField(_("抽签位次"), null=True, blank=True)
    lock = models.ForeignKey("ledger.VolumeLock", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("委托时间"), auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.ASSOCIATION_REP}
    scope_paths = {Role.ASSOCIATION_REP: "association", Role.DISTRICT_MANAGER: "association__district", Role.COUNTY_OFFICER: "region"}

    class Meta:
        ordering = ["id"]
        verbose_name = _("委托")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(remaining_lots__lte=models.F("lots")), name="trading_order_remaining_within_lots"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_side_display()} {self.lots}×{self.limit_price}"


class Fill(models.Model):
    """One match of a bid and an ask (partial or whole), posted seller → buyer for the year."""

    session = models.ForeignKey(OrderBookSession, on_delete=models.PROTECT, related_name="fills")
    bid = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="bid_fills")
    ask = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="ask_fills")
    lots = models.PositiveIntegerField(_("成交手数"))
    volume_m3 = models.PositiveBigIntegerField(_("成交水量（立方米）"))
    unit_price = price_field(_("成交价（元/立方米）"))
    leaves_area = models.BooleanField(_("水量流出本区域"), default=False)
    trade = models.OneToOneField(Trade, on_delete=models.PROTECT, related_name="fill")
    at = models.DateTimeField(_("成交时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("撮合成交")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.lots}×{self.unit_price}"


class OutflowCap(models.Model):
    """Scarce capacity: the most water that may leave an association (or a county) through the order
    book in one session. Requests in the same opening window compete for it in drawn order."""

    association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("协会"))
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"))
    cap_m3 = models.PositiveBigIntegerField(_("每时段流出上限（立方米）"))
    is_active = models.BooleanField(_("有效"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["id"]
        verbose_name = _("区域流出容量上限")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(association__isnull=False) | Q(region__isnull=False), name="trading_outflowcap_has_area",
                                   violation_error_message=_("须指定协会或行政区")),
        ]

    def __str__(self):
        return f"{self.association or self.region}: {self.cap_m3}"

    def get_absolute_url(self):
        return reverse("trading:config_list", args=["outflow-caps"])


# ---------------------------------------------------------------------------------------------
# S6 restrictions and the editable lists the rules engine reads (S4, S5)
# ---------------------------------------------------------------------------------------------


class TradingRestriction(models.Model):
    """S6: a halt or a cut of trading imposed by the city bureau on a region or a party until it
    complies (groundwater reduction target, strict water-management assessment). Supervision will
    drive these; the rules engine reads the active ones."""

    kind = models.CharField(_("措施"), max_length=10, choices=RestrictionKind.choices)
    cut_pct = models.DecimalField(_("核减比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True,
                                  validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))])
    ground = models.CharField(_("原因类别"), max_length=30, choices=RestrictionGround.choices)
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"))
    water_user = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("取用水户"))
    association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("协会"))
    reason = models.TextField(_("事由"))
    imposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imposed_at = models.DateTimeField(_("作出时间"), auto_now_add=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lift_reason = models.TextField(_("解除理由"), blank=True)
    is_demo = models.BooleanField(default=False)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["-id"]
        verbose_name = _("交易限制（S6）")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=(Q(region__isnull=False, water_user__isnull=True, association__isnull=True)
                           | Q(region__isnull=True, water_user__isnull=False, association__isnull=True)
                           | Q(region__isnull=True, water_user__isnull=True, association__isnull=False)),
                name="trading_restriction_one_party", violation_error_message=_("须且只能指定一个行政区、取用水户或协会"),
            ),
            models.CheckConstraint(condition=Q(kind="halt") | Q(cut_pct__isnull=False), name="trading_restriction_cut_has_pct",
                                   violation_error_message=_("核减须填写核减比例")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.party}"

    def get_absolute_url(self):
        return reverse("trading:restriction_list")

    @property
    def party(self):
        return self.region or self.water_user or self.association

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class EliminatedIndustry(models.Model):
    """S5: projects of the eliminated category (《产业结构调整指导目录》淘汰类) may not buy water."""

    sector = models.ForeignKey("registry.Sector", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("行业"))
    product_keyword = models.CharField(_("产品/工艺关键词"), max_length=100, blank=True,
                                       help_text=_("受让项目产品名称包含该词即视为淘汰类"))
    catalogue_item = models.CharField(_("目录条目"), max_length=300)
    is_active = models.BooleanField(_("有效"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["id"]
        verbose_name = _("淘汰类产业")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(sector__isnull=False) | ~Q(product_keyword=""), name="trading_eliminated_has_match",
                                   violation_error_message=_("须指定行业或产品关键词")),
        ]

    def __str__(self):
        return self.catalogue_item

    def get_absolute_url(self):
        return reverse("trading:config_list", args=["eliminated-industries"])


class SectorQuota(models.Model):
    """S5: the sector's water-use quota (行业用水定额): m³ per unit of product."""

    sector = models.ForeignKey("registry.Sector", on_delete=models.PROTECT, related_name="+", verbose_name=_("行业"))
    product = models.CharField(_("产品"), max_length=100, blank=True, help_text=_("空为该行业通用定额"))
    unit = models.CharField(_("计量单位"), max_length=40)
    quota_m3_per_unit = models.DecimalField(_("定额（立方米/单位产品）"), max_digits=12, decimal_places=4,
                                            validators=[MinValueValidator(Decimal("0"))])
    standard = models.CharField(_("依据"), max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["sector", "product"]
        verbose_name = _("行业用水定额")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["sector", "product"], name="trading_sectorquota_unique")]

    def __str__(self):
        return f"{self.sector} {self.product} {self.quota_m3_per_unit}"

    def get_absolute_url(self):
        return reverse("trading:config_list", args=["sector-quotas"])


class PollutantIntensity(models.Model):
    """S5 comparison input: pollutants discharged per 10,000 m³ of water used by a sector (or a use)."""

    sector = models.ForeignKey("registry.Sector", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("行业"))
    use = models.CharField(_("用途"), max_length=20, choices=WaterUse.choices, blank=True, help_text=_("无行业数据时按用途比较"))
    cod_kg_per_10k_m3 = models.DecimalField(_("化学需氧量（千克/万立方米）"), max_digits=12, decimal_places=3,
                                            validators=[MinValueValidator(Decimal("0"))])
    nh3n_kg_per_10k_m3 = models.DecimalField(_("氨氮（千克/万立方米）"), max_digits=12, decimal_places=3,
                                             validators=[MinValueValidator(Decimal("0"))])
    basis = models.CharField(_("依据"), max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["id"]
        verbose_name = _("污染物排放强度")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(sector__isnull=False) | ~Q(use=""), name="trading_pollutant_has_key",
                                   violation_error_message=_("须指定行业或用途")),
        ]

    def __str__(self):
        return f"{self.sector or self.get_use_display()}: COD {self.cod_kg_per_10k_m3}"

    def get_absolute_url(self):
        return reverse("trading:config_list", args=["pollutant-intensities"])


class LegalProhibition(models.Model):
    """S4/S5: a transfer or purchase that a law, regulation or local policy expressly forbids."""

    side = models.CharField(_("禁止事项"), max_length=10, choices=ProhibitionSide.choices)
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"))
    water_user = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("取用水户"))
    association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("协会"))
    legal_basis = models.CharField(_("法律依据"), max_length=300)
    is_active = models.BooleanField(_("有效"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["id"]
        verbose_name = _("法定禁止交易")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(region__isnull=False) | Q(water_user__isnull=False) | Q(association__isnull=False),
                                   name="trading_prohibition_has_party", violation_error_message=_("须指定对象")),
        ]

    def __str__(self):
        return f"{self.get_side_display()} {self.region or self.water_user or self.association}"

    def get_absolute_url(self):
        return reverse("trading:config_list", args=["legal-prohibitions"])

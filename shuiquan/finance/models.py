"""Funds and finance (§7.6.3, §7.2.5): banks, water-right pledges and mortgages, fee-collection
right transfers (financing records), and the trade funds ledger (交易资金): a double-entry money
ledger in Decimal yuan whose entries sum to zero to the fen (``FundAccount``, ``FundEntry``,
``FundLine``), posted from trading's payment records and reconciled against the trades.

A pledge of a right's *volume* locks that volume in the ledger for each pledged year (LockKind
PLEDGE): it cannot be sold, locked again or reversed away until the pledgee releases it. A pledge of
a right's *income* (收益权质押) locks nothing but routes the right's trade proceeds to the pledgee.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager

__all__ = ["Bank", "Pledge", "PledgeEvent", "FeeRightTransfer", "FundAccount", "FundEntry", "FundLine"]


class Bank(models.Model):
    """A financial institution (pledgee). Its officers are accounts with role ``bank`` listed in ``staff``."""

    name = models.CharField(_("金融机构"), max_length=120, unique=True)
    code = models.CharField(_("金融机构编码/统一社会信用代码"), max_length=30, blank=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="banks", verbose_name=_("经办人员"))
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["name"]
        verbose_name = _("金融机构")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name


class PledgeKind(models.TextChoices):
    VOLUME_PLEDGE = "volume_pledge", _("用水权质押")
    MORTGAGE = "mortgage", _("用水权抵押")
    INCOME_PLEDGE = "income_pledge", _("用水权收益权质押")


class PledgeStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    BANK_CONFIRMED = "bank_confirmed", _("金融机构已确认")
    REGISTERED = "registered", _("已登记（水量冻结）")
    RELEASED = "released", _("已解除")
    ENFORCING = "enforcing", _("处置中")
    ENFORCED = "enforced", _("已处置")
    REJECTED = "rejected", _("不予登记")


ACTIVE_PLEDGE_STATUSES = (PledgeStatus.REGISTERED, PledgeStatus.ENFORCING)


def _pledge_scope(prefix: str = "") -> dict:
    return {
        Role.COUNTY_OFFICER: f"{prefix}right__region",
        Role.PERMIT_HOLDER: f"{prefix}right__water_user",
        Role.DISTRICT_MANAGER: lambda user: Q(**{f"{prefix}right__association__district": user.irrigation_district_id})
        | Q(**{f"{prefix}right__irrigation_district": user.irrigation_district_id}),
        Role.ASSOCIATION_REP: f"{prefix}right__association",
        Role.BANK: f"{prefix}bank__staff",
    }


class Pledge(models.Model):
    """A pledge or mortgage of a water right (or of its income) to a bank, registered with both the
    water bureau and the bank's own reference."""

    number = models.CharField(_("登记编号"), max_length=40, unique=True, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=PledgeKind.choices)
    right = models.ForeignKey("ledger.WaterRight", on_delete=models.PROTECT, related_name="pledges", verbose_name=_("用水权"))
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("质权人（金融机构）"))
    first_year = models.PositiveSmallIntegerField(_("起始年度"))
    last_year = models.PositiveSmallIntegerField(_("终止年度"))
    volume_m3 = models.PositiveBigIntegerField(_("每年质押水量（立方米）"), default=0)
    secured_amount = models.DecimalField(_("担保债权金额（元）"), max_digits=16, decimal_places=2)
    loan_contract_no = models.CharField(_("借款合同编号"), max_length=60)
    bank_reference = models.CharField(_("金融机构登记编号"), max_length=60, blank=True)
    purpose = models.CharField(_("融资用途"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.APPLIED)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("解除/处置时间"), null=True, blank=True)
    enforcement_buyer = models.CharField(_("处置受让方"), max_length=200, blank=True)
    enforcement_reference = models.CharField(_("处置交易编号"), max_length=60, blank=True)
    enforcement_trade = models.ForeignKey("trading.Trade", null=True, blank=True, on_delete=models.PROTECT, related_name="enforced_pledges",
                                          verbose_name=_("处置交易"))
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.PERMIT_HOLDER, Role.ASSOCIATION_REP, Role.BANK,
                         Role.DISTRICT_MANAGER}
    scope_paths = _pledge_scope()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("用水权质押（抵押）")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(last_year__gte=models.F("first_year")), name="finance_pledge_years_order"),
            models.CheckConstraint(condition=Q(secured_amount__gt=0), name="finance_pledge_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="income_pledge") | Q(volume_m3__gt=0), name="finance_pledge_volume_positive",
                violation_error_message=_("质押（抵押）水量应大于0"),
            ),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.get_kind_display()} {self.right}"

    def get_absolute_url(self):
        return reverse("finance:pledge_detail", args=[self.pk])

    def audit_region_code(self):
        return self.right.audit_region_code()

    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def locks_volume(self) -> bool:
        return self.kind in (PledgeKind.VOLUME_PLEDGE, PledgeKind.MORTGAGE)


class PledgeEvent(models.Model):
    """One step of a pledge's history: who did what, when, why."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.pledge_id} {self.from_status}→{self.to_status}"


class FeeRightStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    TERMINATED = "terminated", _("已终止")


class FeeRightTransfer(models.Model):
    """A transfer of a water-supply fee-collection right (供水收费权转让), registered as a financing record (§7.2.5)."""

    number = models.CharField(_("登记编号"), max_length=40, unique=True, null=True, blank=True)
    grantor = models.ForeignKey("registry.WaterUser", on_delete=models.PROTECT, related_name="fee_right_transfers",
                                verbose_name=_("转让方（供水工程管理单位）"))
    project = models.CharField(_("供水工程"), max_length=120)
    reservoir = models.ForeignKey("registry.Reservoir", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("水库"))
    transferee = models.CharField(_("受让方/融资方"), max_length=120)
    bank = models.ForeignKey(Bank, null=True, blank=True, on_delete=models.PROTECT, related_name="fee_right_transfers",
                             verbose_name=_("金融机构"))
    amount = models.DecimalField(_("融资金额（元）"), max_digits=16, decimal_places=2)
    start_date = models.DateField(_("起始日期"))
    end_date = models.DateField(_("终止日期"))
    purpose = models.CharField(_("融资用途"), max_length=200)
    status = models.CharField(_("状态"), max_length=20, choices=FeeRightStatus.choices, default=FeeRightStatus.REGISTERED)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER}
    scope_paths = {Role.COUNTY_OFFICER: "grantor__region", Role.PERMIT_HOLDER: "grantor", Role.BANK: "bank__staff"}

    class Meta:
        ordering = ["-id"]
        verbose_name = _("供水收费权转让")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="finance_feeright_dates_order"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_feeright_amount_positive"),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.project}"

    def get_absolute_url(self):
        return reverse("finance:feeright_detail", args=[self.pk])

    def audit_region_code(self):
        return self.grantor.region.code or ""


# ---------------------------------------------------------------------------------------------
# The trade funds ledger (交易资金)
# ---------------------------------------------------------------------------------------------

from .choices import AccountKind, EntryKind  # noqa: E402

FUNDS_READERS = {Role.CITY_ADMIN, Role.FINANCE_OFFICER, Role.AUDITOR}


class FundAccount(models.Model):
    """Where money can be: a trade party, a reserve's funder, a pledgee, the platform's settlement
    and deposit accounts, the fee income, taxes withheld, SNWD non-tax revenue and its earmarked
    uses and county rewards. A line's amount is positive when money arrives at the account, so an
    account's balance is the money it has received net (a buyer's is negative: it paid)."""

    code = models.CharField(_("账户编码"), max_length=80, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=AccountKind.choices)
    name = models.CharField(_("账户名称"), max_length=200)
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("行政区"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.FINANCE_OFFICER}
    scope_paths: dict = {}

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("资金账户")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("finance:account_detail", args=[self.pk])


class FundEntry(models.Model):
    """One balanced movement of money (its lines sum to zero to the fen). Entries are never edited:
    a correction is a reversing entry. An entry made from a trading payment record points to it
    (one entry per payment, so posting is idempotent)."""

    number = models.CharField(_("凭证号"), max_length=30, unique=True, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=EntryKind.choices)
    rule = models.CharField(_("适用规则"), max_length=4, blank=True, help_text=_("F1 转让方；F2 南水北调非税收入；F3 收储出资方"))
    trade = models.ForeignKey("trading.Trade", null=True, blank=True, on_delete=models.PROTECT, related_name="fund_entries",
                              verbose_name=_("交易"))
    payment = models.OneToOneField("trading.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="fund_entry",
                                   verbose_name=_("交易资金记录"))
    memo = models.CharField(_("摘要"), max_length=300)
    reference = models.CharField(_("凭证/流水号"), max_length=80, blank=True)
    effective_date = models.DateField(_("记账日期"))
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by",
                                    verbose_name=_("冲正的凭证"))
    pledge = models.ForeignKey(Pledge, null=True, blank=True, on_delete=models.PROTECT, related_name="fund_entries",
                               verbose_name=_("质权人受偿的质押"))
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.FINANCE_OFFICER}
    scope_paths: dict = {}

    class Meta:
        ordering = ["-id"]
        verbose_name = _("资金凭证")
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["trade", "kind"], name="finance_fundentry_trade_idx")]

    def __str__(self):
        return f"{self.number or '—'} {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("finance:entry_detail", args=[self.pk])

    def audit_region_code(self):
        return ""


class FundLine(models.Model):
    """One line of an entry: ``amount`` yuan (signed, to the fen) arriving at (+) or leaving (−) ``account``."""

    entry = models.ForeignKey(FundEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="lines")
    amount = models.DecimalField(_("金额（元）"), max_digits=16, decimal_places=2)
    memo = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["entry", "id"]
        indexes = [models.Index(fields=["account", "entry"], name="finance_fundline_account_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="finance_fundline_amount_nonzero",
                                   violation_error_message=_("金额不能为0")),
        ]

    def __str__(self):
        return f"{self.entry_id} {self.account_id} {self.amount:+}"

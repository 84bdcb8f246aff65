"""The volume ledger: water rights, journal entries and postings, locks, and derived balances.

A water right (用水权) is held by one holder for a source and use with a nominal annual volume and a
validity period. Who may use how much water in which year is recorded by double entry: every
change is a ``JournalEntry`` whose ``Posting`` rows (right, year, signed integer m³) sum to zero
for each year. Balances are derived from postings; ``RightBalance`` keeps them per (right, year)
for speed and row locking, updated only inside the posting transaction and re-checked by
``verify_ledger``. Locks (listings, pledges, orders) reserve volume without moving it.

Integrity (docs/integrity.md):
- ``ledger_rightbalance_available_nonnegative``: balance − locked ≥ 0 unless the right may go
  negative (issuance accounts), on every database;
- ``ledger_posting_amount_nonzero``; ``ledger_lock_amount_positive``;
- on PostgreSQL, a deferred constraint trigger refuses at commit any entry whose postings do not
  sum to zero for a year, and triggers refuse UPDATE or DELETE of entries and postings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager
from shuiquan.registry.choices import SourceType, WaterUse

from .choices import (
    NEGATIVE_ALLOWED,
    EntryKind,
    HolderKind,
    LockKind,
    LockStatus,
    RightKind,
    RightStatus,
)

__all__ = ["Reserve", "WaterRight", "JournalEntry", "Posting", "RightBalance", "VolumeLock"]

HOLDER_FIELDS = ("holder_region", "water_user", "irrigation_district", "association", "household", "reserve", "river")

KIND_PREFIX = {
    RightKind.ISSUANCE: "ZB", RightKind.REGIONAL: "QY", RightKind.RIVER: "HL", RightKind.GROUNDWATER: "DX",
    RightKind.SNWD: "NS", RightKind.RESERVOIR: "SK", RightKind.WITHDRAWAL: "QS", RightKind.IRRIGATION: "GG",
    RightKind.HOUSEHOLD: "YH", RightKind.RESERVE: "SC", RightKind.ECOLOGICAL: "ST", RightKind.OUTSIDE: "SW",
}


def _scope_paths(prefix: str = "") -> dict:
    return {
        Role.COUNTY_OFFICER: f"{prefix}region",
        Role.PERMIT_HOLDER: f"{prefix}water_user",
        Role.DISTRICT_MANAGER: lambda user: (
            Q(**{f"{prefix}irrigation_district": user.irrigation_district_id})
            | Q(**{f"{prefix}association__district": user.irrigation_district_id})
            | Q(**{f"{prefix}household__association__district": user.irrigation_district_id})
        ),
        Role.ASSOCIATION_REP: lambda user: (
            Q(**{f"{prefix}association": user.association_id})
            | Q(**{f"{prefix}household__association": user.association_id})
        ),
    }


class Reserve(models.Model):
    """A water-rights reserve (收储) run by the city or a county bureau (T2, T10, F3)."""

    name = models.CharField(_("收储机构"), max_length=80, unique=True)
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="reserves", verbose_name=_("行政区"))
    operator = models.CharField(_("经办单位"), max_length=80)
    funder = models.CharField(_("出资方"), max_length=120, help_text=_("收储资金出资方；收储水量的交易收入归出资方（F3）"))
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["region__sort_order", "name"]
        verbose_name = _("收储机构")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name


class WaterRight(models.Model):
    """A water right (用水权): holder, source, use, nominal annual volume, validity, legal basis."""

    number = models.CharField(_("用水权编号"), max_length=30, unique=True, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=RightKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    holder_kind = models.CharField(_("权利人类型"), max_length=24, choices=HolderKind.choices)
    holder_name = models.CharField(_("权利人"), max_length=200)
    holder_region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="held_rights", verbose_name=_("权利人（行政区）"))
    water_user = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("权利人（取用水户）"))
    irrigation_district = models.ForeignKey("registry.IrrigationDistrict", null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("权利人（灌区）"))
    association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("权利人（协会）"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("权利人（用水户）"))
    reserve = models.ForeignKey(Reserve, null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("权利人（收储）"))
    river = models.ForeignKey("registry.River", null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("河流"))
    region = models.ForeignKey(
        "registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="rights_in_scope",
        verbose_name=_("所属行政区"), help_text=_("用于管辖范围与区域汇总"),
    )
    source = models.ForeignKey("registry.WaterSource", null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("水源"))
    source_type = models.CharField(_("水源类型"), max_length=20, choices=SourceType.choices, default=SourceType.MIXED)
    use = models.CharField(_("用途"), max_length=20, choices=WaterUse.choices, default=WaterUse.MIXED)
    annual_volume_m3 = models.BigIntegerField(_("年度水量（立方米）"), default=0)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    legal_basis = models.CharField(_("权属依据"), max_length=300, blank=True)
    permit = models.ForeignKey("registry.WithdrawalPermit", null=True, blank=True, on_delete=models.PROTECT, related_name="rights", verbose_name=_("取水许可证"))
    certificate_number = models.CharField(_("凭证编号"), max_length=40, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级用水权"))
    status = models.CharField(_("状态"), max_length=20, choices=RightStatus.choices, default=RightStatus.ACTIVE)
    is_tradable = models.BooleanField(_("可交易"), default=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN}  # rights change only through ledger/allocation/trading services
    scope_paths = _scope_paths()

    class Meta:
        ordering = ["kind", "number"]
        verbose_name = _("用水权")
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["kind", "status"], name="ledger_right_kind_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="ledger_waterright_validity_order",
                                   violation_error_message=_("有效期止不能早于有效期起")),
            models.CheckConstraint(condition=Q(annual_volume_m3__gte=0), name="ledger_waterright_volume_nonnegative",
                                   violation_error_message=_("年度水量不能为负")),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.name}"

    def get_absolute_url(self):
        return reverse("ledger:right_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code if self.region_id and self.region.code else ""

    @property
    def allow_negative(self) -> bool:
        return self.kind in NEGATIVE_ALLOWED

    def years(self) -> list[int]:
        return list(range(self.valid_from.year, self.valid_to.year + 1))

    def covers_year(self, year: int) -> bool:
        return self.valid_from.year <= year <= self.valid_to.year


class JournalEntry(models.Model):
    """A balanced change of who may use how much water in which years. Never edited: a correction
    is a new entry that ``reverses`` this one."""

    kind = models.CharField(_("类型"), max_length=24, choices=EntryKind.choices)
    memo = models.CharField(_("摘要"), max_length=300)
    effective_date = models.DateField(_("记账日期"))
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("冲正的分录"))
    reference_type = models.CharField(_("来源类型"), max_length=60, blank=True)
    reference_id = models.CharField(_("来源编号"), max_length=40, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_paths = {
        Role.COUNTY_OFFICER: lambda user: Q(postings__right__region=user.region_id),
        Role.PERMIT_HOLDER: lambda user: Q(postings__right__water_user=user.water_user_id),
        Role.DISTRICT_MANAGER: lambda user: Q(postings__right__association__district=user.irrigation_district_id)
        | Q(postings__right__irrigation_district=user.irrigation_district_id),
        Role.ASSOCIATION_REP: lambda user: Q(postings__right__association=user.association_id)
        | Q(postings__right__household__association=user.association_id),
    }

    class Meta:
        ordering = ["-id"]
        verbose_name = _("记账分录")
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["reference_type", "reference_id"], name="ledger_entry_reference_idx")]

    def __str__(self):
        return f"{self.number} {self.memo}"

    @property
    def number(self) -> str:
        return f"JE{self.pk:08d}" if self.pk else "JE—"

    def get_absolute_url(self):
        return reverse("ledger:entry_detail", args=[self.pk])


class Posting(models.Model):
    """One line of an entry: ``amount`` m³ (signed) to ``right`` for ``year``."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    right = models.ForeignKey(WaterRight, on_delete=models.PROTECT, related_name="postings")
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.BigIntegerField(_("水量（立方米）"))

    class Meta:
        ordering = ["entry", "year", "id"]
        indexes = [models.Index(fields=["right", "year"], name="ledger_posting_right_year_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_amount_nonzero",
                                   violation_error_message=_("过账水量不能为0")),
        ]

    def __str__(self):
        return f"{self.right_id}/{self.year}: {self.amount:+d}"


class RightBalance(models.Model):
    """Balance and locked volume of a right for a year, kept in step with postings and locks."""

    right = models.ForeignKey(WaterRight, on_delete=models.PROTECT, related_name="balances")
    year = models.PositiveSmallIntegerField(_("年度"))
    balance = models.BigIntegerField(_("余额（立方米）"), default=0)
    locked = models.BigIntegerField(_("冻结（立方米）"), default=0)
    allow_negative = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["right", "year"]
        constraints = [
            models.UniqueConstraint(fields=["right", "year"], name="ledger_rightbalance_unique"),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=F("locked")),
                name="ledger_rightbalance_available_nonnegative",
                violation_error_message=_("可用水量不能为负"),
            ),
            models.CheckConstraint(condition=Q(locked__gte=0), name="ledger_rightbalance_locked_nonnegative"),
        ]

    def __str__(self):
        return f"{self.right_id}/{self.year}: {self.balance} (locked {self.locked})"

    @property
    def available(self) -> int:
        return self.balance - self.locked


class VolumeLock(models.Model):
    """Volume reserved without moving it: a pending listing, a pledge, an open order."""

    right = models.ForeignKey(WaterRight, on_delete=models.PROTECT, related_name="locks")
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.BigIntegerField(_("冻结水量（立方米）"))
    kind = models.CharField(_("类型"), max_length=20, choices=LockKind.choices)
    status = models.CharField(_("状态"), max_length=20, choices=LockStatus.choices, default=LockStatus.ACTIVE)
    reference_type = models.CharField(_("来源类型"), max_length=60, blank=True)
    reference_id = models.CharField(_("来源编号"), max_length=40, blank=True)
    memo = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    close_reason = models.CharField(max_length=300, blank=True)

    objects = ScopedManager()
    scope_paths = _scope_paths("right__")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("水量冻结")
        verbose_name_plural = verbose_name
        indexes = [
            models.Index(fields=["right", "year", "status"], name="ledger_lock_right_year_idx"),
            models.Index(fields=["reference_type", "reference_id"], name="ledger_lock_reference_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_lock_amount_positive",
                                   violation_error_message=_("冻结水量应大于0")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.right_id}/{self.year} {self.amount}"

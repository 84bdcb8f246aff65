"""Supervision (监管, §7.5, rules S1–S7): the figures behind the dual-control assessment (双控考核),
complaints and disputes (争议和投诉) and, with the trading capability, enforcement (S6), on-site
verification (S3), post-trade evaluation and the national-system interface.

The assessment itself is computed live (``assessment.py``) from metering, reported statistics
(``registry.WaterUseStatistic``), the ledger's trade entries (S2) and the targets; only what people
enter is stored here.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager

from .choices import ComplaintChannel, ComplaintKind, ComplaintStatus, ComplaintTopic

__all__ = ["AssessmentFigures", "Complaint", "ComplaintEvent"]


class AssessmentFigures(models.Model):
    """What the city bureau enters for a region and year besides water use: the economic figures
    for the intensity indicators, the irrigation-water effective-use coefficient, the
    non-conventional water used and the groundwater withdrawn (statistics, not forecasts)."""

    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="assessment_figures", verbose_name=_("行政区"))
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    gdp_100m_yuan = models.DecimalField(_("地区生产总值（亿元）"), max_digits=12, decimal_places=2, null=True, blank=True,
                                        validators=[MinValueValidator(Decimal("0.01"))])
    industrial_va_100m_yuan = models.DecimalField(_("工业增加值（亿元）"), max_digits=12, decimal_places=2, null=True, blank=True,
                                                  validators=[MinValueValidator(Decimal("0.01"))])
    irrigation_coefficient = models.DecimalField(
        _("农田灌溉水有效利用系数"), max_digits=4, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.300")), MaxValueValidator(Decimal("1.000"))],
    )
    nonconventional_use_m3 = models.PositiveBigIntegerField(_("非常规水利用量（立方米）"), null=True, blank=True)
    groundwater_withdrawal_m3 = models.PositiveBigIntegerField(_("地下水开采量（立方米）"), null=True, blank=True)
    basis = models.CharField(_("数据来源"), max_length=200, blank=True, help_text=_("如：南阳市统计年鉴、水资源公报"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["-year", "region__sort_order"]
        verbose_name = _("考核基础数据")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="supervision_assessmentfigures_unique")]

    def __str__(self):
        return f"{self.region} {self.year}"

    def get_absolute_url(self):
        return reverse("supervision:figures_edit", args=[self.pk])

    def audit_region_code(self):
        return self.region.code or ""


def _complaint_scope() -> dict:
    own = lambda user: Q(complainant_user=user.pk)  # noqa: E731
    return {
        Role.COUNTY_OFFICER: lambda user: Q(region=user.region_id) | Q(complainant_user=user.pk),
        Role.DISTRICT_MANAGER: own,
        Role.ASSOCIATION_REP: own,
        Role.PERMIT_HOLDER: own,
        Role.BANK: own,
        Role.SNWD_UNIT: own,
    }


class Complaint(FSMModelMixin, models.Model):
    """A complaint, dispute or report about water-rights trading (§9.1: handled by the leading
    office, i.e. the city water bureau). The complainant's name and contact are personal data:
    never shown on public pages; the public sees only the number, status and the public reply,
    with the receipt code given at submission."""

    number = models.CharField(_("编号"), max_length=40, unique=True, null=True, blank=True)
    kind = models.CharField(_("类别"), max_length=20, choices=ComplaintKind.choices, default=ComplaintKind.COMPLAINT)
    topic = models.CharField(_("事项"), max_length=20, choices=ComplaintTopic.choices, default=ComplaintTopic.OTHER)
    channel = models.CharField(_("渠道"), max_length=20, choices=ComplaintChannel.choices, default=ComplaintChannel.PLATFORM)
    subject = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("内容"))
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("涉及行政区"))
    trade_number = models.CharField(_("涉及交易编号"), max_length=40, blank=True)
    complainant_name = models.CharField(_("投诉人"), max_length=100, blank=True)
    complainant_contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    complainant_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("提交账户"))
    source_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    receipt_token = models.CharField(_("查询码"), max_length=40, unique=True, editable=False)
    status = FSMField(_("状态"), max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.SUBMITTED, protected=True)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("承办人"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    public_reply = models.TextField(_("公开答复"), blank=True, help_text=_("投诉人凭查询码可见；不得包含个人信息"))
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN}
    scope_paths = _complaint_scope()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("争议和投诉")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.number or '—'} {self.subject}"

    def get_absolute_url(self):
        return reverse("supervision:complaint_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code if self.region_id and self.region.code else ""

    @property
    def receipt_code(self) -> str:
        """The short code the complainant keeps: with the number it opens the public status page."""
        return self.receipt_token[:8].upper()

    @property
    def is_open(self) -> bool:
        return self.status in (ComplaintStatus.SUBMITTED, ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING)

    # Declared transitions; the services lock the row, check the role, write history and audit.
    @transition(field=status, source=ComplaintStatus.SUBMITTED, target=ComplaintStatus.ACCEPTED, custom={"label": _("受理")})
    def accept(self):
        pass

    @transition(field=status, source=ComplaintStatus.ACCEPTED, target=ComplaintStatus.INVESTIGATING, custom={"label": _("开始调查")})
    def investigate(self):
        pass

    @transition(field=status, source=[ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING], target=ComplaintStatus.RESOLVED,
                custom={"label": _("办结")})
    def resolve(self):
        pass

    @transition(field=status, source=[ComplaintStatus.SUBMITTED, ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING],
                target=ComplaintStatus.DISMISSED, custom={"label": _("不予受理/驳回")})
    def dismiss(self):
        pass


class ComplaintEvent(models.Model):
    """One step of a complaint's handling (who, when, from, to, note)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(_("经办人"), max_length=150)
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("处理记录")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.complaint_id} {self.action}"

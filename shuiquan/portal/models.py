"""The public disclosure portal (信息公开, §7.5.4, §9.7): what it publishes beyond the other
capabilities' records — policy documents (the seed's 编制依据 and the Nanyang measures to be issued)
and irrigation users' supply-and-demand notices (供求信息, §7.2.3), published after review.

Nothing here holds personal data: a notice names the association (and at most a household's
de-identified code); contact goes through the association or the district unit.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager

from .choices import DocumentLevel, DocumentStatus, NoticeKind, NoticeStatus

__all__ = ["PolicyDocument", "SupplyDemandNotice", "contains_personal_data"]

#: Mainland mobile numbers, landlines with area code, and resident ID numbers.
PERSONAL_PATTERNS = [
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
    re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"),
    re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"),
]


def contains_personal_data(text: str) -> bool:
    """True if ``text`` contains something that looks like a phone or ID number."""
    return any(p.search(text or "") for p in PERSONAL_PATTERNS)


class PolicyDocument(models.Model):
    """A policy document: national and provincial documents the plan is based on (§4 编制依据),
    the measures Nanyang is to issue (§7.6, Table 9-1) and the reform plan itself, with status."""

    key = models.SlugField(_("标识"), max_length=60, unique=True)
    title = models.CharField(_("文件名称"), max_length=200)
    issuer = models.CharField(_("发文/负责单位"), max_length=200)
    level = models.CharField(_("层级"), max_length=20, choices=DocumentLevel.choices)
    status = models.CharField(_("状态"), max_length=20, choices=DocumentStatus.choices)
    doc_number = models.CharField(_("文号"), max_length=60, blank=True)
    issued_text = models.CharField(_("印发时间"), max_length=40, blank=True, help_text=_("按原文，如“2022年8月”"))
    planned_year = models.PositiveSmallIntegerField(_("计划年度"), null=True, blank=True,
                                                    validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    summary = models.TextField(_("内容摘要"), blank=True)
    source_section = models.CharField(_("出处"), max_length=60, blank=True)
    url = models.URLField(_("原文链接"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("政策文件")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("portal:policy_detail", args=[self.key])


def _notice_scope() -> dict:
    return {
        Role.COUNTY_OFFICER: "region",
        Role.DISTRICT_MANAGER: "district",
        Role.ASSOCIATION_REP: "association",
        Role.PERMIT_HOLDER: lambda user: Q(status=NoticeStatus.PUBLISHED),
        Role.BANK: lambda user: Q(status=NoticeStatus.PUBLISHED),
        Role.SNWD_UNIT: lambda user: Q(status=NoticeStatus.PUBLISHED),
    }


class SupplyDemandNotice(models.Model):
    """供求信息: an irrigation user's (association's, or a household's through its association)
    offer of or wish for irrigation water for a year, published on the portal after review by the
    district unit or the county bureau (§7.2.3: 通过村内公告栏、灌区管理单位、用水者协会等发布供求信息)."""

    number = models.CharField(_("编号"), max_length=30, unique=True, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=NoticeKind.choices)
    district = models.ForeignKey("registry.IrrigationDistrict", on_delete=models.PROTECT, related_name="+", verbose_name=_("灌区"))
    association = models.ForeignKey("registry.Association", on_delete=models.PROTECT, related_name="+", verbose_name=_("协会"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("用水户（公开时仅显示编码）"))
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"), editable=False)
    year = models.PositiveSmallIntegerField(_("水量年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    volume_m3 = models.PositiveBigIntegerField(_("水量（立方米）"), validators=[MinValueValidator(1)])
    price_yuan_per_m3 = models.DecimalField(_("意向单价（元/立方米）"), max_digits=8, decimal_places=4, null=True, blank=True,
                                            validators=[MinValueValidator(0)], help_text=_("空为面议"))
    description = models.TextField(_("说明"), blank=True, max_length=1000)
    contact_via = models.CharField(_("联系途径"), max_length=120, help_text=_("如“经打磨岗灌区管理局联系”；不得填写个人电话"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.ASSOCIATION_REP}
    scope_paths = _notice_scope()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("供求信息")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(volume_m3__gt=0), name="portal_supplydemandnotice_volume_positive",
                                   violation_error_message=_("水量应大于0")),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.get_kind_display()} {self.association}"

    def get_absolute_url(self):
        return reverse("portal:notice_manage_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code or ""

    def clean(self):
        errors = {}
        if self.association_id and self.district_id and self.association.district_id != self.district_id:
            errors["association"] = _("协会不属于该灌区")
        if self.household_id and self.household.association_id != self.association_id:
            errors["household"] = _("用水户不属于该协会")
        for name in ("description", "contact_via"):
            if contains_personal_data(getattr(self, name)):
                errors[name] = _("不得填写电话号码、身份证号等个人信息")
        if errors:
            raise ValidationError(errors)

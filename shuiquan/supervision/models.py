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

from .choices import (
    ComplaintChannel,
    ComplaintKind,
    ComplaintStatus,
    ComplaintTopic,
    EvaluationStatus,
    ExportStatus,
    InspectionConclusion,
    Rating,
)

__all__ = ["AssessmentFigures", "Complaint", "ComplaintEvent", "Enforcement", "SiteInspection", "TradeEvaluation", "NationalExport",
           "NationalExportItem", "NationalAcknowledgement"]


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


# ---------------------------------------------------------------------------------------------
# S6 enforcement: the assessment finding behind a trading restriction
# ---------------------------------------------------------------------------------------------


class Enforcement(models.Model):
    """The city bureau's S6 decision (§7.5.5): a region or party failed the groundwater-reduction
    target or the strict water-management assessment, so its trading is halted or its trade volume
    cut until it complies. The restriction itself is trading's ``TradingRestriction`` (which the
    rules engine reads); this record keeps the finding and the evidence, and the lifting."""

    number = models.CharField(_("决定编号"), max_length=40, unique=True, null=True, blank=True)
    restriction = models.OneToOneField("trading.TradingRestriction", on_delete=models.PROTECT, related_name="enforcement",
                                       verbose_name=_("交易限制"))
    assessment_year = models.PositiveSmallIntegerField(_("考核年度"), null=True, blank=True)
    finding = models.TextField(_("考核结论"))
    figures = models.JSONField(_("考核数据"), default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("决定时间"), auto_now_add=True)
    lift_evidence = models.TextField(_("整改达标情况"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["-id"]
        verbose_name = _("交易约束决定（S6）")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.number or '—'} {self.restriction}"

    def get_absolute_url(self):
        return reverse("supervision:enforcement_detail", args=[self.pk])

    def audit_region_code(self):
        r = self.restriction
        region = r.region or (r.water_user.region if r.water_user_id else r.association.region)
        return region.code or ""


# ---------------------------------------------------------------------------------------------
# S3 on-site verification and post-trade evaluation
# ---------------------------------------------------------------------------------------------


def _trade_scope(prefix: str = "trade__") -> dict:
    return {
        Role.COUNTY_OFFICER: lambda user: Q(**{f"{prefix}seller_region": user.region_id}) | Q(**{f"{prefix}buyer_region": user.region_id}),
        Role.PERMIT_HOLDER: lambda user: Q(**{f"{prefix}seller_water_user": user.water_user_id})
        | Q(**{f"{prefix}buyer_water_user": user.water_user_id}),
        Role.ASSOCIATION_REP: lambda user: Q(**{f"{prefix}seller_association": user.association_id})
        | Q(**{f"{prefix}buyer_association": user.association_id}),
        Role.DISTRICT_MANAGER: lambda user: Q(**{f"{prefix}seller_association__district": user.irrigation_district_id})
        | Q(**{f"{prefix}buyer_association__district": user.irrigation_district_id}),
        Role.SNWD_UNIT: lambda user: Q(**{f"{prefix}is_snwd": True}),
    }


class SiteInspection(models.Model):
    """S3: the on-site check of a trade's saving measures and metering before it proceeds (§7.5.3:
    对节水措施、计量设施的真实性和有效性进行现场检查), with photos and documents attached."""

    trade = models.ForeignKey("trading.Trade", on_delete=models.PROTECT, related_name="site_inspections", verbose_name=_("交易"))
    inspected_on = models.DateField(_("检查日期"))
    inspectors = models.CharField(_("检查人员"), max_length=200)
    location = models.CharField(_("检查地点"), max_length=200)
    saving_measures_ok = models.BooleanField(_("节水措施真实有效"), null=True)
    saving_measures_note = models.TextField(_("节水措施检查情况"), blank=True)
    metering_ok = models.BooleanField(_("计量设施安装并有效"), null=True)
    metering_note = models.TextField(_("计量设施检查情况"), blank=True)
    third_party_note = models.TextField(_("对公共利益和利害关系人的影响及补偿"), blank=True)
    conclusion = models.CharField(_("检查结论"), max_length=20, choices=InspectionConclusion.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER}
    scope_paths = _trade_scope()

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("现场核查（S3）")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.trade.number} {self.inspected_on}"

    def get_absolute_url(self):
        return reverse("supervision:inspection_detail", args=[self.pk])

    def audit_region_code(self):
        return self.trade.seller_region.code or ""


class TradeEvaluation(models.Model):
    """交易后评估 (§7.5.4): after a trade has been performed (registered or expired), the bureau
    evaluates the truth of the volume, the procedure, the price, the funds, the effect on third
    parties and on water use. ``facts`` freezes what the platform measured when it was written
    (metered use, funds reconciliation, price against the market median)."""

    trade = models.ForeignKey("trading.Trade", on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("交易"))
    evaluated_on = models.DateField(_("评估日期"))
    evaluators = models.CharField(_("评估人员/机构"), max_length=200)
    volume_truthful = models.BooleanField(_("交易水量真实"))
    procedure_compliant = models.BooleanField(_("交易程序规范"))
    price_reasonable = models.BooleanField(_("交易价格合理"))
    funds_safe = models.BooleanField(_("交易资金安全"))
    third_party_impact = models.TextField(_("对第三方和公共利益的影响"), blank=True)
    water_use_effect = models.TextField(_("用水效率与节水效果"), blank=True)
    rating = models.CharField(_("总体评价"), max_length=20, choices=Rating.choices)
    recommendations = models.TextField(_("意见和建议"), blank=True)
    facts = models.JSONField(_("平台数据"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    finalized_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER}
    scope_paths = _trade_scope()

    class Meta:
        ordering = ["-evaluated_on", "-id"]
        verbose_name = _("交易后评估")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.trade.number} {self.evaluated_on}"

    def get_absolute_url(self):
        return reverse("supervision:evaluation_detail", args=[self.pk])

    def audit_region_code(self):
        return self.trade.seller_region.code or ""


# ---------------------------------------------------------------------------------------------
# The national water-rights trading system interface
# ---------------------------------------------------------------------------------------------


class NationalExport(models.Model):
    """One export file for the national water-rights trading system (全国水权交易系统): trades,
    rights and certificates in the documented, versioned JSON format (``national.py``)."""

    batch_id = models.CharField(_("批次号"), max_length=40, unique=True)
    schema_version = models.CharField(_("格式版本"), max_length=20)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField(_("起始时间"), null=True, blank=True)
    counts = models.JSONField(_("记录数"), default=dict)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    payload = models.JSONField(_("导出内容"))

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN}
    scope_paths: dict = {}

    class Meta:
        ordering = ["-id"]
        verbose_name = _("国家系统数据报送")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.batch_id

    def get_absolute_url(self):
        return reverse("supervision:national_detail", args=[self.pk])


class NationalExportItem(models.Model):
    """One record of an export and what the national system said about it."""

    export = models.ForeignKey(NationalExport, on_delete=models.CASCADE, related_name="items")
    record_type = models.CharField(_("记录类型"), max_length=20)
    record_id = models.CharField(_("本地编号"), max_length=60)
    number = models.CharField(_("编号"), max_length=60, blank=True)
    payload_sha256 = models.CharField(_("记录摘要"), max_length=64)
    status = models.CharField(_("状态"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    national_id = models.CharField(_("国家系统编号"), max_length=80, blank=True)
    message = models.CharField(_("回执说明"), max_length=500, blank=True)
    acknowledged_at = models.DateTimeField(_("回执时间"), null=True, blank=True)

    class Meta:
        ordering = ["export", "record_type", "record_id"]
        verbose_name = _("报送记录")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["export", "record_type", "record_id"], name="supervision_exportitem_unique")]
        indexes = [models.Index(fields=["record_type", "record_id"], name="supervision_exportitem_rec_idx")]

    def __str__(self):
        return f"{self.export_id} {self.record_type}:{self.record_id}"


class NationalAcknowledgement(models.Model):
    """An acknowledgement file from the national system, imported once (its ``ack_id`` is unique)."""

    ack_id = models.CharField(_("回执编号"), max_length=80, unique=True)
    export = models.ForeignKey(NationalExport, on_delete=models.PROTECT, related_name="acknowledgements")
    received_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted = models.PositiveIntegerField(_("接收"), default=0)
    rejected = models.PositiveIntegerField(_("退回"), default=0)
    payload = models.JSONField(_("回执内容"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("国家系统回执")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.ack_id

"""Initial allocation and registration (初始水权分配与登记, §7.1, §7.6.1).

- Reference tables the engines read: water-use quotas (A3, the Henan standards' structure), crop
  irrigation quotas, districts' irrigation profiles and planting structures (A4), river allocation
  plans by hydrological frequency (A1/A2) and groundwater control indicators (A1).
- ``AllocationRun``: one computation of one engine with its inputs, formula, per-line results and
  totals, taken through the registration workflow (draft → computed → reviewed → approved →
  registered → issued; rejection goes back to draft) as declared django-fsm-2 transitions. Every
  transition leaves a ``RunTransition`` row (actor, time, reason) and an audit record.
- ``Certificate``: a numbered 水权证 / 用水权属凭证 for a registered right, with a public
  verification token (QR code on the PDF).

Volumes are integer m³; quotas and areas are Decimal. The rules (who may do what, A1–A5) are in
``services.py`` and ``policy.py``; engines (pure computation) are in ``engines.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from shuiquan.core.models import RegistryModel
from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager
from shuiquan.registry.choices import SourceType, WaterUse

from .choices import (
    CITY_ENGINES,
    CertificateKind,
    CertificateStatus,
    Crop,
    Engine,
    LineRole,
    PlanStatus,
    QuotaLevel,
    QuotaStandard,
    RunStatus,
    Step,
)

__all__ = [
    "WaterQuota", "CropQuota", "IrrigationProfile", "PlantingShare", "RiverPlan", "RiverPlanPoint",
    "RiverPlanShare", "GroundwaterIndicator", "AllocationRun", "AllocationLine", "RunTransition",
    "Certificate", "CertificateCounter",
]

CITY_WRITERS = {Role.CITY_ADMIN}
PERCENT = [MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99.99"))]


# ---------------------------------------------------------------------------------------------
# Reference tables
# ---------------------------------------------------------------------------------------------


class WaterQuota(RegistryModel):
    """One row of a water-use quota table (用水定额), structured as the Henan standards are:
    DB41/T 385 (industry and urban domestic) and DB41/T 958 (agriculture and rural domestic) list,
    per GB/T 4754 sector, a product or use, its unit and the quota in m³ per unit (A3)."""

    standard = models.CharField(_("标准"), max_length=20, choices=QuotaStandard.choices)
    edition = models.CharField(_("标准版本"), max_length=40, help_text=_("如 DB41/T 385-2020"))
    sector = models.ForeignKey("registry.Sector", on_delete=models.PROTECT, related_name="water_quotas", verbose_name=_("行业（GB/T 4754）"))
    product = models.CharField(_("产品或用水类别"), max_length=80)
    unit = models.CharField(_("计量单位"), max_length=20, help_text=_("规模的单位，如 吨、万元、人、亩"))
    quota_m3 = models.DecimalField(
        _("定额值（立方米/单位）"), max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    level = models.CharField(_("定额等级"), max_length=20, choices=QuotaLevel.choices, default=QuotaLevel.GENERAL)
    is_active = models.BooleanField(_("现行"), default=True)

    scope_public_read = True
    scope_write_roles = CITY_WRITERS

    class Meta:
        ordering = ["standard", "sector__code", "product", "level"]
        verbose_name = _("用水定额")
        verbose_name_plural = _("用水定额")
        constraints = [
            models.UniqueConstraint(fields=["edition", "sector", "product", "level"], name="allocation_waterquota_unique"),
            models.CheckConstraint(condition=Q(quota_m3__gt=0), name="allocation_waterquota_positive",
                                   violation_error_message=_("定额值应大于0")),
        ]

    def __str__(self):
        return f"{self.sector.code} {self.product}（{self.quota_m3} 立方米/{self.unit}，{self.get_level_display()}）"

    def get_absolute_url(self):
        return reverse("allocation:waterquota_detail", args=[self.pk])


class CropQuota(RegistryModel):
    """A crop's net irrigation quota (净灌溉定额, m³/亩) in a hydrological frequency year (A4)."""

    crop = models.CharField(_("作物"), max_length=20, choices=Crop.choices)
    zone = models.CharField(_("灌溉分区"), max_length=40, default="南阳盆地区")
    frequency = models.DecimalField(_("水文频率（%）"), max_digits=5, decimal_places=2, validators=PERCENT)
    net_quota_m3_per_mu = models.DecimalField(
        _("净灌溉定额（立方米/亩）"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    standard_ref = models.CharField(_("依据"), max_length=120, default="DB41/T 958")

    scope_public_read = True
    scope_write_roles = CITY_WRITERS

    class Meta:
        ordering = ["zone", "crop", "frequency"]
        verbose_name = _("作物灌溉定额")
        verbose_name_plural = _("作物灌溉定额")
        constraints = [models.UniqueConstraint(fields=["crop", "zone", "frequency"], name="allocation_cropquota_unique")]

    def __str__(self):
        return f"{self.get_crop_display()} P={self.frequency}% {self.net_quota_m3_per_mu} 立方米/亩"

    def get_absolute_url(self):
        return reverse("allocation:cropquota_detail", args=[self.pk])


class IrrigationProfile(RegistryModel):
    """What the A4 engine needs about an irrigation district beyond the registry: its irrigation
    zone, design frequency and irrigation-water effective-use coefficient (η)."""

    district = models.OneToOneField("registry.IrrigationDistrict", on_delete=models.PROTECT, related_name="irrigation_profile", verbose_name=_("灌区"))
    zone = models.CharField(_("灌溉分区"), max_length=40, default="南阳盆地区")
    design_frequency = models.DecimalField(_("设计保证率（%）"), max_digits=5, decimal_places=2, default=Decimal("75"), validators=PERCENT)
    coefficient = models.DecimalField(
        _("灌溉水有效利用系数 η"), max_digits=4, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.300")), MaxValueValidator(Decimal("1.000"))],
        help_text=_("毛灌溉定额 = 净灌溉定额 ÷ η"),
    )
    basis = models.CharField(_("依据"), max_length=200, blank=True)

    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER}
    scope_paths = {Role.COUNTY_OFFICER: "district__region"}

    class Meta:
        ordering = ["district__name"]
        verbose_name = _("灌区灌溉参数")
        verbose_name_plural = _("灌区灌溉参数")

    def __str__(self):
        return f"{self.district} η={self.coefficient}"

    def get_absolute_url(self):
        return reverse("allocation:irrigationprofile_detail", args=[self.pk])

    def audit_region_code(self):
        return self.district.region.code if self.district.region_id else ""


class PlantingShare(RegistryModel):
    """One crop's share of a district's planted area (种植结构); the shares of a district sum to 1."""

    district = models.ForeignKey("registry.IrrigationDistrict", on_delete=models.PROTECT, related_name="planting_shares", verbose_name=_("灌区"))
    crop = models.CharField(_("作物"), max_length=20, choices=Crop.choices)
    share = models.DecimalField(
        _("种植比例"), max_digits=5, decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))],
        help_text=_("占有效灌溉面积的比例，0–1；同一灌区各作物之和应为1（复种按主要灌溉季计）"),
    )

    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER}
    scope_paths = {Role.COUNTY_OFFICER: "district__region"}

    class Meta:
        ordering = ["district__name", "-share"]
        verbose_name = _("种植结构")
        verbose_name_plural = _("种植结构")
        constraints = [models.UniqueConstraint(fields=["district", "crop"], name="allocation_plantingshare_unique")]

    def __str__(self):
        return f"{self.district} {self.get_crop_display()} {self.share}"

    def get_absolute_url(self):
        return reverse("allocation:plantingshare_detail", args=[self.pk])

    def audit_region_code(self):
        return self.district.region.code if self.district.region_id else ""


class RiverPlan(RegistryModel):
    """A river's water allocation plan (河流水量分配方案): for each hydrological frequency year, the
    allocable volume, the ecological reserve kept first (A2) and each region's share of the rest."""

    river = models.ForeignKey("registry.River", on_delete=models.PROTECT, related_name="allocation_plans", verbose_name=_("河流"))
    name = models.CharField(_("方案名称"), max_length=120, unique=True)
    legal_basis = models.CharField(_("批复文件"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("批复时间"), null=True, blank=True)

    scope_public_read = True
    scope_write_roles = CITY_WRITERS

    class Meta:
        ordering = ["river__name", "name"]
        verbose_name = _("河流水量分配方案")
        verbose_name_plural = _("河流水量分配方案")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("allocation:riverplan_detail", args=[self.pk])


class RiverPlanPoint(models.Model):
    """A plan's figures for one hydrological frequency (e.g. P = 75%)."""

    plan = models.ForeignKey(RiverPlan, on_delete=models.CASCADE, related_name="points")
    frequency = models.DecimalField(_("水文频率（%）"), max_digits=5, decimal_places=2, validators=PERCENT)
    total_m3 = models.BigIntegerField(_("可分配水量（立方米）"))
    ecological_m3 = models.BigIntegerField(_("河道生态水量（立方米）"))

    class Meta:
        ordering = ["plan", "frequency"]
        verbose_name = _("方案频率年")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["plan", "frequency"], name="allocation_riverplanpoint_unique"),
            models.CheckConstraint(condition=Q(ecological_m3__gte=0) & Q(total_m3__gte=models.F("ecological_m3")),
                                   name="allocation_riverplanpoint_ecological_within_total",
                                   violation_error_message=_("生态水量不能为负，也不能超过可分配水量")),
        ]

    def __str__(self):
        return f"{self.plan} P={self.frequency}%"


class RiverPlanShare(models.Model):
    """A region's share of a river in one frequency year."""

    point = models.ForeignKey(RiverPlanPoint, on_delete=models.CASCADE, related_name="shares")
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"))
    volume_m3 = models.BigIntegerField(_("分配水量（立方米）"))

    class Meta:
        ordering = ["point", "region__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["point", "region"], name="allocation_riverplanshare_unique"),
            models.CheckConstraint(condition=Q(volume_m3__gte=0), name="allocation_riverplanshare_nonnegative"),
        ]

    def __str__(self):
        return f"{self.point} {self.region}: {self.volume_m3}"


class GroundwaterIndicator(RegistryModel):
    """A region's shallow-groundwater withdrawal control indicator (地下水管控指标) for a year. The
    seed gives the city's 2030 figure (7.93亿立方米, §1.2); the county split is demo data."""

    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="groundwater_indicators", verbose_name=_("行政区"))
    year = models.PositiveSmallIntegerField(_("指标年"))
    volume_m3 = models.PositiveBigIntegerField(_("地下水取水指标（立方米）"))
    basis = models.CharField(_("依据"), max_length=200, blank=True)

    scope_public_read = True
    scope_write_roles = CITY_WRITERS

    class Meta:
        ordering = ["year", "region__sort_order"]
        verbose_name = _("地下水管控指标")
        verbose_name_plural = _("地下水管控指标")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="allocation_groundwaterindicator_unique")]

    def __str__(self):
        return f"{self.region} {self.year}: {self.volume_m3}"

    def get_absolute_url(self):
        return reverse("allocation:groundwaterindicator_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code or ""


# ---------------------------------------------------------------------------------------------
# Allocation runs and the registration workflow
# ---------------------------------------------------------------------------------------------


def _may(step: str):
    """The FSM ``permission`` callable: the role the seed gives ``step`` (``policy.may``)."""

    def check(instance, user) -> bool:
        from .policy import may

        return may(instance, user, step)

    check.__name__ = f"may_{step}"
    return check


def _may_reject(instance, user) -> bool:
    from .policy import may_reject

    return may_reject(instance, user)


def _run_scope() -> dict:
    city = Q(engine__in=list(CITY_ENGINES))

    def association(user):
        return city | Q(pk__in=AllocationLine.objects.filter(association=user.association_id).values("run_id"))

    return {
        Role.COUNTY_OFFICER: lambda user: city | Q(region=user.region_id),
        Role.DISTRICT_MANAGER: lambda user: city | Q(irrigation_district=user.irrigation_district_id),
        Role.ASSOCIATION_REP: association,
        Role.PERMIT_HOLDER: lambda user: city | Q(permit__holder=user.water_user_id),
        Role.BANK: lambda user: city,
        Role.SNWD_UNIT: lambda user: city,
    }


class AllocationRun(FSMModelMixin, models.Model):
    """One computation of an allocation engine and its way through registration.

    ``parameters`` are what the preparer entered; ``inputs`` the figures the engine actually used
    (targets, quotas, areas…, frozen at computation); ``formula`` the calculation in words;
    ``result`` the totals and checks; the lines are the per-line results."""

    number = models.CharField(_("编号"), max_length=30, unique=True, null=True, blank=True)
    engine = models.CharField(_("分配类型"), max_length=20, choices=Engine.choices)
    title = models.CharField(_("名称"), max_length=200)
    status = FSMField(_("状态"), max_length=20, choices=RunStatus.choices, default=RunStatus.DRAFT, protected=True)
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="allocation_runs", verbose_name=_("行政区"))
    permit = models.ForeignKey("registry.WithdrawalPermit", null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_runs", verbose_name=_("取水许可证"))
    irrigation_district = models.ForeignKey("registry.IrrigationDistrict", null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_runs", verbose_name=_("灌区"))
    river_plan = models.ForeignKey(RiverPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="runs", verbose_name=_("河流水量分配方案"))
    first_year = models.PositiveSmallIntegerField(_("起始年度"))
    last_year = models.PositiveSmallIntegerField(_("终止年度"))
    parameters = models.JSONField(_("编制参数"), default=dict, blank=True)
    inputs = models.JSONField(_("计算输入"), default=dict, blank=True)
    formula = models.TextField(_("计算公式"), blank=True)
    formula_en = models.TextField(_("计算公式（英文）"), blank=True)
    result = models.JSONField(_("计算结果"), default=dict, blank=True)
    total_m3 = models.BigIntegerField(_("确权水量合计（立方米/年）"), null=True, blank=True)
    legal_basis = models.CharField(_("权属依据"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("编制人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER}
    scope_paths = _run_scope()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("分配与登记")
        verbose_name_plural = _("分配与登记")
        indexes = [models.Index(fields=["engine", "status"], name="allocation_run_engine_status")]
        constraints = [
            models.CheckConstraint(condition=Q(last_year__gte=models.F("first_year")), name="allocation_allocationrun_year_order",
                                   violation_error_message=_("终止年度不能早于起始年度")),
        ]

    def __str__(self):
        return f"{self.number or '—'} {self.title}"

    def get_absolute_url(self):
        return reverse("allocation:run_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code or ""

    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def is_city_engine(self) -> bool:
        return self.engine in CITY_ENGINES

    # --- declared transitions (side effects live in services; these only change the state) ---

    @transition(field=status, source=RunStatus.DRAFT, target=RunStatus.COMPUTED, permission=_may(Step.PREPARE),
                custom={"label": _("计算"), "step": Step.PREPARE})
    def compute(self):
        pass

    @transition(field=status, source=RunStatus.COMPUTED, target=RunStatus.REVIEWED, permission=_may(Step.REVIEW),
                custom={"label": _("审核提交"), "step": Step.REVIEW})
    def review(self):
        pass

    @transition(field=status, source=RunStatus.REVIEWED, target=RunStatus.APPROVED, permission=_may(Step.APPROVE),
                custom={"label": _("批准"), "step": Step.APPROVE})
    def approve(self):
        pass

    @transition(field=status, source=RunStatus.APPROVED, target=RunStatus.REGISTERED, permission=_may(Step.REGISTER),
                custom={"label": _("登记入账"), "step": Step.REGISTER})
    def register(self):
        pass

    @transition(field=status, source=RunStatus.REGISTERED, target=RunStatus.ISSUED, permission=_may(Step.ISSUE),
                custom={"label": _("发放凭证"), "step": Step.ISSUE})
    def issue(self):
        pass

    @transition(field=status, source=[RunStatus.COMPUTED, RunStatus.REVIEWED, RunStatus.APPROVED], target=RunStatus.DRAFT,
                permission=_may_reject,
                custom={"label": _("退回"), "step": "reject", "needs_reason": True})
    def reject(self):
        pass

    @transition(field=status, source=[RunStatus.REGISTERED, RunStatus.ISSUED], target=RunStatus.REVOKED, permission=_may(Step.REVOKE),
                custom={"label": _("撤销（冲正）"), "step": Step.REVOKE, "needs_reason": True})
    def revoke(self):
        pass


class AllocationLine(models.Model):
    """One line of a run's result: a right to open and post (role ``right``/``ecological``), or a
    line shown with the calculation (sector split, obligations, per-product details)."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField(_("序号"))
    role = models.CharField(_("类别"), max_length=20, choices=LineRole.choices)
    label = models.CharField(_("名称"), max_length=200)
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"))
    water_user = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("取用水户"))
    irrigation_district = models.ForeignKey("registry.IrrigationDistrict", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("灌区"))
    association = models.ForeignKey("registry.Association", null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_lines", verbose_name=_("协会"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_lines", verbose_name=_("用水户"))
    river = models.ForeignKey("registry.River", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("河流"))
    use = models.CharField(_("用途"), max_length=20, choices=WaterUse.choices, default=WaterUse.MIXED)
    source_type = models.CharField(_("水源类型"), max_length=20, choices=SourceType.choices, default=SourceType.MIXED)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    volume_m3 = models.BigIntegerField(_("水量（立方米）"))
    exact = models.CharField(_("未取整值"), max_length=40, blank=True)
    detail = models.JSONField(_("计算明细"), default=dict, blank=True)
    parent_line = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    right = models.ForeignKey("ledger.WaterRight", null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_lines", verbose_name=_("用水权"))

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="allocation_allocationline_unique")]

    def __str__(self):
        return f"{self.run_id}#{self.seq} {self.label} {self.volume_m3}"

    @property
    def posts(self) -> bool:
        return self.role in (LineRole.RIGHT, LineRole.ECOLOGICAL) and self.volume_m3 > 0


class RunTransition(models.Model):
    """The approval history: one row per transition of a run (who, when, from, to, why)."""

    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="transitions")
    name = models.CharField(_("操作"), max_length=20)
    source = models.CharField(_("原状态"), max_length=20, choices=RunStatus.choices)
    target = models.CharField(_("新状态"), max_length=20, choices=RunStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(_("经办人"), max_length=150)
    acting_for = models.CharField(_("代表机关"), max_length=100, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    reason = models.TextField(_("意见/理由"), blank=True)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("审批记录")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.run_id} {self.name} {self.source}→{self.target}"


# ---------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------


def _cert_scope() -> dict:
    return {
        Role.COUNTY_OFFICER: "region",
        Role.PERMIT_HOLDER: "right__water_user",
        Role.DISTRICT_MANAGER: lambda user: (
            Q(right__irrigation_district=user.irrigation_district_id)
            | Q(right__association__district=user.irrigation_district_id)
            | Q(right__household__association__district=user.irrigation_district_id)
        ),
        Role.ASSOCIATION_REP: lambda user: Q(right__association=user.association_id) | Q(right__household__association=user.association_id),
    }


class Certificate(models.Model):
    """A numbered certificate (水权证 / 用水权属凭证) for a registered right.

    ``holder_public`` is what the public verification page may show: the holder's name for
    regions, enterprises, districts and associations, and only the de-identified household code
    for households (their names and ID numbers are personal data)."""

    number = models.CharField(_("凭证编号"), max_length=60, unique=True)
    machine_number = models.CharField(_("机读编号"), max_length=24, unique=True)
    series = models.CharField(_("编号序列"), max_length=2)
    year = models.PositiveSmallIntegerField(_("发证年份"))
    serial = models.PositiveIntegerField(_("流水号"))
    kind = models.CharField(_("凭证类型"), max_length=20, choices=CertificateKind.choices)
    right = models.ForeignKey("ledger.WaterRight", on_delete=models.PROTECT, related_name="certificates", verbose_name=_("用水权"))
    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("分配与登记"))
    line = models.OneToOneField(AllocationLine, null=True, blank=True, on_delete=models.PROTECT, related_name="certificate")
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"))
    holder_public = models.CharField(_("权利人（公开）"), max_length=200)
    volume_m3 = models.BigIntegerField(_("年度水量（立方米）"))
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    issuer = models.CharField(_("发证单位"), max_length=120)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("发证时间"))
    status = models.CharField(_("状态"), max_length=20, choices=CertificateStatus.choices, default=CertificateStatus.VALID)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("注销原因"), max_length=300, blank=True)
    token = models.CharField(_("核验码"), max_length=40, unique=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER}
    scope_paths = _cert_scope()

    class Meta:
        ordering = ["-year", "series", "-serial"]
        verbose_name = _("水权凭证")
        verbose_name_plural = _("水权凭证")
        constraints = [models.UniqueConstraint(fields=["series", "year", "serial"], name="allocation_certificate_serial_unique")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("allocation:certificate_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code if self.region_id and self.region.code else ""

    @property
    def check_code(self) -> str:
        """The short code printed under the QR code: with the number it finds the certificate."""
        return self.token[:8].upper()

    def clean(self):
        if self.valid_to < self.valid_from:
            raise ValidationError(_("有效期止不能早于有效期起"))


class CertificateCounter(models.Model):
    """The last serial used per series and year (locked when the next number is taken)."""

    series = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="allocation_certificatecounter_unique")]

    def __str__(self):
        return f"{self.series}{self.year}: {self.last}"

"""The registry of record (台账): regions, water bodies, sources, water users, permits, intakes,
meters, irrigation districts, associations, households, and the seed's planning figures.

Volumes are integer cubic metres (``*_m3``); areas are Decimal mu (亩) or km²; money is not kept
here. Every figure loaded from the seed keeps the section it came from; generated demo records
carry ``is_demo=True`` and are shown as 演示数据.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuiquan.core.models import RegistryModel
from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager

from .choices import (
    ACTIVE_PERMIT_STATUSES,
    SOURCE_TYPE_OF_KIND,
    AssociationKind,
    AuthorityLevel,
    DeviceStatus,
    DistrictKind,
    DistrictScale,
    IntakeKind,
    MeterProtocol,
    PermitStatus,
    QuotaKind,
    RegionKind,
    SourceKind,
    SourceType,
    StatisticKind,
    WaterUse,
    WaterUserKind,
    WithdrawalMethod,
)
from .validators import validate_credit_code, validate_gb2260, validate_permit_number

__all__ = [
    "Region", "RegionWaterResources", "WaterUseStatistic", "Indicator", "DualControlTarget",
    "NonConventionalMinimum", "SnwdQuota", "Basin", "River", "Reservoir", "WaterResourceZone",
    "WaterSource", "Sector", "Authority", "WaterUser", "WithdrawalPermit", "AnnualWithdrawalPlan",
    "IntakePoint", "MeteringDevice", "IrrigationDistrict", "Association", "VillagerGroup", "Household",
]

REFERENCE_WRITERS = {Role.CITY_ADMIN}
COUNTY_WRITERS = {Role.CITY_ADMIN, Role.COUNTY_OFFICER}


def m3_field(verbose_name, **kwargs):
    """An integer volume in cubic metres."""
    kwargs.setdefault("validators", [MinValueValidator(0)])
    return models.PositiveBigIntegerField(verbose_name, **kwargs)


# ---------------------------------------------------------------------------------------------
# Regions and the seed's figures about them
# ---------------------------------------------------------------------------------------------


class Region(RegistryModel):
    """An administrative region (GB/T 2260), a functional zone, an SNWD receiving area, or a
    region outside the city registered as a trade counterparty (e.g. 郑州市)."""

    code = models.CharField(_("行政区划代码"), max_length=6, null=True, blank=True, unique=True, validators=[validate_gb2260])
    name = models.CharField(_("名称"), max_length=50, unique=True)
    name_en = models.CharField(_("英文名"), max_length=80, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=RegionKind.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    members = models.ManyToManyField(
        "self", verbose_name=_("组成行政区"), symmetrical=False, blank=True, related_name="receiving_areas",
        help_text=_("受水区由哪些行政区、功能区组成（如中心城区）"),
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    scope_public_read = True
    scope_write_roles = REFERENCE_WRITERS

    class Meta:
        ordering = ["sort_order", "code", "name"]
        verbose_name = _("行政区")
        verbose_name_plural = _("行政区")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:region_detail", args=[self.pk])

    def audit_region_code(self):
        return self.code or ""

    @property
    def in_city(self) -> bool:
        return self.kind not in (RegionKind.OUTSIDE, RegionKind.PROVINCE)

    @property
    def is_county_level(self) -> bool:
        return self.kind in (RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.COUNTY_CITY)


class RegionWaterResources(models.Model):
    """Table 1-1: mean annual precipitation, runoff depth and water resources (1956–2016 series)."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="water_resources")
    mean_precip_mm = models.DecimalField(_("多年平均降雨量（mm）"), max_digits=7, decimal_places=1)
    mean_runoff_depth_mm = models.DecimalField(_("多年平均径流深（mm）"), max_digits=7, decimal_places=1)
    water_resources_m3 = m3_field(_("多年平均水资源量（立方米）"))
    is_printed_total = models.BooleanField(_("原表合计"), default=False)
    source_section = models.CharField(_("出处"), max_length=40, default="表1-1")

    class Meta:
        ordering = ["region__sort_order"]
        verbose_name = _("水资源量（表1-1）")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.region} {self.water_resources_m3}"


class WaterUseStatistic(models.Model):
    """Reported annual water use (Table 1-2 and later statistics), total or by use."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="use_statistics")
    year = models.PositiveSmallIntegerField(_("年份"))
    use = models.CharField(_("用途"), max_length=20, choices=WaterUse.choices, blank=True, help_text=_("空为总用水量"))
    volume_m3 = m3_field(_("用水量（立方米）"))
    kind = models.CharField(_("类型"), max_length=20, choices=StatisticKind.choices, default=StatisticKind.ROW)
    source_section = models.CharField(_("出处"), max_length=40, default="表1-2")

    class Meta:
        ordering = ["year", "region__sort_order"]
        verbose_name = _("用水量统计")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "use", "kind"], name="registry_waterusestatistic_unique"),
        ]

    def __str__(self):
        return f"{self.region} {self.year} {self.volume_m3}"


class Indicator(models.Model):
    """A figure the seed states for the city (supply, use by sector, forecasts, counts…)."""

    key = models.CharField(_("指标"), max_length=80)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="indicators")
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=6)
    unit = models.CharField(_("单位"), max_length=30)
    source_section = models.CharField(_("出处"), max_length=40)

    class Meta:
        ordering = ["key", "year"]
        verbose_name = _("指标")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["key", "region", "year"], name="registry_indicator_unique")]

    def __str__(self):
        return f"{self.key} {self.year or ''} = {self.value} {self.unit}"


class DualControlTarget(models.Model):
    """Table 2-1: the total-use control target of a region for a year, with the city's sector split."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="dual_control_targets")
    year = models.PositiveSmallIntegerField(_("目标年"))
    total_m3 = m3_field(_("用水总量控制目标（立方米）"))
    domestic_m3 = m3_field(_("生活"), null=True, blank=True)
    industrial_m3 = m3_field(_("工业"), null=True, blank=True)
    agricultural_m3 = m3_field(_("农业"), null=True, blank=True)
    ecological_m3 = m3_field(_("生态环境"), null=True, blank=True)
    per_10k_gdp_m3 = models.DecimalField(_("万元GDP用水量（立方米）"), max_digits=8, decimal_places=2, null=True, blank=True)
    per_10k_industrial_va_m3 = models.DecimalField(_("万元工业增加值用水量（立方米）"), max_digits=8, decimal_places=2, null=True, blank=True)
    irrigation_coefficient = models.DecimalField(_("农田灌溉水有效利用系数"), max_digits=5, decimal_places=3, null=True, blank=True)
    source_section = models.CharField(_("出处"), max_length=40, default="表2-1")

    class Meta:
        ordering = ["year", "region__sort_order"]
        verbose_name = _("双控目标（表2-1）")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="registry_dualcontroltarget_unique"),
        ]

    def __str__(self):
        return f"{self.region} {self.year}: {self.total_m3}"

    def clean(self):
        parts = [self.domestic_m3, self.industrial_m3, self.agricultural_m3, self.ecological_m3]
        if all(p is not None for p in parts) and sum(parts) != self.total_m3:
            raise ValidationError(_("分行业目标之和应等于总量目标"))


class NonConventionalMinimum(models.Model):
    """Table 2-1: the minimum non-conventional water use of a region in a year (an obligation)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="nonconventional_minimums")
    year = models.PositiveSmallIntegerField(_("年份"))
    volume_m3 = m3_field(_("非常规水最低利用量（立方米）"))
    source_section = models.CharField(_("出处"), max_length=40, default="表2-1")

    class Meta:
        ordering = ["year", "region__sort_order"]
        verbose_name = _("非常规水最低利用量")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="registry_nonconventionalminimum_unique")]

    def __str__(self):
        return f"{self.region} {self.year}: {self.volume_m3}"


class SnwdQuota(models.Model):
    """Table 2-2 and §2.3: the SNWD middle-route quota of a receiving area (or the Yindan district)."""

    receiving_area = models.ForeignKey(Region, verbose_name=_("受水区"), on_delete=models.PROTECT, null=True, blank=True, related_name="snwd_quotas")
    irrigation_district = models.ForeignKey(
        "IrrigationDistrict", verbose_name=_("灌区"), on_delete=models.PROTECT, null=True, blank=True, related_name="snwd_quotas"
    )
    kind = models.CharField(_("类别"), max_length=20, choices=QuotaKind.choices, default=QuotaKind.URBAN)
    volume_m3 = m3_field(_("水量指标（立方米）"))
    printed_name = models.CharField(_("原表名称"), max_length=40, blank=True, help_text=_("原表写作“官庄县”，即官庄工区"))
    source_section = models.CharField(_("出处"), max_length=40, default="表2-2")

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("南水北调水量指标（表2-2）")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(receiving_area__isnull=False) | Q(irrigation_district__isnull=False),
                name="registry_snwdquota_has_holder",
                violation_error_message=_("须指定受水区或灌区"),
            )
        ]

    def __str__(self):
        return f"{self.receiving_area or self.irrigation_district}: {self.volume_m3}"


# ---------------------------------------------------------------------------------------------
# Water bodies and sources
# ---------------------------------------------------------------------------------------------


class Basin(RegistryModel):
    name = models.CharField(_("流域"), max_length=60, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级流域"))
    area_km2 = models.DecimalField(_("面积（km²）"), max_digits=10, decimal_places=1, null=True, blank=True)
    facts = models.TextField(_("概况"), blank=True)

    scope_public_read = True
    scope_write_roles = REFERENCE_WRITERS

    class Meta:
        ordering = ["name"]
        verbose_name = _("流域")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:basin_detail", args=[self.pk])


class River(RegistryModel):
    name = models.CharField(_("河流"), max_length=60, unique=True)
    basin = models.ForeignKey(Basin, null=True, blank=True, on_delete=models.PROTECT, related_name="rivers", verbose_name=_("流域"))
    length_km = models.DecimalField(_("干流长度（km）"), max_digits=8, decimal_places=1, null=True, blank=True)
    area_km2 = models.DecimalField(_("集水面积（km²）"), max_digits=10, decimal_places=1, null=True, blank=True)
    regions = models.ManyToManyField(Region, blank=True, related_name="rivers", verbose_name=_("流经行政区"))
    facts = models.TextField(_("概况"), blank=True)

    scope_public_read = True
    scope_write_roles = REFERENCE_WRITERS

    class Meta:
        ordering = ["name"]
        verbose_name = _("河流")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:river_detail", args=[self.pk])


class Reservoir(RegistryModel):
    name = models.CharField(_("水库"), max_length=60, unique=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="reservoirs", verbose_name=_("所在行政区"))
    river = models.ForeignKey(River, null=True, blank=True, on_delete=models.PROTECT, related_name="reservoirs", verbose_name=_("所在河流"))
    catchment_km2 = models.DecimalField(_("控制流域面积（km²）"), max_digits=10, decimal_places=1, null=True, blank=True)
    total_capacity_m3 = m3_field(_("总库容（立方米）"), null=True, blank=True)
    beneficial_capacity_m3 = m3_field(_("兴利库容（立方米）"), null=True, blank=True)
    dead_capacity_m3 = m3_field(_("死库容（立方米）"), null=True, blank=True)
    purposes = models.CharField(_("功能"), max_length=200, blank=True)
    facts = models.TextField(_("概况"), blank=True)

    scope_public_read = True
    scope_write_roles = REFERENCE_WRITERS

    class Meta:
        ordering = ["name"]
        verbose_name = _("水库")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:reservoir_detail", args=[self.pk])

    def clean(self):
        if self.total_capacity_m3 and self.beneficial_capacity_m3 and self.beneficial_capacity_m3 > self.total_capacity_m3:
            raise ValidationError({"beneficial_capacity_m3": _("兴利库容不能大于总库容")})


class WaterResourceZone(RegistryModel):
    """A water-resources zone (the seed's five third-level zones)."""

    name = models.CharField(_("水资源分区"), max_length=60, unique=True)
    level = models.CharField(_("级别"), max_length=40)

    scope_public_read = True
    scope_write_roles = REFERENCE_WRITERS

    class Meta:
        ordering = ["pk"]
        verbose_name = _("水资源分区")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name


class WaterSource(RegistryModel):
    """A water source that rights and permits draw on."""

    name = models.CharField(_("水源"), max_length=80, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=SourceKind.choices)
    river = models.ForeignKey(River, null=True, blank=True, on_delete=models.PROTECT, related_name="sources", verbose_name=_("河流"))
    reservoir = models.ForeignKey(Reservoir, null=True, blank=True, on_delete=models.PROTECT, related_name="sources", verbose_name=_("水库"))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="sources", verbose_name=_("所在行政区"))
    zone = models.ForeignKey(WaterResourceZone, null=True, blank=True, on_delete=models.PROTECT, related_name="sources", verbose_name=_("水资源分区"))
    is_overdraft_area = models.BooleanField(_("地下水超采区"), default=False)
    is_overloaded = models.BooleanField(_("地表水超载地区"), default=False)

    scope_public_read = True
    scope_write_roles = COUNTY_WRITERS
    scope_paths = {Role.COUNTY_OFFICER: "region"}

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("水源")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:watersource_detail", args=[self.pk])

    @property
    def source_type(self) -> str:
        return SOURCE_TYPE_OF_KIND[SourceKind(self.kind)]

    def clean(self):
        if self.kind == SourceKind.RIVER and not self.river_id:
            raise ValidationError({"river": _("河流水源须指定河流")})
        if self.kind == SourceKind.RESERVOIR and not self.reservoir_id:
            raise ValidationError({"reservoir": _("水库水源须指定水库")})
        if self.is_overdraft_area and self.kind != SourceKind.GROUNDWATER:
            raise ValidationError({"is_overdraft_area": _("只有地下水水源可标记为超采区")})
        if self.is_overloaded and self.kind not in (SourceKind.RIVER, SourceKind.RESERVOIR):
            raise ValidationError({"is_overloaded": _("只有地表水水源可标记为超载地区")})


# ---------------------------------------------------------------------------------------------
# Water users and permits
# ---------------------------------------------------------------------------------------------


class Sector(models.Model):
    """A GB/T 4754-2017 industry category (门类 letter or 大类 two digits)."""

    code = models.CharField(_("代码"), max_length=5, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    default_use = models.CharField(_("主要用途"), max_length=20, choices=WaterUse.choices, default=WaterUse.INDUSTRIAL)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行业（GB/T 4754）")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.code} {self.name}"


class Authority(RegistryModel):
    """A water administration that approves or supervises permits (e.g. 内乡县水利局)."""

    name = models.CharField(_("机关"), max_length=80, unique=True)
    level = models.CharField(_("级别"), max_length=20, choices=AuthorityLevel.choices)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="authorities", verbose_name=_("行政区"))

    scope_public_read = True
    scope_write_roles = REFERENCE_WRITERS

    class Meta:
        ordering = ["level", "region__sort_order", "name"]
        verbose_name = _("水行政主管部门")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    @property
    def admin_code(self) -> str:
        return (self.region.code if self.region and self.region.code else "411300")


class WaterUser(RegistryModel):
    """A water user (取用水户): an enterprise, unit or person that holds or seeks a withdrawal permit."""

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=WaterUserKind.choices, default=WaterUserKind.ENTERPRISE)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True, validators=[validate_credit_code]
    )
    sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.PROTECT, related_name="water_users", verbose_name=_("行业"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="water_users", verbose_name=_("所在行政区"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_public_supply = models.BooleanField(
        _("公共供水"), default=False, help_text=_("城镇公共供水或乡村集中供水（不得转让取水权，T4）")
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)

    scope_write_roles = COUNTY_WRITERS
    scope_paths = {Role.COUNTY_OFFICER: "region", Role.PERMIT_HOLDER: "id"}

    class Meta:
        ordering = ["region__sort_order", "name"]
        verbose_name = _("取用水户")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:wateruser_detail", args=[self.pk])

    def clean(self):
        if self.credit_code:
            self.credit_code = self.credit_code.strip().upper()
        if not self.credit_code and self.kind != WaterUserKind.INDIVIDUAL:
            raise ValidationError({"credit_code": _("单位须填写统一社会信用代码")})
        if self.kind == WaterUserKind.PUBLIC_SUPPLY:
            self.is_public_supply = True


class WithdrawalPermit(RegistryModel):
    """A withdrawal permit (取水许可证): the legal basis of a permit holder's water right."""

    number = models.CharField(_("许可证编号"), max_length=20, unique=True, validators=[validate_permit_number])
    holder = models.ForeignKey(WaterUser, on_delete=models.PROTECT, related_name="permits", verbose_name=_("取水权人"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="permits", verbose_name=_("取水地行政区"))
    approving_authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="approved_permits", verbose_name=_("审批机关"))
    supervising_authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="supervised_permits", verbose_name=_("监管机关"))
    source = models.ForeignKey(WaterSource, on_delete=models.PROTECT, related_name="permits", verbose_name=_("水源"))
    source_type = models.CharField(_("水源类型"), max_length=20, choices=SourceType.choices, editable=False)
    withdrawal_method = models.CharField(_("取水方式"), max_length=20, choices=WithdrawalMethod.choices)
    use = models.CharField(_("取水用途"), max_length=20, choices=WaterUse.choices)
    sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.PROTECT, related_name="permits", verbose_name=_("行业"))
    annual_volume_m3 = m3_field(_("年许可水量（立方米）"), validators=[MinValueValidator(1)])
    max_daily_volume_m3 = m3_field(_("最大日取水量（立方米）"), null=True, blank=True)
    return_water_location = models.CharField(_("退水地点"), max_length=200, blank=True)
    return_water_volume_m3 = m3_field(_("年退水量（立方米）"), null=True, blank=True)
    issued_on = models.DateField(_("发证日期"))
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    status = models.CharField(_("状态"), max_length=20, choices=PermitStatus.choices, default=PermitStatus.NEW)
    irrigation_district = models.ForeignKey(
        "IrrigationDistrict", null=True, blank=True, on_delete=models.PROTECT, related_name="permits", verbose_name=_("灌区")
    )

    scope_write_roles = COUNTY_WRITERS
    scope_paths = {
        Role.COUNTY_OFFICER: "region",
        Role.PERMIT_HOLDER: "holder",
        Role.DISTRICT_MANAGER: "irrigation_district",
    }

    #: Validity of a new permit (seed §7.1.2: 一般为5年) and the renewal notice period.
    DEFAULT_VALIDITY_YEARS = 5
    RENEWAL_NOTICE_DAYS = 45

    class Meta:
        ordering = ["-issued_on", "number"]
        verbose_name = _("取水许可证")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gt=models.F("valid_from")),
                name="registry_withdrawalpermit_validity_order",
                violation_error_message=_("有效期止应晚于有效期起"),
            ),
            models.CheckConstraint(
                condition=Q(annual_volume_m3__gt=0),
                name="registry_withdrawalpermit_volume_positive",
                violation_error_message=_("年许可水量应大于0"),
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("registry:withdrawalpermit_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code if self.region_id and self.region.code else ""

    @property
    def renewal_due(self) -> dt.date:
        """The last day to apply for renewal (``registry.renewal_notice_days`` before expiry, default 45)."""
        from .params import RENEWAL_NOTICE_DAYS

        return self.valid_to - dt.timedelta(days=RENEWAL_NOTICE_DAYS.value)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_PERMIT_STATUSES

    def is_valid_on(self, day: dt.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.is_active and self.valid_from <= day <= self.valid_to

    def valid_years(self) -> list[int]:
        return list(range(self.valid_from.year, self.valid_to.year + 1))

    def clean(self):
        if self.source_id:
            self.source_type = self.source.source_type
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": _("有效期止应晚于有效期起")})
        if self.annual_volume_m3 and self.max_daily_volume_m3:
            if self.max_daily_volume_m3 * 366 < self.annual_volume_m3:
                raise ValidationError({"max_daily_volume_m3": _("最大日取水量×366 小于年许可水量，无法取足许可水量")})
            if self.max_daily_volume_m3 > self.annual_volume_m3:
                raise ValidationError({"max_daily_volume_m3": _("最大日取水量不能大于年许可水量")})
        if self.return_water_volume_m3 and self.annual_volume_m3 and self.return_water_volume_m3 > self.annual_volume_m3:
            raise ValidationError({"return_water_volume_m3": _("退水量不能大于许可水量")})


class AnnualWithdrawalPlan(models.Model):
    """A permit's approved withdrawal plan for one year (年度取水计划)."""

    permit = models.ForeignKey(WithdrawalPermit, on_delete=models.CASCADE, related_name="annual_plans")
    year = models.PositiveSmallIntegerField(_("年度"))
    volume_m3 = m3_field(_("计划取水量（立方米）"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    scope_write_roles = COUNTY_WRITERS
    scope_paths = {
        Role.COUNTY_OFFICER: "permit__region",
        Role.PERMIT_HOLDER: "permit__holder",
        Role.DISTRICT_MANAGER: "permit__irrigation_district",
    }

    objects = ScopedManager()

    class Meta:
        ordering = ["permit", "year"]
        verbose_name = _("年度取水计划")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["permit", "year"], name="registry_annualwithdrawalplan_unique")]

    def __str__(self):
        return f"{self.permit} {self.year}"

    def get_absolute_url(self):
        return reverse("registry:annualwithdrawalplan_detail", args=[self.pk])

    def audit_region_code(self):
        return self.permit.region.code or "" if self.permit_id else ""

    def clean(self):
        if not self.permit_id or self.year is None:
            return
        permit = self.permit
        if not (permit.valid_from.year <= self.year <= permit.valid_to.year):
            raise ValidationError({"year": _("年度不在许可证有效期内")})
        if self.volume_m3 is not None and self.volume_m3 > permit.annual_volume_m3:
            raise ValidationError({"volume_m3": _("年度计划取水量不能大于年许可水量")})


class IntakePoint(RegistryModel):
    """An intake (取水口): a river or reservoir intake, a well, or a pipe/canal outlet."""

    code = models.CharField(_("取水口编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=IntakeKind.choices, default=IntakeKind.SURFACE_INTAKE)
    water_user = models.ForeignKey(WaterUser, null=True, blank=True, on_delete=models.PROTECT, related_name="intake_points", verbose_name=_("取用水户"))
    permit = models.ForeignKey(WithdrawalPermit, null=True, blank=True, on_delete=models.PROTECT, related_name="intake_points", verbose_name=_("取水许可证"))
    association = models.ForeignKey("Association", null=True, blank=True, on_delete=models.PROTECT, related_name="intake_points", verbose_name=_("用水者协会"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="intake_points", verbose_name=_("所在行政区"))
    source = models.ForeignKey(WaterSource, null=True, blank=True, on_delete=models.PROTECT, related_name="intake_points", verbose_name=_("水源"))
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, validators=[MinValueValidator(Decimal("73")), MaxValueValidator(Decimal("136"))])
    latitude = models.DecimalField(_("纬度"), max_digits=8, decimal_places=6, validators=[MinValueValidator(Decimal("3")), MaxValueValidator(Decimal("54"))])

    scope_write_roles = COUNTY_WRITERS
    scope_paths = {
        Role.COUNTY_OFFICER: "region",
        Role.PERMIT_HOLDER: "water_user",
        Role.DISTRICT_MANAGER: "association__district",
        Role.ASSOCIATION_REP: "association",
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("取水口")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("registry:intakepoint_detail", args=[self.pk])

    def clean(self):
        if self.permit_id and self.water_user_id and self.permit.holder_id != self.water_user_id:
            raise ValidationError({"permit": _("取水口所属取用水户与许可证持证人不一致")})
        if self.permit_id and not self.water_user_id:
            self.water_user_id = self.permit.holder_id
        if self.permit_id and self.region_id and self.permit.region_id != self.region_id:
            raise ValidationError({"region": _("取水口所在行政区应与许可证的取水地行政区一致")})


class MeteringDevice(RegistryModel):
    """A metering device (计量设施) at an intake: flow meter, RTU, irrigation meter."""

    serial = models.CharField(_("设备编号"), max_length=40, unique=True)
    model = models.CharField(_("型号"), max_length=60)
    manufacturer = models.CharField(_("生产厂家"), max_length=80, blank=True)
    protocol = models.CharField(_("通信协议"), max_length=20, choices=MeterProtocol.choices)
    station_address = models.CharField(
        _("遥测站地址"), max_length=20, null=True, blank=True, unique=True,
        help_text=_("SL 651 遥测站地址（10位十六进制）或 SZY206 终端地址"),
    )
    intake_point = models.ForeignKey(IntakePoint, on_delete=models.PROTECT, related_name="devices", verbose_name=_("取水口"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="devices", verbose_name=_("所在行政区"), editable=False)
    is_online = models.BooleanField(_("在线监测"), default=True)
    meets_standard = models.BooleanField(_("符合国家技术标准"), default=True)
    is_irrigation = models.BooleanField(_("灌溉计量设施"), default=False)
    installed_on = models.DateField(_("安装日期"))
    calibrated_on = models.DateField(_("检定日期"), null=True, blank=True)
    calibration_due = models.DateField(_("下次检定日期"), null=True, blank=True)
    register_max_m3 = m3_field(_("累计量程上限（立方米）"), default=99_999_999, help_text=_("累计水量到此值后归零（翻转）"))
    status = models.CharField(_("状态"), max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE)

    scope_write_roles = COUNTY_WRITERS
    scope_paths = {
        Role.COUNTY_OFFICER: "region",
        Role.PERMIT_HOLDER: "intake_point__water_user",
        Role.DISTRICT_MANAGER: "intake_point__association__district",
        Role.ASSOCIATION_REP: "intake_point__association",
    }

    class Meta:
        ordering = ["serial"]
        verbose_name = _("计量设施")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.serial} {self.model}"

    def get_absolute_url(self):
        return reverse("registry:meteringdevice_detail", args=[self.pk])

    def clean(self):
        if self.intake_point_id:
            self.region_id = self.intake_point.region_id
        if self.calibrated_on and self.installed_on and self.calibrated_on < self.installed_on - dt.timedelta(days=365):
            raise ValidationError({"calibrated_on": _("检定日期早于安装日期一年以上")})
        if self.calibration_due and self.calibrated_on and self.calibration_due <= self.calibrated_on:
            raise ValidationError({"calibration_due": _("下次检定日期应晚于检定日期")})

    def save(self, *args, **kwargs):
        if self.intake_point_id and not self.region_id:
            self.region_id = self.intake_point.region_id
        super().save(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Irrigation districts, associations and households
# ---------------------------------------------------------------------------------------------


class IrrigationDistrict(RegistryModel):
    """An irrigation district (灌区) with the seed's facts (打磨岗, 虎山, 鸭河口, 引丹)."""

    name = models.CharField(_("灌区"), max_length=60, unique=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="irrigation_districts", verbose_name=_("所在行政区"))
    kind = models.CharField(_("类型"), max_length=20, choices=DistrictKind.choices)
    scale = models.CharField(_("规模"), max_length=20, choices=DistrictScale.choices, blank=True)
    water_source = models.CharField(_("水源"), max_length=120, blank=True)
    reservoir = models.ForeignKey(Reservoir, null=True, blank=True, on_delete=models.PROTECT, related_name="irrigation_districts", verbose_name=_("水源水库"))
    design_area_mu = models.DecimalField(_("设计灌溉面积（亩）"), max_digits=12, decimal_places=2, null=True, blank=True)
    effective_area_mu = models.DecimalField(_("有效（现状）灌溉面积（亩）"), max_digits=12, decimal_places=2, null=True, blank=True)
    farmland_mu = models.DecimalField(_("耕地面积（亩）"), max_digits=12, decimal_places=2, null=True, blank=True)
    gravity_area_mu = models.DecimalField(_("自流灌溉面积（亩）"), max_digits=12, decimal_places=2, null=True, blank=True)
    lift_area_mu = models.DecimalField(_("提灌面积（亩）"), max_digits=12, decimal_places=2, null=True, blank=True)
    metering_sets = models.PositiveIntegerField(_("计量设备（套）"), null=True, blank=True)
    metering_sets_to_upgrade = models.PositiveIntegerField(_("待完善计量设施（套）"), null=True, blank=True)
    is_pilot = models.BooleanField(_("试点灌区"), default=False)
    facts = models.JSONField(_("工程概况"), default=dict, blank=True)
    facts_text = models.TextField(_("概况说明"), blank=True)

    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER}
    scope_paths = {Role.COUNTY_OFFICER: "region", Role.DISTRICT_MANAGER: "id"}

    class Meta:
        ordering = ["-is_pilot", "name"]
        verbose_name = _("灌区")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:irrigationdistrict_detail", args=[self.pk])


class Association(RegistryModel):
    """A farmer water-user association (农民用水者协会) or water cooperative (用水合作社)."""

    name = models.CharField(_("名称"), max_length=80, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=AssociationKind.choices, default=AssociationKind.ASSOCIATION)
    district = models.ForeignKey(IrrigationDistrict, on_delete=models.PROTECT, related_name="associations", verbose_name=_("灌区"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="associations", verbose_name=_("所在行政区"))
    town = models.CharField(_("乡镇"), max_length=40, blank=True)
    villages = models.CharField(_("行政村"), max_length=200, blank=True)
    effective_area_mu = models.DecimalField(
        _("有效灌溉面积（亩）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    legal_representative = models.CharField(_("负责人"), max_length=50, blank=True)
    registered_on = models.DateField(_("成立日期"), null=True, blank=True)

    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER}
    scope_paths = {
        Role.COUNTY_OFFICER: "region",
        Role.DISTRICT_MANAGER: "district",
        Role.ASSOCIATION_REP: "id",
    }

    class Meta:
        ordering = ["district", "name"]
        verbose_name = _("农民用水者协会")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:association_detail", args=[self.pk])

    def clean(self):
        if self.district_id and self.region_id and self.district.region_id and self.district.region_id != self.region_id:
            raise ValidationError({"region": _("协会所在行政区应与灌区所在行政区一致")})


class VillagerGroup(RegistryModel):
    """A villager group (村民小组) managed by an association."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="groups", verbose_name=_("协会"))
    village = models.CharField(_("行政村"), max_length=40)
    name = models.CharField(_("村民小组"), max_length=40)

    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.ASSOCIATION_REP}
    scope_paths = {
        Role.COUNTY_OFFICER: "association__region",
        Role.DISTRICT_MANAGER: "association__district",
        Role.ASSOCIATION_REP: "association",
    }

    class Meta:
        ordering = ["association", "village", "name"]
        verbose_name = _("村民小组")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["association", "village", "name"], name="registry_villagergroup_unique")]

    def __str__(self):
        return f"{self.village}{self.name}"

    def get_absolute_url(self):
        return reverse("registry:villagergroup_detail", args=[self.pk])

    def audit_region_code(self):
        return self.association.region.code or ""


class Household(RegistryModel):
    """An irrigation household (灌溉用水户). Name and ID number are personal data: public pages show
    only ``code`` (de-identified)."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="households", verbose_name=_("协会"))
    group = models.ForeignKey(VillagerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="households", verbose_name=_("村民小组"))
    code = models.CharField(_("用水户编码"), max_length=30, unique=True)
    name = models.CharField(_("户主姓名"), max_length=30)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    planted_area_mu = models.DecimalField(
        _("种植面积（亩）"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.ASSOCIATION_REP}
    scope_paths = {
        Role.COUNTY_OFFICER: "association__region",
        Role.DISTRICT_MANAGER: "association__district",
        Role.ASSOCIATION_REP: "association",
    }

    class Meta:
        ordering = ["association", "code"]
        verbose_name = _("灌溉用水户")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("registry:household_detail", args=[self.pk])

    def audit_region_code(self):
        return self.association.region.code or ""

    @property
    def masked_name(self) -> str:
        return (self.name[:1] + "*" * max(1, len(self.name) - 1)) if self.name else ""

    @property
    def masked_id_number(self) -> str:
        return f"{self.id_number[:6]}********{self.id_number[-4:]}" if len(self.id_number) == 18 else ""

    def clean(self):
        if self.group_id and self.group.association_id != self.association_id:
            raise ValidationError({"group": _("村民小组不属于该协会")})
        if self.id_number:
            from .validators import validate_resident_id

            validate_resident_id(self.id_number)

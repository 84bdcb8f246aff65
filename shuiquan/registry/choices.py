from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionKind(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("地级市")
    DISTRICT = "district", _("市辖区")
    COUNTY = "county", _("县")
    COUNTY_CITY = "county_city", _("县级市")
    FUNCTIONAL_ZONE = "functional_zone", _("功能区")
    RECEIVING_AREA = "receiving_area", _("南水北调受水区")
    OUTSIDE = "outside", _("市外行政区")


#: County-level administrative regions: the units that hold dual-control targets (Table 2-1).
COUNTY_LEVEL = (RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.COUNTY_CITY)


class SourceKind(models.TextChoices):
    RIVER = "river", _("地表水（河流）")
    RESERVOIR = "reservoir", _("地表水（水库）")
    GROUNDWATER = "groundwater", _("地下水")
    SNWD = "snwd", _("南水北调")
    NONCONVENTIONAL = "nonconventional", _("非常规水")


class SourceType(models.TextChoices):
    """The coarse source type used on permits and rights."""

    SURFACE = "surface", _("地表水")
    GROUNDWATER = "groundwater", _("地下水")
    SNWD = "snwd", _("南水北调")
    NONCONVENTIONAL = "nonconventional", _("非常规水")
    MIXED = "mixed", _("多水源")


SOURCE_TYPE_OF_KIND = {
    SourceKind.RIVER: SourceType.SURFACE,
    SourceKind.RESERVOIR: SourceType.SURFACE,
    SourceKind.GROUNDWATER: SourceType.GROUNDWATER,
    SourceKind.SNWD: SourceType.SNWD,
    SourceKind.NONCONVENTIONAL: SourceType.NONCONVENTIONAL,
}


class WaterUse(models.TextChoices):
    DOMESTIC = "domestic", _("生活")
    INDUSTRIAL = "industrial", _("工业")
    AGRICULTURAL = "agricultural", _("农业")
    ECOLOGICAL = "ecological", _("生态")
    URBAN_ENVIRONMENT = "urban_environment", _("城市环境")
    MIXED = "mixed", _("综合")


class WithdrawalMethod(models.TextChoices):
    GRAVITY = "gravity", _("自流引水")
    PUMPING = "pumping", _("提水")
    WELL = "well", _("机井")
    PIPELINE = "pipeline", _("管道引水")
    OTHER = "other", _("其他")


class PermitStatus(models.TextChoices):
    NEW = "new", _("新发")
    CHANGED = "changed", _("变更")
    RENEWED = "renewed", _("延续")
    EXPIRED = "expired", _("注销（到期）")
    REVOKED = "revoked", _("吊销")


ACTIVE_PERMIT_STATUSES = (PermitStatus.NEW, PermitStatus.CHANGED, PermitStatus.RENEWED)


class WaterUserKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INSTITUTION = "institution", _("机关事业单位")
    PUBLIC_SUPPLY = "public_supply", _("公共供水单位")
    IRRIGATION_UNIT = "irrigation_unit", _("灌区管理单位")
    COLLECTIVE = "collective", _("村集体")
    INDIVIDUAL = "individual", _("个人")


class AuthorityLevel(models.TextChoices):
    NATIONAL = "national", _("国家")
    BASIN = "basin", _("流域机构")
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class IntakeKind(models.TextChoices):
    SURFACE_INTAKE = "surface_intake", _("地表取水口")
    WELL = "well", _("取水井")
    PIPE_OUTLET = "pipe_outlet", _("管道分水口")
    CANAL_GATE = "canal_gate", _("渠道闸口")


class MeterProtocol(models.TextChoices):
    SL651_HEX = "sl651_hex", _("SL 651-2014（HEX/BCD）")
    SL651_ASCII = "sl651_ascii", _("SL 651-2014（ASCII）")
    SZY206 = "szy206", _("SZY206-2016 / SL/T 427-2021")
    MQTT_JSON = "mqtt_json", _("MQTT JSON")
    MANUAL = "manual", _("人工抄表")


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    RETIRED = "retired", _("停用")


class DistrictKind(models.TextChoices):
    PIPE = "pipe", _("管道灌区")
    CANAL = "canal", _("渠道灌区")


class DistrictScale(models.TextChoices):
    LARGE = "large", _("大型（30万亩以上）")
    MEDIUM = "medium", _("中型（1–30万亩）")
    SMALL = "small", _("小型")


class AssociationKind(models.TextChoices):
    ASSOCIATION = "association", _("农民用水者协会")
    COOPERATIVE = "cooperative", _("用水合作社")


class QuotaKind(models.TextChoices):
    URBAN = "urban", _("城镇用水指标")
    AGRICULTURAL = "agricultural", _("农业灌溉用水指标")


class StatisticKind(models.TextChoices):
    ROW = "row", _("分区数据")
    PRINTED_TOTAL = "printed_total", _("原表合计（按原文）")

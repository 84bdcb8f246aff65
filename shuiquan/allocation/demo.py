"""Demo data for allocation, registered through the real services as the demo accounts.

Reference tables (all labelled 演示数据 except the seed's own figures):
- water-use quotas in the structure of DB41/T 385 / DB41/T 958 (illustrative values, to be checked
  against the standards in force before real use);
- crop net irrigation quotas at 50/75/95% and the pilot districts' planting structures and
  irrigation-water effective-use coefficients;
- river allocation plans for 唐河, 白河 and 湍河 (the seed says they are being compiled, §2.6.3:
  plausible figures, clearly labelled);
- groundwater indicators: the city's 2030 indicator is the seed's (7.93亿立方米, §1.2); its county
  split (by each county's 2021 water use, Table 1-2) is demo data.

Then, through ``services``: the regional (Table 2-1), SNWD (Table 2-2), groundwater and river
allocations (city bureau); a withdrawal right for every demo permit (A3, by the county bureaus
and approving authorities); the associations of 打磨岗 (all but one that no demo account
represents, left for the workflow walkthrough) and the cooperatives of 虎山 with their households (A4: county bureau → city bureau →
district unit), and their certificates. One annual river allocation (白河 2027) is left reviewed, waiting
for approval, so the city's workbench has a to-do.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from shuiquan.core.models import User
from shuiquan.core.roles import Role
from shuiquan.core.units import split_by_weights, to_m3
from shuiquan.registry import models as reg

from . import services
from .choices import Crop, Engine, PlanStatus, QuotaLevel, QuotaStandard
from .models import CropQuota, GroundwaterIndicator, IrrigationProfile, PlantingShare, RiverPlan, WaterQuota

QUOTA_NOTE = "演示数据：定额值为示意，正式使用前须按现行河南省地方标准核对"

#: (standard, edition, sector, product, unit, quota m³ per unit, level)
WATER_QUOTAS = [
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "13", "小麦粉", "吨", "0.50", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "13", "玉米淀粉", "吨", "4.00", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "13", "肉制品", "吨", "5.50", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "14", "方便面", "吨", "4.00", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "15", "白酒", "千升", "30.00", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "15", "啤酒", "千升", "4.50", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "17", "棉纱", "吨", "7.00", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "22", "机制纸及纸板", "吨", "25.00", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "26", "合成氨", "吨", "10.00", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "27", "化学原料药", "吨", "300.00", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "30", "水泥", "吨", "0.20", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "31", "粗钢", "吨", "3.20", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "44", "火力发电（循环冷却）", "兆瓦时", "1.80", QuotaLevel.GENERAL),
    (QuotaStandard.INDUSTRIAL, "DB41/T 385-2020", "46", "城镇居民生活用水", "人·年", "43.80", QuotaLevel.GENERAL),
    (QuotaStandard.AGRICULTURAL, "DB41/T 958-2020", "03", "生猪养殖", "头·年", "5.50", QuotaLevel.GENERAL),
    (QuotaStandard.AGRICULTURAL, "DB41/T 958-2020", "01", "管道灌区综合灌溉用水", "亩", "200.00", QuotaLevel.GENERAL),
    (QuotaStandard.AGRICULTURAL, "DB41/T 958-2020", "01", "渠道灌区综合灌溉用水", "亩", "280.00", QuotaLevel.GENERAL),
]

#: Net irrigation quotas (m³/亩) at P = 50 / 75 / 95 %.
CROP_QUOTAS = {
    Crop.WHEAT: ("90", "120", "150"), Crop.CORN: ("60", "80", "110"), Crop.RICE: ("380", "450", "520"),
    Crop.PEANUT: ("45", "60", "80"), Crop.SOYBEAN: ("45", "60", "80"), Crop.VEGETABLE: ("160", "200", "240"),
    Crop.ORCHARD: ("120", "150", "180"), Crop.OTHER: ("60", "80", "100"),
}

DISTRICTS = {
    "打磨岗灌区": {"coefficient": "0.800", "basis": "全管道输水灌区，管道输水与田间节水灌溉（演示数据）",
                   "planting": {Crop.WHEAT: "0.45", Crop.CORN: "0.35", Crop.PEANUT: "0.10", Crop.ORCHARD: "0.10"}},
    "虎山灌区": {"coefficient": "0.550", "basis": "渠道灌区，自流为主、提灌为辅（演示数据）",
                 "planting": {Crop.WHEAT: "0.40", Crop.CORN: "0.25", Crop.RICE: "0.10", Crop.PEANUT: "0.15", Crop.VEGETABLE: "0.10"}},
}

#: River plans (万立方米): frequency → (allocable, ecological, {region: share}).
RIVER_PLANS = {
    "唐河": ("南阳市唐河水量分配方案（演示）", {
        "50": ("42000", "9000", {"方城县": "6000", "社旗县": "7500", "唐河县": "14500", "新野县": "5000"}),
        "75": ("33000", "8000", {"方城县": "4600", "社旗县": "5700", "唐河县": "11000", "新野县": "3700"}),
        "95": ("22000", "7000", {"方城县": "2700", "社旗县": "3400", "唐河县": "6700", "新野县": "2200"}),
    }),
    "白河": ("南阳市白河（鸭河口水库至省界段）水量分配方案（演示）", {
        "50": ("60000", "12000", {"南召县": "8000", "宛城区": "13000", "卧龙区": "12000", "新野县": "15000"}),
        "75": ("47000", "11000", {"南召县": "6000", "宛城区": "9800", "卧龙区": "9000", "新野县": "11200"}),
        "95": ("32000", "9500", {"南召县": "3800", "宛城区": "6100", "卧龙区": "5600", "新野县": "7000"}),
    }),
    "湍河": ("南阳市湍河水量分配方案（演示）", {
        "50": ("18000", "4000", {"内乡县": "5000", "邓州市": "7500", "新野县": "1500"}),
        "75": ("14000", "3600", {"内乡县": "3700", "邓州市": "5600", "新野县": "1100"}),
        "95": ("9500", "3000", {"内乡县": "2300", "邓州市": "3500", "新野县": "700"}),
    }),
}
#: Demo inflow frequencies of the annual allocations (in reality from the hydrology bureau).
RIVER_YEARS = {2025: {"唐河": "68", "白河": "55", "湍河": "80"}, 2026: {"唐河": "75", "白河": "90", "湍河": "50"}}

#: A district's permit volume is verified with these quotas (the district's effective or design area as scale).
DISTRICT_QUOTA = {"打磨岗灌区": "管道灌区综合灌溉用水", "虎山灌区": "渠道灌区综合灌溉用水"}


def load_reference(size: str = "full") -> dict[str, int]:
    sectors = {s.code: s for s in reg.Sector.objects.all()}
    for standard, edition, sector, product, unit, quota, level in WATER_QUOTAS:
        WaterQuota.objects.update_or_create(
            edition=edition, sector=sectors[sector], product=product, level=level,
            defaults={"standard": standard, "unit": unit, "quota_m3": Decimal(quota), "is_demo": True, "comments": QUOTA_NOTE},
        )
    for crop, values in CROP_QUOTAS.items():
        for freq, value in zip(("50", "75", "95"), values, strict=True):
            CropQuota.objects.update_or_create(crop=crop, zone="南阳盆地区", frequency=Decimal(freq),
                                               defaults={"net_quota_m3_per_mu": Decimal(value), "standard_ref": "DB41/T 958-2020（演示数据）",
                                                         "is_demo": True})
    for name, spec in DISTRICTS.items():
        district = reg.IrrigationDistrict.objects.get(name=name)
        IrrigationProfile.objects.update_or_create(district=district, defaults={
            "coefficient": Decimal(spec["coefficient"]), "basis": spec["basis"], "design_frequency": Decimal("75"), "is_demo": True})
        for crop, share in spec["planting"].items():
            PlantingShare.objects.update_or_create(district=district, crop=crop, defaults={"share": Decimal(share), "is_demo": True})
    nanyang = reg.Region.objects.get(code="411300")
    city_gw = reg.Indicator.objects.get(key="shallow_groundwater_withdrawal_cap", year=2030)
    city_total = to_m3(city_gw.value, "100m_m3")
    GroundwaterIndicator.objects.update_or_create(region=nanyang, year=2030, defaults={
        "volume_m3": city_total, "basis": "§1.2 2023年《河南省地下水管控指标确定》：南阳市2030年浅层地下水取水指标7.93亿立方米", "is_demo": False})
    counties = list(reg.Region.objects.filter(kind__in=["district", "county", "county_city"]).order_by("sort_order"))
    use = {s.region_id: s.volume_m3 for s in reg.WaterUseStatistic.objects.filter(year=2021, kind="row", use="")}
    parts = split_by_weights(city_total, [use[c.pk] for c in counties])
    for county, part in zip(counties, parts, strict=True):
        GroundwaterIndicator.objects.update_or_create(region=county, year=2030, defaults={
            "volume_m3": part, "basis": "演示数据：全市指标按各县2021年用水量（表1-2）比例拆分", "is_demo": True})
    return {"water_quotas": len(WATER_QUOTAS), "crop_quotas": len(CROP_QUOTAS) * 3, "groundwater_indicators": len(counties) + 1}


def _plans(admin) -> list[RiverPlan]:
    plans = []
    regions = {r.name: r for r in reg.Region.objects.all()}
    for river_name, (plan_name, table) in RIVER_PLANS.items():
        river = reg.River.objects.get(name=river_name)
        plan = RiverPlan.objects.filter(name=plan_name).first()
        if plan is None:
            points = [{"frequency": f, "total_m3": to_m3(total, "10k_m3"), "ecological_m3": to_m3(eco, "10k_m3"),
                       "shares": {regions[n].pk: to_m3(v, "10k_m3") for n, v in shares.items()}}
                      for f, (total, eco, shares) in table.items()]
            plan = services.save_river_plan(actor=admin, river=river, name=plan_name, points=points, is_demo=True,
                                            comments="演示数据：种子文件称唐河、白河、湍河水量分配方案正在编制，此为示意数字")
        if plan.status == PlanStatus.DRAFT:
            plan = services.approve_river_plan(plan, actor=admin, legal_basis=f"{plan_name}（演示批复）")
        plans.append(plan)
    return plans


def _through(run, *, preparer, approver, registrar=None, issuer=None, stop_after: str | None = None):
    """Take a computed run through review, approval, registration and certificates."""
    run = services.review_run(run, actor=preparer, reason="经核对，计算无误，提交审批")
    if stop_after == "review":
        return run
    run = services.approve_run(run, actor=approver, reason="同意")
    run = services.register_run(run, actor=registrar or approver)
    return services.issue_certificates(run, actor=issuer or registrar or approver)


def _officer(region) -> User:
    return (User.objects.filter(role="county_officer", region=region, is_demo=True).order_by("username").first()
            or User.objects.get(username="city_admin"))


def _permit_items(permit) -> list[dict]:
    if permit.irrigation_district_id:
        quota = WaterQuota.objects.get(product=DISTRICT_QUOTA[permit.irrigation_district.name])
        district = permit.irrigation_district
        scale = district.effective_area_mu or district.design_area_mu
        return [{"quota": quota.pk, "scale": str(scale)}]
    code = permit.sector.code if permit.sector_id else "46"
    quota = WaterQuota.objects.filter(sector__code=code, is_active=True).order_by("pk").first()
    # The enterprise's production scale (demo): what its permitted volume corresponds to at the quota.
    scale = (Decimal(permit.annual_volume_m3) * Decimal("1.02") / quota.quota_m3).to_integral_value(rounding=ROUND_CEILING)
    return [{"quota": quota.pk, "scale": str(scale)}]


def load(size: str = "full") -> dict[str, int]:
    counts = load_reference(size)
    admin = User.objects.get(username="city_admin")
    first, last = services.horizon()
    for engine in (Engine.REGIONAL, Engine.SNWD, Engine.GROUNDWATER):
        run = services.prepare_and_compute(actor=admin, engine=engine, parameters={"first_year": first, "last_year": last}, is_demo=True)
        _through(run, preparer=admin, approver=admin)
    counts["river_plans"] = len(_plans(admin))
    for year, freqs in RIVER_YEARS.items():
        for plan in RiverPlan.objects.filter(status=PlanStatus.APPROVED, is_demo=True).select_related("river"):
            run = services.prepare_and_compute(actor=admin, engine=Engine.RIVER, is_demo=True,
                                               parameters={"plan": plan.pk, "year": year, "frequency": freqs[plan.river.name]})
            _through(run, preparer=admin, approver=admin)
    # One allocation left waiting for the city's approval, so the workbench has a to-do to show.
    bai = RiverPlan.objects.get(river__name="白河", status=PlanStatus.APPROVED)
    pending = services.prepare_and_compute(actor=admin, engine=Engine.RIVER, is_demo=True,
                                           parameters={"plan": bai.pk, "year": 2027, "frequency": "75"})
    _through(pending, preparer=admin, approver=admin, stop_after="review")
    permits = list(reg.WithdrawalPermit.objects.filter(is_demo=True).select_related(
        "region", "approving_authority", "sector", "irrigation_district", "holder").order_by("region__sort_order", "number"))
    n = 0
    for permit in permits:
        officer = _officer(permit.region)
        approver = _officer(permit.approving_authority.region) if permit.approving_authority.level == "county" else admin
        run = services.prepare_and_compute(actor=officer, engine=Engine.PERMIT, is_demo=True,
                                           parameters={"permit": permit.pk, "items": _permit_items(permit)})
        _through(run, preparer=officer, approver=approver)
        n += 1
    counts["permit_runs"] = n
    for name, manager, keep_one in (("打磨岗灌区", "damogang_manager", True), ("虎山灌区", "hushan_manager", False)):
        district = reg.IrrigationDistrict.objects.get(name=name)
        associations = list(district.associations.order_by("name"))
        if keep_one:
            # One association left to allocate in the walkthrough: the last by name that no demo
            # account represents (the demo association representative's association must hold
            # its right, or it could not trade in the trading demo).
            represented = set(User.objects.filter(role=Role.ASSOCIATION_REP, association__isnull=False)
                              .values_list("association_id", flat=True))
            left = next(a for a in reversed(associations) if a.pk not in represented)
            associations = [a for a in associations if a.pk != left.pk]
        officer = _officer(district.region)
        permit = reg.WithdrawalPermit.objects.filter(irrigation_district=district).first()
        from shuiquan.ledger.services import right_for_permit

        parent = right_for_permit(permit)
        run = services.prepare_and_compute(actor=officer, engine=Engine.IRRIGATION, is_demo=True, parameters={
            "district": district.pk, "associations": [a.pk for a in associations], "frequency": "75",
            "first_year": first, "last_year": parent.valid_to.year})
        _through(run, preparer=officer, approver=admin, issuer=User.objects.get(username=manager))
    return counts

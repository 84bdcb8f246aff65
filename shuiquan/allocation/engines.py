"""The allocation engines: inputs → formula → per-line results and totals.

Each engine reads the figures it needs (the seed's tables through the registry, this app's
reference tables, the ledger's balances), computes exactly (Decimal arithmetic, integer m³
results) and returns a ``Computation`` that the service stores with the run and shows to the user.
Engines never write. They raise domain errors for inputs that cannot be allocated (A1–A5).

Rounding rules (docs/allocation.md):
- river plans: linear interpolation in the frequency between the two nearest tabulated frequencies,
  clamped outside the table; the ecological reserve is rounded **up** to whole m³ (A2: never
  under-reserved); the available volume ⌊W − E⌋ is split among the regions in proportion to their
  interpolated shares by the largest-remainder method (``core.units.split_by_weights``), so the
  shares sum exactly to the available volume;
- permits (A3) and associations (A4): the computed volume is rounded **down** to whole m³ (a right
  never exceeds its computation); households get exact integer shares of their association's
  right by planted area (largest remainder).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any

from django.db.models import Sum

from shuiquan.core.errors import Conflict, InsufficientVolume, RuleViolation, ValidationFailed
from shuiquan.core.units import YI, split_by_weights, wan, yi
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import RightKind, RightStatus
from shuiquan.ledger.models import WaterRight
from shuiquan.registry import models as reg
from shuiquan.registry.choices import COUNTY_LEVEL, QuotaKind, SourceType, WaterUse

from .choices import Crop, LineRole
from .models import CropQuota, GroundwaterIndicator, IrrigationProfile, PlantingShare, RiverPlanPoint, WaterQuota

CITY_CODE = "411300"
Q4 = Decimal("0.0001")


@dataclass
class LineSpec:
    role: str
    label: str
    volume_m3: int
    exact: str = ""
    region: Any = None
    water_user: Any = None
    irrigation_district: Any = None
    association: Any = None
    household: Any = None
    river: Any = None
    use: str = WaterUse.MIXED
    source_type: str = SourceType.MIXED
    year: int | None = None
    detail: dict = field(default_factory=dict)
    parent: LineSpec | None = None


@dataclass
class Computation:
    inputs: dict
    formula: str
    formula_en: str
    lines: list[LineSpec]
    totals: dict
    total_m3: int
    legal_basis: str = ""


def floor_m3(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def ceil_m3(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def dec(value) -> str:
    """A Decimal as plain text (no exponent, trailing zeros trimmed) for the calculation shown."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def interpolate(table: list[tuple[Decimal, Decimal]], p: Decimal) -> tuple[Decimal, dict]:
    """Linear interpolation of ``table`` ([(frequency, value)], any order) at frequency ``p``,
    clamped to the first/last tabulated value outside the table. Returns the value and how it was
    obtained (for the calculation shown to the user)."""
    if not table:
        raise ValidationFailed("empty_table", "没有可用于插值的频率数据", "No frequencies to interpolate")
    points = sorted((Decimal(f), Decimal(v)) for f, v in table)
    p = Decimal(p)
    if p <= points[0][0]:
        return points[0][1], {"rule": "clamp_low" if p < points[0][0] else "exact", "from": dec(points[0][0])}
    if p >= points[-1][0]:
        return points[-1][1], {"rule": "clamp_high" if p > points[-1][0] else "exact", "from": dec(points[-1][0])}
    for (f0, v0), (f1, v1) in zip(points, points[1:], strict=False):
        if p == f0:
            return v0, {"rule": "exact", "from": dec(f0)}
        if f0 < p < f1:
            t = (p - f0) / (f1 - f0)
            return v0 + t * (v1 - v0), {"rule": "linear", "low": dec(f0), "high": dec(f1), "t": dec(t.quantize(Decimal("0.000001")))}
        if p == f1:
            return v1, {"rule": "exact", "from": dec(f1)}
    raise AssertionError("unreachable")


def _years(first: int, last: int) -> list[int]:
    return list(range(first, last + 1))


def city() -> reg.Region:
    return reg.Region.objects.get(code=CITY_CODE)


def counties():
    return reg.Region.objects.filter(kind__in=COUNTY_LEVEL).order_by("sort_order")


# ---------------------------------------------------------------------------------------------
# A1: regional rights from Table 2-1
# ---------------------------------------------------------------------------------------------


def regional(first_year: int, last_year: int, target_year: int = 2025) -> Computation:
    nanyang = city()
    try:
        city_target = reg.DualControlTarget.objects.get(region=nanyang, year=target_year)
    except reg.DualControlTarget.DoesNotExist:
        raise ValidationFailed("no_target", f"没有{target_year}年全市用水总量控制目标（表2-1）", f"No {target_year} city target (Table 2-1)") from None
    rows = list(reg.DualControlTarget.objects.filter(region__kind__in=COUNTY_LEVEL, year=target_year).select_related("region").order_by("region__sort_order"))
    if not rows:
        raise ValidationFailed("no_target", "没有各县用水总量控制目标（表2-1）", "No county targets (Table 2-1)")
    county_sum = sum(r.total_m3 for r in rows)
    if county_sum != city_target.total_m3:
        raise RuleViolation("A1", "targets_do_not_sum",
                            f"表2-1各县目标之和 {county_sum:,} 立方米与全市合计 {city_target.total_m3:,} 立方米不一致",
                            f"Table 2-1 county targets sum to {county_sum:,} m³, not the city total {city_target.total_m3:,} m³")
    lines: list[LineSpec] = []
    city_line = LineSpec(LineRole.RIGHT, nanyang.name, city_target.total_m3, region=nanyang,
                         detail={"target_yi": yi(city_target.total_m3), "source": "表2-1 全市合计"})
    lines.append(city_line)
    for r in rows:
        lines.append(LineSpec(LineRole.RIGHT, r.region.name, r.total_m3, region=r.region, parent=city_line,
                              detail={"target_yi": yi(r.total_m3), "code": r.region.code, "source": "表2-1"}))
    sectors = [(WaterUse.DOMESTIC, "生活用水", city_target.domestic_m3), (WaterUse.INDUSTRIAL, "工业用水", city_target.industrial_m3),
               (WaterUse.AGRICULTURAL, "农业用水", city_target.agricultural_m3), (WaterUse.ECOLOGICAL, "生态环境用水", city_target.ecological_m3)]
    sector_sum = 0
    for use, label, value in sectors:
        if value is None:
            continue
        sector_sum += value
        lines.append(LineSpec(LineRole.SECTOR, f"全市{label}", value, region=nanyang, use=use, detail={"yi": yi(value), "source": "§2.1"}))
    if sector_sum and sector_sum != city_target.total_m3:
        raise RuleViolation("A1", "sectors_do_not_sum", f"分行业指标之和 {sector_sum:,} 与总量 {city_target.total_m3:,} 不一致",
                            f"The sector split sums to {sector_sum:,}, not {city_target.total_m3:,}")
    obligations: dict[int, int] = {}
    printed: dict[int, int] = {}
    for m in reg.NonConventionalMinimum.objects.select_related("region").order_by("year", "region__sort_order"):
        if m.region.code == CITY_CODE:
            printed[m.year] = m.volume_m3
            continue
        obligations[m.year] = obligations.get(m.year, 0) + m.volume_m3
        lines.append(LineSpec(LineRole.OBLIGATION, m.region.name, m.volume_m3, region=m.region, year=m.year,
                              source_type=SourceType.NONCONVENTIONAL, detail={"yi": dec(Decimal(m.volume_m3) / YI), "source": "表2-1"}))
    years = _years(first_year, last_year)
    inputs = {
        "target_year": target_year,
        "source": "表2-1《南阳市“十四五”期间用水总量控制目标表》；§2.1 分行业目标",
        "city_total_m3": city_target.total_m3,
        "counties": [{"region": r.region.name, "code": r.region.code, "total_m3": r.total_m3, "total_yi": yi(r.total_m3)} for r in rows],
        "sectors": {label: value for _u, label, value in sectors},
        "nonconventional_by_year": {str(y): {"sum_m3": s, "printed_m3": printed.get(y)} for y, s in obligations.items()},
        "years": years,
    }
    formula = (
        f"区域用水权（A1）= 表2-1 {target_year}年用水总量控制目标，逐县确定：\n"
        f"  全市区域用水权 = Σ 各县（市、区）目标 = {yi(county_sum)} 亿立方米 = {county_sum:,} 立方米\n"
        f"  分行业（§2.1）：生活 {yi(city_target.domestic_m3)} + 工业 {yi(city_target.industrial_m3)} + 农业 {yi(city_target.agricultural_m3)}"
        f" + 生态环境 {yi(city_target.ecological_m3)} = {yi(sector_sum)} 亿立方米\n"
        f"  非常规水最低利用量为各年度约束性指标（不记账，计入考核）。\n"
        f"记账：河南省下达指标 → 南阳市区域用水权 → 13个县（市、区）区域用水权，{years[0]}–{years[-1]}年逐年记账"
        f"（{target_year}年目标在下一轮规划下达前继续有效，参数 allocation.regional_last_year）。"
    )
    formula_en = (
        f"Regional rights (A1) = the {target_year} total-use control targets of Table 2-1, county by county; "
        f"city right = Σ counties = {county_sum:,} m³; sector split (domestic + industrial + agricultural + ecological) = {sector_sum:,} m³; "
        f"non-conventional minimums are yearly obligations (not posted). Posted province issuance → city → 13 counties for each year "
        f"{years[0]}–{years[-1]}."
    )
    totals = {"city_m3": city_target.total_m3, "counties_m3": county_sum, "sectors_m3": sector_sum,
              "counties": len(rows), "years": years}
    return Computation(inputs, formula, formula_en, lines, totals, city_target.total_m3,
                       legal_basis="南阳市水利局、南阳市发展和改革委员会《关于印发十四五用水总量和强度双控目标的通知》（表2-1）")


# ---------------------------------------------------------------------------------------------
# A5: SNWD rights from Table 2-2
# ---------------------------------------------------------------------------------------------


def snwd(first_year: int, last_year: int) -> Computation:
    urban = list(reg.SnwdQuota.objects.filter(kind=QuotaKind.URBAN).select_related("receiving_area").order_by("pk"))
    agri = list(reg.SnwdQuota.objects.filter(kind=QuotaKind.AGRICULTURAL).select_related("irrigation_district").order_by("pk"))
    if not urban:
        raise ValidationFailed("no_quotas", "没有南水北调城镇水量指标（表2-2）", "No SNWD urban quotas (Table 2-2)")
    lines = []
    for q in urban:
        lines.append(LineSpec(LineRole.RIGHT, q.receiving_area.name, q.volume_m3, region=q.receiving_area, source_type=SourceType.SNWD,
                              detail={"printed_name": q.printed_name, "wan": wan(q.volume_m3, 0), "issuance": "urban", "source": q.source_section}))
    for q in agri:
        lines.append(LineSpec(LineRole.RIGHT, q.irrigation_district.name, q.volume_m3, irrigation_district=q.irrigation_district,
                              use=WaterUse.AGRICULTURAL, source_type=SourceType.SNWD,
                              detail={"printed_name": q.printed_name, "wan": wan(q.volume_m3, 0), "issuance": "agricultural", "source": q.source_section}))
    urban_total = sum(q.volume_m3 for q in urban)
    agri_total = sum(q.volume_m3 for q in agri)
    years = _years(first_year, last_year)
    inputs = {
        "source": "表2-2《南阳市各县市区城镇水量指标分配情况表》；§2.3 引丹灌区农业灌溉用水水量指标",
        "urban": [{"receiving_area": q.receiving_area.name, "printed_name": q.printed_name, "volume_m3": q.volume_m3} for q in urban],
        "agricultural": [{"district": q.irrigation_district.name, "volume_m3": q.volume_m3} for q in agri],
        "years": years,
    }
    formula = (
        "南水北调用水权（A5）= 市政府批准调整后的各受水区城镇水量指标（表2-2）：\n"
        f"  城镇水量指标合计 = Σ 受水区 = {wan(urban_total, 0)} 万立方米 = {urban_total:,} 立方米（{yi(urban_total)} 亿立方米）\n"
        f"  引丹灌区农业灌溉用水指标另行下达 = {yi(agri_total)} 亿立方米（不计入城镇 {yi(urban_total)} 亿立方米）\n"
        f"记账：南水北调中线工程分配南阳市城镇水量指标 → 各受水区；南水北调中线工程分配引丹灌区农业灌溉用水指标 → 引丹灌区；"
        f"{years[0]}–{years[-1]}年逐年记账。"
    )
    formula_en = (
        f"SNWD rights (A5) = the receiving areas' urban quotas of Table 2-2: Σ = {urban_total:,} m³; the Yindan district's agricultural "
        f"quota ({agri_total:,} m³) is a separate issuance, not counted in the urban total. Posted for each year {years[0]}–{years[-1]}."
    )
    totals = {"urban_m3": urban_total, "agricultural_m3": agri_total, "all_m3": urban_total + agri_total, "years": years}
    return Computation(inputs, formula, formula_en, lines, totals, urban_total + agri_total,
                       legal_basis="南阳市人民政府批准的南水北调中线工程各县市区城镇水量指标（表2-2）；引丹灌区农业灌溉用水指标（§2.3）")


# ---------------------------------------------------------------------------------------------
# A1/A2: a river plan's annual allocation
# ---------------------------------------------------------------------------------------------


def validate_plan_points(points: list[dict]) -> None:
    """Check a plan's table: frequencies unique and within (0, 100); every frequency allocates to the
    same regions; ecological ≥ 0; shares + ecological = allocable volume (A2: shares may not take
    the ecological reserve)."""
    if not points:
        raise ValidationFailed("plan_empty", "方案至少需要一个频率年", "A plan needs at least one frequency")
    seen = set()
    region_sets = set()
    for pt in points:
        f = Decimal(pt["frequency"])
        if not Decimal("0") < f < Decimal("100"):
            raise ValidationFailed("bad_frequency", f"频率须在0与100之间：{f}", f"Frequency must be between 0 and 100: {f}")
        if f in seen:
            raise ValidationFailed("duplicate_frequency", f"频率重复：{f}%", f"Duplicate frequency {f}%")
        seen.add(f)
        total, eco = int(pt["total_m3"]), int(pt["ecological_m3"])
        shares = {int(k): int(v) for k, v in pt["shares"].items()}
        if eco < 0 or total < 0 or any(v < 0 for v in shares.values()):
            raise ValidationFailed("negative_volume", "水量不能为负", "Volumes cannot be negative")
        if eco == 0:
            raise RuleViolation("A2", "ecological_required", f"P={f}%：须先确定河道基本生态水量（A2）",
                                f"P={f}%: the river's ecological reserve must be set first (A2)")
        region_sets.add(frozenset(shares))
        allocated = sum(shares.values())
        if allocated > total - eco:
            raise RuleViolation("A2", "takes_ecological_water",
                                f"P={f}%：各行政区分配水量之和 {allocated:,} 立方米超过可分配水量扣除生态水量后的 {total - eco:,} 立方米，挤占河道生态水量",
                                f"P={f}%: regional shares ({allocated:,} m³) exceed the allocable volume after the ecological reserve ({total - eco:,} m³)")
        if allocated < total - eco:
            raise ValidationFailed("not_fully_allocated",
                                   f"P={f}%：各行政区分配水量之和 {allocated:,} 立方米小于可分配水量扣除生态水量后的 {total - eco:,} 立方米",
                                   f"P={f}%: regional shares ({allocated:,} m³) leave {total - eco - allocated:,} m³ unallocated")
    if len(region_sets) > 1:
        raise ValidationFailed("regions_differ", "各频率年的分水行政区须一致", "Every frequency must allocate to the same regions")


def river(plan, year: int, frequency: Decimal) -> Computation:
    frequency = Decimal(frequency)
    if not Decimal("0") < frequency < Decimal("100"):
        raise ValidationFailed("bad_frequency", "来水频率须在0与100之间", "The inflow frequency must be between 0 and 100")
    points = list(RiverPlanPoint.objects.filter(plan=plan).prefetch_related("shares__region").order_by("frequency"))
    validate_plan_points([{"frequency": p.frequency, "total_m3": p.total_m3, "ecological_m3": p.ecological_m3,
                           "shares": {s.region_id: s.volume_m3 for s in p.shares.all()}} for p in points])
    total, how = interpolate([(p.frequency, Decimal(p.total_m3)) for p in points], frequency)
    eco, _ = interpolate([(p.frequency, Decimal(p.ecological_m3)) for p in points], frequency)
    regions = [s.region for s in points[0].shares.all()]
    shares = {}
    for region in regions:
        shares[region.pk], _ = interpolate([(p.frequency, Decimal(next(s.volume_m3 for s in p.shares.all() if s.region_id == region.pk)))
                                            for p in points], frequency)
    eco_m3 = ceil_m3(eco)
    available = floor_m3(total - eco_m3)
    if available < 0:
        raise RuleViolation("A2", "no_water_after_ecology", "扣除生态水量后无水可分", "Nothing is left after the ecological reserve")
    weights = [shares[r.pk] for r in regions]
    parts = split_by_weights(available, weights) if sum(weights) > 0 else [0] * len(regions)
    lines = [LineSpec(LineRole.ECOLOGICAL, f"{plan.river.name}河道基本生态水量", eco_m3, river=plan.river, use=WaterUse.ECOLOGICAL,
                      source_type=SourceType.SURFACE, year=year, exact=dec(eco.quantize(Q4)), detail={"rule": "A2", "rounding": "ceiling"})]
    for region, part in zip(regions, parts, strict=True):
        lines.append(LineSpec(LineRole.RIGHT, region.name, part, region=region, river=plan.river, source_type=SourceType.SURFACE, year=year,
                              exact=dec(shares[region.pk].quantize(Q4)),
                              detail={"interpolated_share": dec(shares[region.pk].quantize(Q4)),
                                      "table": {dec(p.frequency): next(s.volume_m3 for s in p.shares.all() if s.region_id == region.pk) for p in points}}))
    how_text = {
        "exact": f"P={dec(frequency)}% 为方案列表频率，直接采用",
        "linear": f"P={dec(frequency)}% 介于 {how.get('low')}% 与 {how.get('high')}% 之间，线性插值 t = (P − {how.get('low')}) ÷ ({how.get('high')} − {how.get('low')}) = {how.get('t')}",
        "clamp_low": f"P={dec(frequency)}% 小于方案最小频率 {how.get('from')}%，取 {how.get('from')}% 的数值（不外推）",
        "clamp_high": f"P={dec(frequency)}% 大于方案最大频率 {how.get('from')}%，取 {how.get('from')}% 的数值（不外推）",
    }[how["rule"]]
    inputs = {
        "plan": plan.name, "plan_id": plan.pk, "river": plan.river.name, "year": year, "frequency": dec(frequency),
        "table": [{"frequency": dec(p.frequency), "total_m3": p.total_m3, "ecological_m3": p.ecological_m3,
                   "shares": {s.region.name: s.volume_m3 for s in p.shares.all()}} for p in points],
        "interpolation": how,
    }
    formula = (
        f"{plan.river.name}{year}年来水频率 P = {dec(frequency)}%。{how_text}。\n"
        f"  可分配水量 W(P) = {dec(total.quantize(Q4))} 立方米\n"
        f"  河道基本生态水量 E(P) = {dec(eco.quantize(Q4))} → 向上取整 {eco_m3:,} 立方米，先行预留，不得分配或交易（A2）\n"
        f"  可分给各行政区的水量 A = ⌊W − E⌋ = {available:,} 立方米\n"
        f"  各行政区水量 = A × S_i(P) ÷ Σ S(P)（S_i 为方案份额的插值），最大余数法取整，合计恰为 A。"
    )
    formula_en = (
        f"{plan.river.name} {year}, inflow frequency P = {dec(frequency)}% ({how['rule']}, linear between the nearest tabulated "
        f"frequencies, clamped outside the table). W(P) = {dec(total.quantize(Q4))} m³; ecological reserve E(P) rounded up = {eco_m3:,} m³ "
        f"(A2, never allocated); A = ⌊W − E⌋ = {available:,} m³ split by the interpolated shares (largest remainder)."
    )
    totals = {"total_m3": available + eco_m3, "ecological_m3": eco_m3, "available_m3": available, "allocated_m3": sum(parts),
              "interpolated_total": dec(total), "years": [year]}
    return Computation(inputs, formula, formula_en, lines, totals, available + eco_m3,
                       legal_basis=plan.legal_basis or plan.name)


# ---------------------------------------------------------------------------------------------
# A1: groundwater control indicators
# ---------------------------------------------------------------------------------------------


def overdraft_sources(region) -> list[str]:
    return list(reg.WaterSource.objects.filter(region=region, is_overdraft_area=True).values_list("name", flat=True))


def groundwater(first_year: int, last_year: int, indicator_year: int) -> Computation:
    nanyang = city()
    rows = list(GroundwaterIndicator.objects.filter(year=indicator_year, region__kind__in=COUNTY_LEVEL).select_related("region")
                .order_by("region__sort_order"))
    if not rows:
        raise ValidationFailed("no_indicators", f"没有{indicator_year}年各县地下水管控指标", f"No {indicator_year} county groundwater indicators")
    city_row = GroundwaterIndicator.objects.filter(year=indicator_year, region=nanyang).first()
    county_sum = sum(r.volume_m3 for r in rows)
    if city_row is not None and county_sum > city_row.volume_m3:
        raise RuleViolation("A1", "groundwater_over_city",
                            f"各县地下水指标之和 {county_sum:,} 立方米超过全市指标 {city_row.volume_m3:,} 立方米",
                            f"County groundwater indicators ({county_sum:,} m³) exceed the city's ({city_row.volume_m3:,} m³)")
    lines = []
    for r in rows:
        od = overdraft_sources(r.region)
        lines.append(LineSpec(LineRole.RIGHT, r.region.name, r.volume_m3, region=r.region, source_type=SourceType.GROUNDWATER,
                              detail={"overdraft_area": bool(od), "overdraft_sources": od, "basis": r.basis, "is_demo": r.is_demo}))
    years = _years(first_year, last_year)
    inputs = {
        "indicator_year": indicator_year,
        "city_indicator_m3": city_row.volume_m3 if city_row else None,
        "city_basis": city_row.basis if city_row else "",
        "counties": [{"region": r.region.name, "volume_m3": r.volume_m3, "is_demo": r.is_demo} for r in rows],
        "years": years,
    }
    formula = (
        f"地下水用水权（A1）= 各县（市、区）{indicator_year}年浅层地下水取水指标（地下水管控指标）：\n"
        f"  全市指标 = {yi(city_row.volume_m3) if city_row else '—'} 亿立方米（§1.2：2023年《河南省地下水管控指标确定》）\n"
        f"  各县指标之和 = {county_sum:,} 立方米，不超过全市指标\n"
        f"  唐河县、新野县有地下水超采区（§1.2），超采区内地下水不得转让（S4），新增工业用水原则上通过交易解决（T11）。\n"
        f"记账：河南省下达南阳市地下水管控指标 → 各县地下水取水指标，{years[0]}–{years[-1]}年逐年记账。"
    )
    formula_en = (
        f"Groundwater rights (A1) = each county's {indicator_year} shallow-groundwater withdrawal indicator; Σ counties = {county_sum:,} m³ "
        f"≤ the city's indicator; overdraft areas flagged. Posted for each year {years[0]}–{years[-1]}."
    )
    totals = {"counties_m3": county_sum, "city_m3": city_row.volume_m3 if city_row else None, "years": years,
              "overdraft_regions": [line.label for line in lines if line.detail["overdraft_area"]]}
    return Computation(inputs, formula, formula_en, lines, totals, county_sum,
                       legal_basis="《河南省地下水管控指标确定》（2023年）南阳市2030年浅层地下水取水指标")


# ---------------------------------------------------------------------------------------------
# A3: a permit holder's right
# ---------------------------------------------------------------------------------------------


def county_right(region) -> WaterRight:
    right = ledger.right_for_region(region, RightKind.REGIONAL)
    if right is None or right.status != RightStatus.ACTIVE:
        raise Conflict("regional_right_missing", f"{region.name}区域用水权尚未登记，须先登记区域用水权（表2-1）",
                       f"The regional right of {region.name} is not registered yet (register Table 2-1 first)")
    return right


def remaining(right: WaterRight, years: list[int]) -> dict[int, int]:
    return {y: ledger.available(right, y) for y in years}


def permit(run_permit, items: list[dict], saving_rate: Decimal, groundwater_rate: Decimal, years: list[int]) -> Computation:
    if not items:
        raise ValidationFailed("no_items", "至少填写一项规模与定额", "Give at least one scale and quota")
    saving_rate, groundwater_rate = Decimal(saving_rate), Decimal(groundwater_rate)
    for rate, name in ((saving_rate, "节水潜力比例"), (groundwater_rate, "地下水核减比例")):
        if not Decimal("0") <= rate < Decimal("1"):
            raise ValidationFailed("bad_rate", f"{name}须在0与1之间", "Rates must be between 0 and 1")
    is_groundwater = run_permit.source.kind == "groundwater"
    if groundwater_rate and not is_groundwater:
        raise ValidationFailed("not_groundwater", "该许可证水源不是地下水，不能按地下水管控核减", "The permit does not draw groundwater")
    lines: list[LineSpec] = []
    base = Decimal(0)
    item_inputs = []
    for item in items:
        quota: WaterQuota = item["quota"]
        scale = Decimal(item["scale"])
        if scale <= 0:
            raise ValidationFailed("bad_scale", "规模须大于0", "Scale must be positive")
        amount = scale * quota.quota_m3
        base += amount
        item_inputs.append({"quota_id": quota.pk, "standard": quota.edition, "sector": quota.sector.code, "product": quota.product,
                            "unit": quota.unit, "quota_m3": dec(quota.quota_m3), "level": quota.get_level_display(),
                            "scale": dec(scale), "amount_m3": dec(amount)})
        lines.append(LineSpec(LineRole.DETAIL, f"{quota.product}：{dec(scale)} {quota.unit} × {dec(quota.quota_m3)} 立方米/{quota.unit}",
                              floor_m3(amount), exact=dec(amount), water_user=run_permit.holder, region=run_permit.region,
                              detail=item_inputs[-1]))
    saving = base * saving_rate
    reduction = base * groundwater_rate
    verified_exact = base - saving - reduction
    verified = floor_m3(verified_exact)
    volume = min(verified, run_permit.annual_volume_m3)
    if volume <= 0:
        raise ValidationFailed("zero_volume", "核定水量为0，无法确权", "The verified volume is zero")
    parent = county_right(run_permit.region)
    avail = remaining(parent, years)
    short = {y: a for y, a in avail.items() if a < volume}
    if short:
        year, a = min(short.items(), key=lambda kv: kv[1])
        raise InsufficientVolume(
            "A3", "regional_cap_exceeded",
            f"{run_permit.region.name}区域用水权剩余可用水量不足：{year}年剩余 {a:,} 立方米，本次核定 {volume:,} 立方米；新增用水须在区域剩余指标内（A3），或通过水权交易取得（T11）",
            f"The remaining cap of {run_permit.region.name} is short: {a:,} m³ left in {year}, {volume:,} m³ verified (A3)",
            detail={"shortfalls": [{"right": parent.number, "right_id": parent.pk, "year": y, "available_m3": v, "needed_m3": volume,
                                    "short_m3": volume - v} for y, v in sorted(short.items())]},
        )
    lines.append(LineSpec(LineRole.RIGHT, run_permit.holder.name, volume, water_user=run_permit.holder, region=run_permit.region,
                          use=run_permit.use, source_type=run_permit.source_type, exact=dec(verified_exact),
                          detail={"permit": run_permit.number, "permitted_m3": run_permit.annual_volume_m3, "verified_m3": verified}))
    od = run_permit.source.is_overdraft_area
    inputs = {
        "permit": run_permit.number, "holder": run_permit.holder.name, "region": run_permit.region.name,
        "source": run_permit.source.name, "overdraft_area": od, "use": run_permit.get_use_display(),
        "permitted_m3": run_permit.annual_volume_m3, "items": item_inputs,
        "saving_rate": dec(saving_rate), "groundwater_rate": dec(groundwater_rate),
        "years": years, "regional_right": parent.number, "remaining_by_year": {str(k): v for k, v in avail.items()},
    }
    formula = (
        "取水权核定（A3）：核定水量 = Σ(规模 × 用水定额) − 节水潜力 − 地下水管控核减\n"
        f"  规模 × 定额 = {dec(base)} 立方米\n"
        f"  节水潜力 = {dec(base)} × {dec(saving_rate)} = {dec(saving)} 立方米\n"
        f"  地下水管控核减 = {dec(base)} × {dec(groundwater_rate)} = {dec(reduction)} 立方米"
        f"{'（水源位于地下水超采区）' if od else ''}\n"
        f"  核定水量 = {dec(verified_exact)} → 向下取整 {verified:,} 立方米\n"
        f"  确权水量 = min(核定水量, 许可水量 {run_permit.annual_volume_m3:,}) = {volume:,} 立方米/年\n"
        f"  须不超过{run_permit.region.name}区域用水权剩余可用水量（最少 {min(avail.values()):,} 立方米）；有效期内 {years[0]}–{years[-1]} 年逐年记账。"
    )
    formula_en = (
        f"Permit right (A3) = Σ(scale × quota) − saving potential − groundwater reduction = {dec(base)} − {dec(saving)} − {dec(reduction)} "
        f"= {dec(verified_exact)} → floor {verified:,} m³; right = min(verified, permitted {run_permit.annual_volume_m3:,}) = {volume:,} m³/yr, "
        f"within the county's remaining cap; posted {years[0]}–{years[-1]}."
    )
    totals = {"base": dec(base), "saving": dec(saving), "reduction": dec(reduction), "verified_m3": verified, "right_m3": volume,
              "permitted_m3": run_permit.annual_volume_m3, "remaining_min_m3": min(avail.values()), "years": years}
    return Computation(inputs, formula, formula_en, lines, totals, volume, legal_basis=f"取水许可证 {run_permit.number}")


# ---------------------------------------------------------------------------------------------
# A4: associations and households
# ---------------------------------------------------------------------------------------------


def district_permit_right(district) -> tuple[Any, WaterRight | None]:
    """The district's active permit and its registered withdrawal right (None, None without a permit)."""
    permit_obj = (reg.WithdrawalPermit.objects.filter(irrigation_district=district, status__in=["new", "changed", "renewed"])
                  .order_by("-valid_to").first())
    if permit_obj is None:
        return None, None
    return permit_obj, ledger.right_for_permit(permit_obj)


def agricultural_cap(region) -> tuple[int, str]:
    """A county's agricultural cap where a district has no permit: Table 2-1 gives sector targets for
    the city only, so the county's is its total target × the city's agricultural share."""
    nanyang = city()
    c = reg.DualControlTarget.objects.filter(region=nanyang, year=2025).first()
    t = reg.DualControlTarget.objects.filter(region=region, year=2025).first()
    if c is None or t is None or not c.agricultural_m3:
        raise Conflict("no_agricultural_cap", f"{region.name}没有可用的农业用水总量控制指标", f"No agricultural cap for {region.name}")
    cap = floor_m3(Decimal(t.total_m3) * Decimal(c.agricultural_m3) / Decimal(c.total_m3))
    return cap, f"{region.name}总量 {t.total_m3:,} × 全市农业 {yi(c.agricultural_m3)} ÷ 全市总量 {yi(c.total_m3)} = {cap:,} 立方米"


def irrigation_parent(district, years: list[int]) -> dict:
    """Where association rights are drawn from (A4): the district permit's withdrawal right, or the
    county's regional right under the agricultural cap where the district has no permit."""
    if district.region_id is None:
        raise ValidationFailed("district_without_region", f"{district.name}未登记所在行政区，不能分配", f"{district.name} has no region")
    permit_obj, right = district_permit_right(district)
    if permit_obj is not None:
        if right is None or right.status != RightStatus.ACTIVE:
            raise Conflict("district_permit_not_registered",
                           f"{district.name}取水许可证 {permit_obj.number} 的取水权尚未登记，须先核定登记（A3）",
                           f"The withdrawal right of {district.name}'s permit {permit_obj.number} is not registered yet (A3 first)")
        limit = right.annual_volume_m3
        basis = f"灌区取水许可证 {permit_obj.number} 取水权 {right.number}：{limit:,} 立方米/年"
        already_qs = WaterRight.objects.filter(parent=right, kind=RightKind.IRRIGATION)
    else:
        right = county_right(district.region)
        limit, basis = agricultural_cap(district.region)
        basis = f"灌区未发取水许可，不得超出农业用水总量控制指标：{basis}"
        already_qs = WaterRight.objects.filter(parent=right, kind=RightKind.IRRIGATION)
    outside = [y for y in years if not right.covers_year(y)]
    if outside:
        raise ValidationFailed("years_outside_parent", f"{outside} 年不在{right.name}的有效期内", f"{outside} are outside the validity of {right.number}")
    already_qs = already_qs.exclude(status=RightStatus.CANCELLED).filter(valid_from__lte=dt.date(years[-1], 12, 31), valid_to__gte=dt.date(years[0], 1, 1))
    already = already_qs.aggregate(s=Sum("annual_volume_m3"))["s"] or 0
    return {"permit": permit_obj, "right": right, "limit": limit, "basis": basis, "already": already}


def comprehensive_quota(district, frequency: Decimal) -> dict:
    profile = IrrigationProfile.objects.filter(district=district).first()
    if profile is None:
        # No district-specific parameters: the city's coefficient target (§2.1) by default.
        from .params import IRRIGATION_COEFFICIENT

        profile = IrrigationProfile(district=district, coefficient=IRRIGATION_COEFFICIENT.value,
                                    basis=f"默认值：参数 allocation.irrigation_coefficient_default（§2.1 目标 {IRRIGATION_COEFFICIENT.default}）")
    shares = list(PlantingShare.objects.filter(district=district).order_by("-share", "crop"))
    if not shares:
        raise ValidationFailed("no_planting", f"{district.name}未填报种植结构", f"{district.name} has no planting structure")
    total_share = sum(s.share for s in shares)
    if total_share != 1:
        raise ValidationFailed("planting_not_one", f"{district.name}各作物种植比例之和为 {dec(total_share)}，应为1",
                               f"The planting shares of {district.name} sum to {dec(total_share)}, not 1")
    crops = []
    q_net = Decimal(0)
    for s in shares:
        table = [(q.frequency, q.net_quota_m3_per_mu) for q in CropQuota.objects.filter(crop=s.crop, zone=profile.zone)]
        if not table:
            raise ValidationFailed("no_crop_quota", f"没有{Crop(s.crop).label}（{profile.zone}）的灌溉定额", f"No irrigation quota for {s.crop} in {profile.zone}")
        q, how = interpolate(table, Decimal(frequency))
        q_net += s.share * q
        crops.append({"crop": str(Crop(s.crop).label), "share": dec(s.share), "net_quota": dec(q), "how": how["rule"],
                      "weighted": dec(s.share * q)})
    eta = profile.coefficient
    q_gross = (q_net / eta).quantize(Q4, rounding=ROUND_DOWN)
    return {"profile": profile, "crops": crops, "q_net": q_net, "eta": eta, "q_gross": q_gross}


def irrigation(district, associations: list, frequency: Decimal, years: list[int]) -> Computation:
    if not associations:
        raise ValidationFailed("no_associations", "请选择至少一个农民用水者协会", "Choose at least one association")
    for a in associations:
        if a.district_id != district.pk:
            raise ValidationFailed("association_outside_district", f"{a.name} 不属于{district.name}", f"{a.name} is not in {district.name}")
    taken = WaterRight.objects.filter(association__in=associations, kind=RightKind.IRRIGATION).exclude(status=RightStatus.CANCELLED).filter(
        valid_from__lte=dt.date(years[-1], 12, 31), valid_to__gte=dt.date(years[0], 1, 1))
    if taken.exists():
        names = "、".join(sorted({r.holder_name for r in taken}))
        raise Conflict("already_allocated", f"{names} 在所选年度已有灌溉用水权", f"{names} already hold irrigation rights in these years")
    q = comprehensive_quota(district, frequency)
    parent = irrigation_parent(district, years)
    lines: list[LineSpec] = []
    assoc_total = 0
    household_count = 0
    for a in sorted(associations, key=lambda x: x.name):
        exact = a.effective_area_mu * q["q_gross"]
        volume = floor_m3(exact)
        aline = LineSpec(LineRole.RIGHT, a.name, volume, association=a, region=a.region, irrigation_district=district,
                         use=WaterUse.AGRICULTURAL, exact=dec(exact),
                         detail={"area_mu": dec(a.effective_area_mu), "q_gross": dec(q["q_gross"])})
        lines.append(aline)
        assoc_total += volume
        households = [h for h in a.households.order_by("code") if h.planted_area_mu > 0]
        if households and volume > 0:
            parts = split_by_weights(volume, [h.planted_area_mu for h in households])
            planted = sum(h.planted_area_mu for h in households)
            aline.detail["planted_mu"] = dec(planted)
            aline.detail["households"] = len(households)
            for h, part in zip(households, parts, strict=True):
                lines.append(LineSpec(LineRole.RIGHT, h.code, part, household=h, association=a, region=a.region, use=WaterUse.AGRICULTURAL,
                                      parent=aline, exact=dec((Decimal(volume) * h.planted_area_mu / planted).quantize(Q4)),
                                      detail={"planted_mu": dec(h.planted_area_mu)}))
                household_count += 1
    limit, already = parent["limit"], parent["already"]
    if already + assoc_total > limit:
        raise RuleViolation(
            "A4", "over_district_permit" if parent["permit"] else "over_agricultural_cap",
            f"协会水权之和超限：本次 {assoc_total:,} 立方米 + 已登记 {already:,} 立方米 = {already + assoc_total:,} 立方米，"
            f"超过{'灌区取水许可水量' if parent['permit'] else '农业用水总量控制指标'} {limit:,} 立方米（A4）",
            f"Association rights would sum to {already + assoc_total:,} m³ (this {assoc_total:,} + registered {already:,}), over the "
            f"{'district permit' if parent['permit'] else 'agricultural cap'} of {limit:,} m³ (A4)",
            detail={"limit_m3": limit, "already_m3": already, "this_m3": assoc_total, "excess_m3": already + assoc_total - limit},
        )
    avail = remaining(parent["right"], years)
    short = {y: v for y, v in avail.items() if v < assoc_total}
    if short:
        year, v = min(short.items(), key=lambda kv: kv[1])
        raise InsufficientVolume("A4", "insufficient_volume",
                                 f"{parent['right'].name} {year}年可用水量 {v:,} 立方米，不足本次分配 {assoc_total:,} 立方米（A4）",
                                 f"{parent['right'].number} has {v:,} m³ available in {year}, {assoc_total:,} m³ needed (A4)",
                                 detail={"shortfalls": [{"right": parent["right"].number, "year": y, "available_m3": v2, "needed_m3": assoc_total,
                                                         "short_m3": assoc_total - v2} for y, v2 in sorted(short.items())]})
    crops_text = " + ".join(f"{c['share']} × {c['net_quota']}" for c in q["crops"])
    inputs = {
        "district": district.name, "zone": q["profile"].zone, "frequency": dec(frequency), "coefficient": dec(q["eta"]),
        "coefficient_basis": q["profile"].basis, "planting": q["crops"], "q_net": dec(q["q_net"]), "q_gross": dec(q["q_gross"]),
        "associations": [{"name": a.name, "area_mu": dec(a.effective_area_mu)} for a in associations],
        "parent_right": parent["right"].number, "limit_m3": limit, "limit_basis": parent["basis"], "already_m3": already,
        "years": years,
    }
    formula = (
        f"灌溉用水户水权（A4）：协会水权 = 有效灌溉面积 × 综合毛灌溉定额\n"
        f"  综合净灌溉定额 q净 = Σ(种植比例 × 作物净灌溉定额, P={dec(frequency)}%) = {crops_text} = {dec(q['q_net'].quantize(Q4))} 立方米/亩\n"
        f"  综合毛灌溉定额 q毛 = q净 ÷ η = {dec(q['q_net'].quantize(Q4))} ÷ {dec(q['eta'])} = {dec(q['q_gross'])} 立方米/亩（按毛定额核定，含输水损失，"
        f"即灌区取水口处水量，与取水许可口径一致；保留4位小数向下截取）\n"
        f"  协会水权 = 面积 × q毛，向下取整到立方米；用水户水权 = 协会水权按种植面积比例分配（最大余数法，合计恰等于协会水权）\n"
        f"  本次协会水权合计 {assoc_total:,} 立方米 + 已登记 {already:,} 立方米 ≤ {limit:,} 立方米（{parent['basis']}）\n"
        f"  {years[0]}–{years[-1]}年逐年记账。"
    )
    formula_en = (
        f"Irrigation rights (A4): association right = effective irrigated area × gross comprehensive quota; q_net = Σ share × crop net quota "
        f"(P={dec(frequency)}%) = {dec(q['q_net'].quantize(Q4))} m³/mu; q_gross = q_net ÷ η ({dec(q['eta'])}) = {dec(q['q_gross'])} m³/mu "
        f"(gross: water at the district intake, the permit's measure); rounded down to m³; households by planted area (largest remainder). "
        f"Total {assoc_total:,} + registered {already:,} ≤ {limit:,} m³."
    )
    totals = {"associations_m3": assoc_total, "associations": len(associations), "households": household_count,
              "limit_m3": limit, "already_m3": already, "remaining_m3": limit - already - assoc_total,
              "q_net": dec(q["q_net"]), "q_gross": dec(q["q_gross"]), "years": years}
    legal = parent["basis"]
    return Computation(inputs, formula, formula_en, lines, totals, assoc_total, legal_basis=f"{district.name}灌溉用水户初始水权分配（{legal}）")

"""Load the Nanyang figures (the seed's tables, transcribed in ``data/nanyang/``) into the registry.

Every figure is converted exactly (``core.units.to_m3`` refuses anything that is not a whole
number of cubic metres) and loaded with ``update_or_create`` on natural keys, so loading twice
changes nothing. Printed totals are kept as the seed prints them (``kind=printed_total`` or
``is_printed_total``); sums are always computed from the rows, never adjusted to match.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from shuiquan.core.units import WAN, to_m3

from . import models as m
from .choices import (
    AuthorityLevel,
    DistrictKind,
    DistrictScale,
    QuotaKind,
    RegionKind,
    SourceKind,
    StatisticKind,
    WaterUse,
)

CITY_CODE = "411300"
VERSION = "2026-11-28"

REGION_EN = {
    "南阳市": "Nanyang", "宛城区": "Wancheng District", "卧龙区": "Wolong District", "南召县": "Nanzhao County",
    "方城县": "Fangcheng County", "西峡县": "Xixia County", "镇平县": "Zhenping County", "内乡县": "Neixiang County",
    "淅川县": "Xichuan County", "社旗县": "Sheqi County", "唐河县": "Tanghe County", "新野县": "Xinye County",
    "桐柏县": "Tongbai County", "邓州市": "Dengzhou City", "高新区": "High-tech Zone",
    "城乡一体化示范区": "Urban-Rural Integration Zone", "官庄工区": "Guanzhuang Zone", "鸭河工区": "Yahe Zone",
    "中心城区": "Central urban area", "河南省": "Henan Province",
}

#: Members of the 中心城区 receiving area (Table 2-2 names it as one area): the two districts and
#: the central functional zones. 官庄工区 has its own quota; 鸭河工区 is outside the central city.
CENTRAL_URBAN_MEMBERS = ["宛城区", "卧龙区", "高新区", "城乡一体化示范区"]

#: County seats (lon, lat), from the Nanyang map's label points; used to place demo intakes.
COUNTY_SEATS = {
    "411302": ("112.539558", "33.003784"), "411303": ("112.528789", "32.989877"),
    "411321": ("112.429133", "33.489877"), "411322": ("113.012494", "33.254391"),
    "411323": ("111.473530", "33.307294"), "411324": ("112.234697", "33.034110"),
    "411325": ("111.849392", "33.044864"), "411326": ("111.490964", "33.137820"),
    "411327": ("112.948245", "33.056109"), "411328": ("112.807636", "32.681335"),
    "411329": ("112.360026", "32.520805"), "411330": ("113.428287", "32.380073"),
    "411381": ("112.087493", "32.687580"),
}

#: GB/T 4754-2017 sections (门类) and the divisions (大类) the demo uses.
SECTORS = [
    ("A", "农、林、牧、渔业", None, WaterUse.AGRICULTURAL), ("B", "采矿业", None, WaterUse.INDUSTRIAL),
    ("C", "制造业", None, WaterUse.INDUSTRIAL), ("D", "电力、热力、燃气及水生产和供应业", None, WaterUse.INDUSTRIAL),
    ("E", "建筑业", None, WaterUse.INDUSTRIAL), ("F", "批发和零售业", None, WaterUse.DOMESTIC),
    ("G", "交通运输、仓储和邮政业", None, WaterUse.DOMESTIC), ("H", "住宿和餐饮业", None, WaterUse.DOMESTIC),
    ("I", "信息传输、软件和信息技术服务业", None, WaterUse.DOMESTIC), ("J", "金融业", None, WaterUse.DOMESTIC),
    ("K", "房地产业", None, WaterUse.DOMESTIC), ("L", "租赁和商务服务业", None, WaterUse.DOMESTIC),
    ("M", "科学研究和技术服务业", None, WaterUse.DOMESTIC), ("N", "水利、环境和公共设施管理业", None, WaterUse.ECOLOGICAL),
    ("O", "居民服务、修理和其他服务业", None, WaterUse.DOMESTIC), ("P", "教育", None, WaterUse.DOMESTIC),
    ("Q", "卫生和社会工作", None, WaterUse.DOMESTIC), ("R", "文化、体育和娱乐业", None, WaterUse.DOMESTIC),
    ("S", "公共管理、社会保障和社会组织", None, WaterUse.DOMESTIC), ("T", "国际组织", None, WaterUse.DOMESTIC),
    ("01", "农业", "A", WaterUse.AGRICULTURAL), ("03", "畜牧业", "A", WaterUse.AGRICULTURAL),
    ("13", "农副食品加工业", "C", WaterUse.INDUSTRIAL), ("14", "食品制造业", "C", WaterUse.INDUSTRIAL),
    ("15", "酒、饮料和精制茶制造业", "C", WaterUse.INDUSTRIAL), ("17", "纺织业", "C", WaterUse.INDUSTRIAL),
    ("22", "造纸和纸制品业", "C", WaterUse.INDUSTRIAL), ("26", "化学原料和化学制品制造业", "C", WaterUse.INDUSTRIAL),
    ("27", "医药制造业", "C", WaterUse.INDUSTRIAL), ("30", "非金属矿物制品业", "C", WaterUse.INDUSTRIAL),
    ("31", "黑色金属冶炼和压延加工业", "C", WaterUse.INDUSTRIAL), ("44", "电力、热力生产和供应业", "D", WaterUse.INDUSTRIAL),
    ("46", "水的生产和供应业", "D", WaterUse.DOMESTIC), ("78", "公共设施管理业", "N", WaterUse.URBAN_ENVIRONMENT),
    ("83", "教育", "P", WaterUse.DOMESTIC),
]

#: Groundwater overdraft areas the seed names (§1.2: 唐河超采区, 新野县超采区).
OVERDRAFT_COUNTIES = {"411328", "411329"}


def data_dir() -> Path:
    return Path(settings.SHUIQUAN_DATA_DIR)


def rows(name: str) -> list[dict[str, str]]:
    with open(data_dir() / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _wan_mu(value: str) -> Decimal | None:
    return (Decimal(value) * WAN) if value else None


@transaction.atomic
def load() -> dict[str, int]:
    """Load (or refresh) every seed figure; return counts by table."""
    counts: dict[str, int] = {}
    regions = _load_regions()
    counts["regions"] = m.Region.objects.count()
    counts["water_resources"] = _load_table_1_1(regions)
    counts["water_use_statistics"] = _load_table_1_2(regions)
    counts["dual_control_targets"], counts["nonconventional_minimums"] = _load_table_2_1(regions)
    counts["indicators"] = _load_indicators(regions)
    counts["basins"], counts["rivers"] = _load_basins_rivers()
    counts["reservoirs"] = _load_reservoirs(regions)
    counts["zones"] = _load_zones()
    counts["districts"] = _load_districts(regions)
    counts["snwd_quotas"] = _load_table_2_2(regions)
    counts["sectors"] = _load_sectors()
    counts["authorities"] = _load_authorities(regions)
    counts["sources"] = _load_sources(regions)
    return counts


def _load_regions() -> dict[str, m.Region]:
    out: dict[str, m.Region] = {}
    province, _ = m.Region.objects.update_or_create(
        name="河南省", defaults={"code": "410000", "kind": RegionKind.PROVINCE, "name_en": "Henan Province", "sort_order": 0}
    )
    for order, row in enumerate(rows("regions.csv"), start=1):
        parent = out.get(row["parent_code"]) if row["parent_code"] else province
        region, _ = m.Region.objects.update_or_create(
            name=row["name"],
            defaults={
                "code": row["code"] or None,
                "kind": row["kind"],
                "parent": parent,
                "name_en": REGION_EN.get(row["name"], ""),
                "sort_order": order,
                "comments": row["note"],
            },
        )
        out[row["code"] or row["name"]] = region
        out[row["name"]] = region
    central, _ = m.Region.objects.update_or_create(
        name="中心城区",
        defaults={"kind": RegionKind.RECEIVING_AREA, "parent": out[CITY_CODE], "name_en": "Central urban area",
                  "sort_order": 50, "comments": "南水北调受水区（表2-2）：宛城区、卧龙区及中心城区功能区"},
    )
    central.members.set([out[n] for n in CENTRAL_URBAN_MEMBERS])
    out["中心城区"] = central
    out["河南省"] = province
    return out


def _load_table_1_1(regions) -> int:
    n = 0
    for row in rows("water_resources_by_county.csv"):
        region = regions[row["region_code"]]
        m.RegionWaterResources.objects.update_or_create(
            region=region,
            defaults={
                "mean_precip_mm": Decimal(row["mean_annual_precip_mm"]),
                "mean_runoff_depth_mm": Decimal(row["mean_runoff_depth_mm"]),
                "water_resources_m3": to_m3(row["mean_annual_water_resources_10k_m3"], "10k_m3"),
                "is_printed_total": row["region_code"] == CITY_CODE,
            },
        )
        n += 1
    return n


def _load_table_1_2(regions) -> int:
    n = 0
    for row in rows("water_use_2017_2021.csv"):
        region = regions[row["region_code"]]
        kind = StatisticKind.PRINTED_TOTAL if row["region_code"] == CITY_CODE else StatisticKind.ROW
        for year in range(2017, 2022):
            m.WaterUseStatistic.objects.update_or_create(
                region=region, year=year, use="", kind=kind,
                defaults={"volume_m3": to_m3(row[f"y{year}_100m_m3"], "100m_m3"), "source_section": "表1-2"},
            )
            n += 1
    return n


def _load_table_2_1(regions) -> tuple[int, int]:
    targets = minimums = 0
    city_split = {r["indicator"]: r["value"] for r in rows("city_indicators.csv") if r["year"] == "2025"}
    for row in rows("dual_control_targets_2025.csv"):
        region = regions[row["region_code"]]
        defaults = {"total_m3": to_m3(row["total_use_target_2025_100m_m3"], "100m_m3"), "source_section": "表2-1"}
        if row["region_code"] == CITY_CODE:
            defaults.update(
                domestic_m3=to_m3(city_split["target_domestic"], "100m_m3"),
                industrial_m3=to_m3(city_split["target_industry"], "100m_m3"),
                agricultural_m3=to_m3(city_split["target_agriculture"], "100m_m3"),
                ecological_m3=to_m3(city_split["target_ecological"], "100m_m3"),
                per_10k_gdp_m3=Decimal(city_split["water_use_per_10k_yuan_gdp_target"]),
                per_10k_industrial_va_m3=Decimal(city_split["water_use_per_10k_yuan_industrial_va_target"]),
                irrigation_coefficient=Decimal(city_split["irrigation_water_effective_use_coefficient_target"]),
                source_section="表2-1、§2.1",
            )
        m.DualControlTarget.objects.update_or_create(region=region, year=2025, defaults=defaults)
        targets += 1
        for year in range(2021, 2026):
            value = row[f"nonconventional_min_{year}_100m_m3"].strip()
            if not value:
                continue
            m.NonConventionalMinimum.objects.update_or_create(
                region=region, year=year, defaults={"volume_m3": to_m3(value, "100m_m3"), "source_section": "表2-1"}
            )
            minimums += 1
    return targets, minimums


def _load_indicators(regions) -> int:
    city = regions[CITY_CODE]
    n = 0
    for row in rows("city_indicators.csv"):
        m.Indicator.objects.update_or_create(
            key=row["indicator"], region=city, year=int(row["year"]) if row["year"] else None,
            defaults={"value": Decimal(row["value"]), "unit": row["unit"], "source_section": row["source_section"]},
        )
        n += 1
    return n


def _load_basins_rivers() -> tuple[int, int]:
    basins: dict[str, m.Basin] = {}
    rivers = 0
    data = rows("rivers_and_basins.csv")
    for row in data:
        if row["kind"] in ("major_basin", "basin"):
            basins[row["name"]], _ = m.Basin.objects.update_or_create(
                name=row["name"],
                defaults={"parent": basins.get(row["parent"]), "area_km2": Decimal(row["area_km2"]) if row["area_km2"] else None,
                          "facts": row["facts"]},
            )
    for row in data:
        if row["kind"] == "river":
            m.River.objects.update_or_create(
                name=row["name"],
                defaults={
                    "basin": basins.get(row["parent"]),
                    "length_km": Decimal(row["length_km"]) if row["length_km"] else None,
                    "area_km2": Decimal(row["area_km2"]) if row["area_km2"] else None,
                    "facts": row["facts"],
                },
            )
            rivers += 1
    return len(basins), rivers


def _load_reservoirs(regions) -> int:
    n = 0
    rivers = {"鸭河口水库": "白河", "虎山水库": "唐河"}
    for row in rows("reservoirs.csv"):
        def vol(col, row=row):
            return to_m3(row[col], "10k_m3") if row[col] else None

        m.Reservoir.objects.update_or_create(
            name=row["name"],
            defaults={
                "region": regions.get(row["region_code"]) if row["region_code"] else None,
                "river": m.River.objects.filter(name=rivers.get(row["name"], "")).first(),
                "catchment_km2": Decimal(row["catchment_km2"]) if row["catchment_km2"] else None,
                "total_capacity_m3": vol("total_capacity_10k_m3"),
                "beneficial_capacity_m3": vol("beneficial_capacity_10k_m3"),
                "dead_capacity_m3": vol("dead_capacity_10k_m3"),
                "purposes": row["purposes"],
            },
        )
        n += 1
    return n


def _load_zones() -> int:
    data = rows("water_resource_zones.csv")
    for row in data:
        m.WaterResourceZone.objects.update_or_create(name=row["name"], defaults={"level": row["level"]})
    return len(data)


def _load_districts(regions) -> int:
    facts = {
        "打磨岗灌区": {
            "towns": ["马山口镇", "余关镇", "王店镇", "湍东镇"], "administrative_villages": 32, "natural_villages": 86,
            "main_pipes_km": "23.4 (2条)", "branch_pipes_km": "47.12 (7条)", "lateral_pipes_km": "334.5 (1100条)",
            "mobile_hoses_km": "299.8", "valve_houses": 550, "outlets": 5141, "since": "骨干工程始建于2003年，开灌于2006年",
        },
        "虎山灌区": {
            "towns": ["马振抚", "昝岗", "上屯"], "administrative_villages": 32, "main_canal_km": "24.5 (9.3 m³/s)",
            "gravity_branch_canals_km": "28 (4条)", "lift_branch_canals_km": "7.8 (2条)", "drains_km": 71,
            "farm_canals_km": 448, "structures": 7876, "remote_metering_sites": 27, "gate_automation": 8,
            "monitoring_points": 50, "cooperatives": 7, "cooperatives_since": 2019,
            "lift_area_note": "提灌面积§1.4为1.3万亩，§2.2为2万亩；此处取§1.4数值",
        },
    }
    n = 0
    for row in rows("irrigation_districts.csv"):
        name = row["name"]
        kind = DistrictKind.PIPE if row["kind"].startswith("pipe") else DistrictKind.CANAL
        design = _wan_mu(row["design_irrigated_area_10k_mu"])
        scale = DistrictScale.LARGE if (design or 0) >= 300000 else DistrictScale.MEDIUM
        defaults = {
            "region": regions.get(row["region_code"]) if row["region_code"] else None,
            "kind": kind,
            "scale": scale,
            "water_source": row["source"],
            "reservoir": m.Reservoir.objects.filter(name__in=[s.strip() for s in row["source"].replace("(", "+").split("+")]).first(),
            "design_area_mu": design,
            "effective_area_mu": _wan_mu(row["effective_or_current_irrigated_area_10k_mu"]),
            "farmland_mu": _wan_mu(row["farmland_10k_mu"]),
            "facts_text": row["facts"],
            "facts": facts.get(name, {}),
            "is_pilot": name in ("打磨岗灌区", "虎山灌区"),
        }
        if name == "打磨岗灌区":
            defaults.update(metering_sets=1114, metering_sets_to_upgrade=17)
        if name == "虎山灌区":
            defaults.update(gravity_area_mu=Decimal("85000"), lift_area_mu=Decimal("13000"), metering_sets_to_upgrade=40)
        m.IrrigationDistrict.objects.update_or_create(name=name, defaults=defaults)
        n += 1
    return n


def _load_table_2_2(regions) -> int:
    n = 0
    for row in rows("snwd_town_quotas.csv"):
        name = row["receiving_area"]
        if name == "全市":
            continue
        area = {"官庄县": regions["官庄工区"], "邓州": regions["411381"], "中心城区": regions["中心城区"]}.get(name) or regions[name]
        m.SnwdQuota.objects.update_or_create(
            receiving_area=area, kind=QuotaKind.URBAN,
            defaults={"volume_m3": to_m3(row["quota_10k_m3"], "10k_m3"), "printed_name": name, "source_section": "表2-2"},
        )
        n += 1
    yindan = m.IrrigationDistrict.objects.get(name="引丹灌区")
    m.SnwdQuota.objects.update_or_create(
        irrigation_district=yindan, kind=QuotaKind.AGRICULTURAL,
        defaults={"volume_m3": to_m3("6", "100m_m3"), "printed_name": "引丹灌区", "source_section": "§2.3"},
    )
    return n + 1


def _load_sectors() -> int:
    for code, name, parent, use in SECTORS:
        m.Sector.objects.update_or_create(
            code=code, defaults={"name": name, "parent": m.Sector.objects.filter(code=parent).first() if parent else None,
                                 "default_use": use},
        )
    return len(SECTORS)


def _load_authorities(regions) -> int:
    items = [
        ("河南省水利厅", AuthorityLevel.PROVINCE, regions["河南省"]),
        ("水利部长江水利委员会", AuthorityLevel.BASIN, None),
        ("南阳市水利局", AuthorityLevel.CITY, regions[CITY_CODE]),
    ]
    for region in m.Region.objects.filter(kind__in=["district", "county", "county_city"]):
        items.append((f"{region.name}水利局", AuthorityLevel.COUNTY, region))
    for name, level, region in items:
        m.Authority.objects.update_or_create(name=name, defaults={"level": level, "region": region})
    return len(items)


def _load_sources(regions) -> int:
    n = 0
    zone_tb = m.WaterResourceZone.objects.filter(name="唐白河区").first()
    for river in m.River.objects.all():
        m.WaterSource.objects.update_or_create(
            name=f"{river.name}地表水",
            defaults={"kind": SourceKind.RIVER, "river": river, "zone": zone_tb if river.basin and river.basin.name == "唐白河流域" else None},
        )
        n += 1
    for res in m.Reservoir.objects.all():
        m.WaterSource.objects.update_or_create(
            name=res.name, defaults={"kind": SourceKind.RESERVOIR, "reservoir": res, "region": res.region, "river": res.river}
        )
        n += 1
    m.WaterSource.objects.update_or_create(
        name="南水北调中线工程", defaults={"kind": SourceKind.SNWD, "comments": "丹江口水库；渠首在淅川县陶岔"}
    )
    n += 1
    for region in m.Region.objects.filter(kind__in=["district", "county", "county_city"]):
        m.WaterSource.objects.update_or_create(
            name=f"{region.name}浅层地下水", defaults={"kind": SourceKind.GROUNDWATER, "region": region}
        )
        if region.code in OVERDRAFT_COUNTIES:
            m.WaterSource.objects.update_or_create(
                name=f"{region.name}浅层地下水（超采区）",
                defaults={"kind": SourceKind.GROUNDWATER, "region": region, "is_overdraft_area": True,
                          "comments": "§1.2：唐河超采区、新野县超采区"},
            )
            n += 1
        m.WaterSource.objects.update_or_create(
            name=f"{region.name}再生水", defaults={"kind": SourceKind.NONCONVENTIONAL, "region": region}
        )
        n += 2
    return n


# ---------------------------------------------------------------------------------------------
# Which records the loader maintains (they are refreshed from the seed on every load, so the
# pages and the API treat them as read-only: an edit would be silently undone by the next load)
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def seeded_names() -> dict[str, frozenset[str]]:
    """Natural keys (names) of the records ``load()`` creates, by model name."""
    regions = rows("regions.csv")
    counties = [r["name"] for r in regions if r["kind"] in ("district", "county", "county_city")]
    overdraft = [r["name"] for r in regions if r["code"] in OVERDRAFT_COUNTIES]
    water_bodies = rows("rivers_and_basins.csv")
    rivers = [r["name"] for r in water_bodies if r["kind"] == "river"]
    reservoirs = [r["name"] for r in rows("reservoirs.csv")]
    return {
        "region": frozenset([r["name"] for r in regions] + ["河南省", "中心城区"]),
        "basin": frozenset(r["name"] for r in water_bodies if r["kind"] in ("major_basin", "basin")),
        "river": frozenset(rivers),
        "reservoir": frozenset(reservoirs),
        "waterresourcezone": frozenset(r["name"] for r in rows("water_resource_zones.csv")),
        "irrigationdistrict": frozenset(r["name"] for r in rows("irrigation_districts.csv")),
        "authority": frozenset(["河南省水利厅", "水利部长江水利委员会", "南阳市水利局"] + [f"{c}水利局" for c in counties]),
        "watersource": frozenset(
            [f"{r}地表水" for r in rivers] + reservoirs + ["南水北调中线工程"]
            + [f"{c}浅层地下水" for c in counties] + [f"{c}再生水" for c in counties]
            + [f"{c}浅层地下水（超采区）" for c in overdraft]
        ),
    }


def is_seeded(obj) -> bool:
    """True if ``obj`` is one of the records the seed loader maintains."""
    names = seeded_names().get(obj._meta.model_name)
    return bool(names) and getattr(obj, "name", None) in names

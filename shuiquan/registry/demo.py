"""Generated demo data for the registry, labelled ``is_demo=True`` and shown as 演示数据.

The seed gives no permit holders, associations, households or meters, so a plausible set is
generated for every county with a fixed random seed (the same every time): enterprises in
several GB/T 4754 sectors, a public water-supply company, withdrawal permits with intakes and
meters (some permits deliberately lack online metering so the M1 checks have something to find),
the Damogang district's associations and the Hushan district's seven cooperatives (the seed's
facts) with villager groups and households.

``size="full"`` is what ``make run`` loads; ``size="small"`` (a few households per association)
is what the tests load.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from shuiquan.core.units import split_by_weights

from . import models as m
from .choices import AssociationKind, IntakeKind, MeterProtocol, WaterUse, WaterUserKind, WithdrawalMethod
from .seed import COUNTY_SEATS
from .validators import CREDIT_CODE_CHARS, credit_code_check_char, resident_id_check_char

SEED = 20261128

WORDS_A = ["宏源", "恒达", "金鼎", "华润", "天冠", "昌盛", "鑫源", "瑞丰", "博远", "中兴", "富康", "永安", "汇通", "新光", "嘉禾", "泰和"]
WORDS_B = {
    "13": ["食品", "粮油", "淀粉", "肉制品"], "15": ["酒业", "饮品"], "17": ["纺织", "棉纺"], "22": ["纸业"],
    "26": ["化工", "精细化工"], "27": ["药业", "生物制药"], "30": ["建材", "水泥"], "44": ["热电", "能源"],
    "03": ["牧业", "养殖"], "31": ["钢铁"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国军华明红梅丽强伟芳娜敏静磊洋艳勇杰涛超霞平刚桂英玉兰秀云峰海燕鹏飞志宏新春玲雪凤光辉德福顺安"

DAMOGANG_ASSOCIATIONS = [
    ("马山口镇", "马山口"), ("马山口镇", "马山口东"), ("余关镇", "余关"), ("余关镇", "余关北"),
    ("王店镇", "王店"), ("王店镇", "王店西"), ("湍东镇", "湍东"), ("湍东镇", "湍东南"),
]
HUSHAN_COOPERATIVES = [
    ("马振抚乡", "马振抚"), ("马振抚乡", "马振抚南"), ("昝岗乡", "昝岗"), ("昝岗乡", "昝岗东"),
    ("上屯镇", "上屯"), ("上屯镇", "上屯北"), ("上屯镇", "上屯西"),
]


def credit_code(rng: random.Random, admin_code: str, prefix: str = "91") -> str:
    """A valid (check character included) but invented code: 91 = enterprise, 12 = institution."""
    body = "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(9))
    first17 = prefix + admin_code + body
    return first17 + credit_code_check_char(first17)


def resident_id(rng: random.Random, admin_code: str) -> str:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
    first17 = f"{admin_code}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + resident_id_check_char(first17)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _near(seat: tuple[str, str], rng: random.Random) -> tuple[Decimal, Decimal]:
    lon = Decimal(seat[0]) + Decimal(rng.randrange(-1500, 1500)) / Decimal(10000)
    lat = Decimal(seat[1]) + Decimal(rng.randrange(-1000, 1000)) / Decimal(10000)
    return lon.quantize(Decimal("0.000001")), lat.quantize(Decimal("0.000001"))


class _Serials:
    def __init__(self):
        self.counters: dict[tuple[str, int], int] = {}

    def next(self, code: str, year: int) -> str:
        key = (code, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        return f"{code}-{year}-{9000 + self.counters[key]:04d}"


def load(size: str = "full") -> dict[str, int]:
    rng = random.Random(SEED)
    serials = _Serials()
    counts = {"water_users": 0, "permits": 0, "intakes": 0, "devices": 0, "associations": 0, "households": 0}
    city_authority = m.Authority.objects.get(name="南阳市水利局")
    sectors = {s.code: s for s in m.Sector.objects.all()}
    counties = list(m.Region.objects.filter(kind__in=["district", "county", "county_city"]).order_by("sort_order"))
    per_county = 6 if size == "full" else 3
    device_no = 0

    def add_permit(holder, region, source, use, sector, volume, year, *, method, district=None, online=True, kind=IntakeKind.SURFACE_INTAKE,
                   authority=None, protocol=None):
        nonlocal device_no
        authority = authority or m.Authority.objects.get(region=region)
        issued = dt.date(year, rng.randrange(1, 12), rng.randrange(1, 28))
        valid_from = issued
        valid_to = dt.date(issued.year + 5, issued.month, issued.day) - dt.timedelta(days=1)
        permit = m.WithdrawalPermit(
            number=serials.next(authority.admin_code, year), holder=holder, region=region,
            approving_authority=authority, supervising_authority=m.Authority.objects.get(region=region),
            source=source, withdrawal_method=method, use=use, sector=sector, annual_volume_m3=volume,
            max_daily_volume_m3=volume // 300, issued_on=issued, valid_from=valid_from, valid_to=valid_to,
            return_water_location=f"{region.name}污水处理厂" if use == WaterUse.INDUSTRIAL else "",
            return_water_volume_m3=volume // 5 if use == WaterUse.INDUSTRIAL else None,
            irrigation_district=district, is_demo=True,
        )
        permit.full_clean()
        permit.save()
        counts["permits"] += 1
        lon, lat = _near(COUNTY_SEATS[region.code], rng)
        intake = m.IntakePoint.objects.create(
            code=f"QSK{region.code}{counts['permits']:04d}", name=f"{holder.name}取水口", kind=kind,
            water_user=holder, permit=permit, region=region, source=source, longitude=lon, latitude=lat, is_demo=True,
        )
        counts["intakes"] += 1
        device_no += 1
        protocol = protocol or rng.choice([MeterProtocol.SL651_HEX, MeterProtocol.SZY206, MeterProtocol.MQTT_JSON])
        installed = issued + dt.timedelta(days=rng.randrange(10, 200))
        m.MeteringDevice.objects.create(
            serial=f"NY{device_no:05d}", model=rng.choice(["LDG-100", "TDS-100F", "RTU-651A", "WMS-206"]),
            manufacturer=rng.choice(["河南水文仪器厂（演示）", "南阳测控科技（演示）"]), protocol=protocol,
            station_address=f"00{region.code[2:]}{device_no:04d}" if protocol != MeterProtocol.MQTT_JSON else None,
            intake_point=intake, region=region, is_online=online, meets_standard=online,
            installed_on=installed, calibrated_on=installed, calibration_due=installed + dt.timedelta(days=730),
            is_demo=True,
        )
        counts["devices"] += 1
        return permit

    for county in counties:
        gw = m.WaterSource.objects.get(name=f"{county.name}浅层地下水")
        surface_sources = list(m.WaterSource.objects.filter(kind__in=["river", "reservoir"]).order_by("name"))
        snwd = m.WaterSource.objects.get(kind="snwd")
        supply = m.WaterUser.objects.create(
            name=f"{county.name}自来水有限公司", kind=WaterUserKind.PUBLIC_SUPPLY, credit_code=credit_code(rng, county.code),
            sector=sectors["46"], region=county, address=f"{county.name}城区", is_public_supply=True,
            legal_representative=person_name(rng), contact_name=person_name(rng), contact_phone=f"0377-6{rng.randrange(1000000, 9999999)}",
            is_demo=True,
        )
        counts["water_users"] += 1
        add_permit(supply, county, snwd if county.code != "411323" else rng.choice(surface_sources), WaterUse.DOMESTIC,
                   sectors["46"], rng.randrange(300, 1500) * 10000, rng.choice([2022, 2023]), method=WithdrawalMethod.PIPELINE,
                   authority=city_authority)
        for i in range(per_county):
            code = rng.choice(list(WORDS_B))
            name = f"{county.name[:-1] if len(county.name) > 2 else county.name}{rng.choice(WORDS_A)}{rng.choice(WORDS_B[code])}有限公司"
            while m.WaterUser.objects.filter(name=name).exists():
                name = f"{county.name[:2]}{rng.choice(WORDS_A)}{rng.choice(WORDS_A)}{rng.choice(WORDS_B[code])}有限公司"
            user = m.WaterUser.objects.create(
                name=name, kind=WaterUserKind.ENTERPRISE, credit_code=credit_code(rng, county.code), sector=sectors[code],
                region=county, address=f"{county.name}产业集聚区{rng.randrange(1, 99)}号", legal_representative=person_name(rng),
                contact_name=person_name(rng), contact_phone=f"1{rng.choice('3578')}{rng.randrange(100000000, 999999999)}", is_demo=True,
            )
            counts["water_users"] += 1
            groundwater = i % 3 == 2
            source = gw if groundwater else rng.choice(surface_sources)
            use = WaterUse.AGRICULTURAL if code == "03" else WaterUse.INDUSTRIAL
            volume = rng.randrange(3, 30) * 10000 if groundwater else rng.randrange(20, 300) * 10000
            # Every fifth permit lacks online metering, so the M1 check has findings.
            online = (counts["permits"] % 5) != 3
            add_permit(user, county, source, use, sectors[code], volume, rng.choice([2022, 2023, 2024, 2025]),
                       method=WithdrawalMethod.WELL if groundwater else WithdrawalMethod.PUMPING, online=online,
                       kind=IntakeKind.WELL if groundwater else IntakeKind.SURFACE_INTAKE)

    counts.update(_irrigation(rng, size, add_permit, sectors))
    counts["annual_plans"] = _annual_plans()
    return counts


def _annual_plans() -> int:
    """Annual withdrawal plans (年度取水计划) for 2025 and 2026 of every demo permit valid then:
    80–100 % of the permitted volume, whole 100 m³ (a separate random stream, so adding them
    changes none of the other generated records)."""
    rng = random.Random(SEED + 1)
    plans = []
    for permit in m.WithdrawalPermit.objects.filter(is_demo=True).order_by("pk"):
        for year in (2025, 2026):
            if permit.valid_from.year <= year <= permit.valid_to.year:
                volume = permit.annual_volume_m3 * rng.randrange(80, 101) // 100 // 100 * 100
                plans.append(m.AnnualWithdrawalPlan(permit=permit, year=year, volume_m3=volume, note="演示数据", is_demo=True))
    m.AnnualWithdrawalPlan.objects.bulk_create(plans, batch_size=1000)
    return len(plans)


def _irrigation(rng, size, add_permit, sectors) -> dict[str, int]:
    counts = {"associations": 0, "groups": 0, "households": 0}
    specs = [
        ("打磨岗灌区", "内乡县打磨岗灌区管理局", "打磨岗水库", DAMOGANG_ASSOCIATIONS, AssociationKind.ASSOCIATION, "DMG",
         Decimal("117800"), 22_000_000, WithdrawalMethod.PIPELINE),
        ("虎山灌区", "唐河县虎山灌区管理所", "虎山水库", HUSHAN_COOPERATIVES, AssociationKind.COOPERATIVE, "HS",
         Decimal("105000"), 28_000_000, WithdrawalMethod.GRAVITY),
    ]
    for district_name, unit_name, reservoir, towns, kind, prefix, total_area, permit_volume, method in specs:
        district = m.IrrigationDistrict.objects.get(name=district_name)
        region = district.region
        unit = m.WaterUser.objects.create(
            name=unit_name, kind=WaterUserKind.IRRIGATION_UNIT, credit_code=credit_code(rng, region.code, "12"),
            sector=sectors["01"], region=region, legal_representative=person_name(rng), is_demo=True,
        )
        add_permit(unit, region, m.WaterSource.objects.get(name=reservoir), WaterUse.AGRICULTURAL, sectors["01"],
                   permit_volume, 2023, method=method, district=district, protocol=MeterProtocol.SL651_HEX)
        weights = [rng.randrange(80, 120) for _ in towns]
        areas = split_by_weights(int(total_area), weights)
        for n, ((town, village), area) in enumerate(zip(towns, areas, strict=True), start=1):
            suffix = "农民用水者协会" if kind == AssociationKind.ASSOCIATION else "用水合作社"
            households_target = max(2, area // 25) if size == "full" else 6
            assoc = m.Association.objects.create(
                name=f"{district_name[:-2]}灌区{village}{suffix}", kind=kind, district=district, region=region, town=town,
                villages=f"{village}村", effective_area_mu=Decimal(area), legal_representative=person_name(rng),
                registered_on=dt.date(2019 if prefix == "HS" else 2008, rng.randrange(1, 12), rng.randrange(1, 28)), is_demo=True,
            )
            counts["associations"] += 1
            groups = []
            for g in range(1, (4 if size == "full" else 2) + 1):
                groups.append(m.VillagerGroup.objects.create(association=assoc, village=f"{village}村", name=f"第{g}村民小组", is_demo=True))
                counts["groups"] += 1
            # Planted areas: whole mu with two decimals; in full size they sum to the association's
            # effective area (so A4 and the households' shares agree); in small size the
            # association's area is set to their sum.
            shares = [rng.randrange(60, 140) for _ in range(households_target)]
            if size == "full":
                hundredths = split_by_weights(area * 100, shares)
            else:
                hundredths = [rng.randrange(300, 1500) for _ in shares]
                assoc.effective_area_mu = Decimal(sum(hundredths)) / 100
                assoc.save(update_fields=["effective_area_mu"])
            rows = []
            for h, cents in enumerate(hundredths, start=1):
                rows.append(m.Household(
                    association=assoc, group=groups[(h - 1) % len(groups)], code=f"{prefix}{n:02d}-{h:04d}",
                    name=person_name(rng), id_number=resident_id(rng, region.code), phone=f"1{rng.choice('3578')}{rng.randrange(100000000, 999999999)}",
                    planted_area_mu=Decimal(cents) / 100, is_demo=True,
                ))
            m.Household.objects.bulk_create(rows, batch_size=1000)
            counts["households"] += len(rows)
    return counts

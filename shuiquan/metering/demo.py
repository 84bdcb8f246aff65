"""Demo readings (演示数据) for the registry's demo metering devices, 1 January 2026 up to now.

Every active device reports its accumulated register — hourly (``size="full"``, what ``make run``
loads) or daily at 00:00 (``size="small"``, what the tests load) — through the same ingestion
service as real data (one demo batch, marked ``is_demo``). Devices that are not online are read by
hand on the first of each month (quality 人工抄录). Volumes follow each permit's annual permitted
volume, with a seasonal pattern by use (irrigation peaks in summer; industry has a daily and a
weekly rhythm), so that by late November:

- most permits have used 45–80 % of their annual volume;
- the demo permit holder's permit (内乡, account ``permit_holder``) is at the warning level;
- two permits are over-users (the Tanghe buyer, account ``buyer_holder``, and a Neixiang enterprise);
- a Neixiang groundwater device went silent three days ago;
- the Neixiang water company's meter rolls over (its register passes 99 999 999 in spring);
- the Damogang irrigation district's meter has a two-day gap in August.

It also registers device-model profiles (rated flow, the vendor element FF02 = accumulated volume
for the SL 651 RTUs), gives the SZY206 terminals their SZY206 address (division code-terminal),
sets 2026 annual withdrawal plans where none exist, computes use, and evaluates alarms.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from shuiquan.core.models import User
from shuiquan.registry.choices import DeviceStatus, MeterProtocol, WaterUse
from shuiquan.registry.models import AnnualWithdrawalPlan, MeteringDevice, WithdrawalPermit

from . import services
from .accounting import TZ
from .choices import Quality, Source
from .models import DeviceModelProfile

SEED = 20261128
YEAR = 2026

PROFILES = [
    ("RTU-651A", "SL 651 遥测终端（演示）：FF02 为累计水量", Decimal("5"), {"FF02": "volume_m3"}),
    ("WMS-206", "SZY206 水资源监测终端（演示）", Decimal("5"), {}),
    ("LDG-100", "电磁流量计（演示）", Decimal("3"), {}),
    ("TDS-100F", "超声波流量计（演示）", Decimal("3"), {}),
]

MONTH_WEIGHTS = {
    WaterUse.AGRICULTURAL: [2, 2, 5, 10, 14, 15, 15, 14, 10, 6, 4, 3],
    WaterUse.DOMESTIC: [7, 7, 8, 8, 9, 10, 10, 10, 9, 8, 7, 7],
}
FLAT = [8] * 12


def _hour_weight(moment: dt.datetime, use: str) -> float:
    if use == WaterUse.AGRICULTURAL:
        return 1.0 if 6 <= moment.hour < 20 else 0.4
    if use == WaterUse.DOMESTIC:
        return 1.3 if 6 <= moment.hour < 9 or 17 <= moment.hour < 21 else (0.5 if moment.hour < 5 else 1.0)
    day = 1.3 if 8 <= moment.hour < 20 else 0.6
    return day * (0.7 if moment.weekday() >= 5 else 1.0)


def _schedule(first: dt.datetime, last: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    out, t = [], first
    while t <= last:
        out.append(t)
        t += step
    return out


def _register_values(times: list[dt.datetime], annual: int, pace: float, use: str, rng: random.Random) -> list[int]:
    """Cumulative use (whole m³) at each time, for a year's use of ``annual × pace``."""
    months = MONTH_WEIGHTS.get(use, FLAT)
    year_start = dt.datetime(YEAR, 1, 1, tzinfo=TZ)
    # the whole year's weight, by day (hourly rhythm only matters between readings)
    total = 0.0
    day = year_start
    while day.year == YEAR:
        days_in_month = (dt.date(YEAR + (day.month == 12), day.month % 12 + 1, 1) - dt.date(YEAR, day.month, 1)).days
        total += months[day.month - 1] / days_in_month
        day += dt.timedelta(days=1)
    target = annual * pace
    out, cum, prev = [], 0.0, None
    dims = {m: (dt.date(YEAR + (m == 12), m % 12 + 1, 1) - dt.date(YEAR, m, 1)).days for m in range(1, 13)}
    for t in times:
        if prev is not None:
            seconds = (t - prev).total_seconds()
            # hourly readings follow the daily/weekly rhythm; longer intervals take its average
            rhythm = _hour_weight(prev, use) if seconds <= 3600 else 1.0
            m = prev.month if prev.year == YEAR else (1 if prev.year > YEAR else 12)
            cum += target * months[m - 1] / dims[m] / total * (seconds / 86400) * rhythm * rng.uniform(0.8, 1.2)
        out.append(int(cum))
        prev = t
    return out


def _pick(size: str) -> dict[str, object]:
    """The permits and devices given a role in the story (chosen through the demo accounts)."""
    picks: dict[str, object] = {}
    holder = User.objects.filter(username="permit_holder").select_related("water_user").first()
    buyer = User.objects.filter(username="buyer_holder").select_related("water_user").first()
    if holder and holder.water_user:
        picks["warning"] = holder.water_user.permits.order_by("pk").first()
    if buyer and buyer.water_user:
        picks["over_buyer"] = buyer.water_user.permits.order_by("pk").first()
    neixiang = WithdrawalPermit.objects.filter(region__code="411325", is_demo=True)
    taken = {p.pk for p in picks.values() if p}
    picks["over_neixiang"] = neixiang.filter(holder__kind="enterprise", source__kind__in=["river", "reservoir"]).exclude(
        pk__in=taken).order_by("-annual_volume_m3").first()
    picks["silent"] = MeteringDevice.objects.filter(intake_point__permit__in=neixiang.filter(source_type="groundwater"),
                                                    is_online=True, status=DeviceStatus.ACTIVE).order_by("pk").first()
    picks["rollover"] = MeteringDevice.objects.filter(intake_point__permit__in=neixiang.filter(holder__kind="public_supply"),
                                                      status=DeviceStatus.ACTIVE).order_by("pk").first()
    picks["gap"] = MeteringDevice.objects.filter(intake_point__permit__irrigation_district__name="打磨岗灌区",
                                                 status=DeviceStatus.ACTIVE).order_by("pk").first()
    return picks


def load(size: str = "full") -> dict[str, int]:
    rng = random.Random(SEED)
    now = timezone.now().astimezone(TZ).replace(minute=0, second=0, microsecond=0)
    year_start = dt.datetime(YEAR, 1, 1, tzinfo=TZ)
    end = min(now, dt.datetime(YEAR, 12, 31, 23, tzinfo=TZ)) if now.year >= YEAR else year_start
    counts = {"profiles": 0, "plans": 0, "devices": 0, "readings_offered": 0, "readings": 0}

    for model, description, max_flow, element_map in PROFILES:
        _obj, created = DeviceModelProfile.objects.get_or_create(
            model=model, defaults={"description": description, "max_flow_m3s": max_flow, "element_map": element_map, "is_demo": True})
        counts["profiles"] += int(created)
    for device in MeteringDevice.objects.filter(protocol=MeterProtocol.SZY206, is_demo=True).select_related("region"):
        if device.region.code and device.station_address and "-" not in device.station_address:
            device.station_address = f"{device.region.code}-{int(device.serial[-5:]):05d}"
            device.save(update_fields=["station_address"])
    for permit in WithdrawalPermit.objects.filter(is_demo=True, valid_to__gte=dt.date(YEAR, 1, 1), valid_from__lte=dt.date(YEAR, 12, 31)):
        _plan, created = AnnualWithdrawalPlan.objects.get_or_create(
            permit=permit, year=YEAR,
            defaults={"volume_m3": permit.annual_volume_m3 // 1000 * 1000, "note": "演示：按许可水量下达", "is_demo": True})
        counts["plans"] += int(created)

    picks = _pick(size)
    pace_of = {}
    for key, pace in (("warning", 0.93), ("over_buyer", 1.16), ("over_neixiang", 1.14)):
        if picks.get(key):
            pace_of[picks[key].pk] = pace
    hourly = size == "full"
    batch = services.open_batch(actor="demo", source=Source.DEMO, label=f"演示数据：{YEAR}年读数（{'逐时' if hourly else '逐日'}）",
                                is_demo=True)
    devices = MeteringDevice.objects.filter(status=DeviceStatus.ACTIVE, is_demo=True, intake_point__permit__isnull=False).select_related(
        "intake_point__permit").order_by("serial")
    row = 0
    for device in devices:
        permit = device.intake_point.permit
        first = max(year_start, dt.datetime.combine(device.installed_on, dt.time(), tzinfo=TZ))
        last = end
        if picks.get("silent") and device.pk == picks["silent"].pk:
            last = end - dt.timedelta(hours=72)
        if device.is_online:
            step = dt.timedelta(hours=1) if hourly else dt.timedelta(days=1)
            first = first.replace(hour=0)
            times = _schedule(first, last, step)
            quality = Quality.GOOD
        else:
            times = [dt.datetime(YEAR, m, 1, 9, tzinfo=TZ) for m in range(1, 13) if dt.datetime(YEAR, m, 1, 9, tzinfo=TZ) <= last]
            quality = Quality.MANUAL
        if picks.get("gap") and device.pk == picks["gap"].pk:
            gap_from, gap_to = dt.datetime(YEAR, 8, 10, 6, tzinfo=TZ), dt.datetime(YEAR, 8, 12, 18, tzinfo=TZ)
            times = [t for t in times if not gap_from < t < gap_to]
        if not times:
            continue
        pace = pace_of.get(permit.pk, rng.uniform(0.5, 0.85))
        use = _register_values(times, permit.annual_volume_m3, pace, permit.use, rng)
        start = rng.randrange(50_000, 5_000_000)
        if picks.get("rollover") and device.pk == picks["rollover"].pk:
            start = device.register_max_m3 - int(permit.annual_volume_m3 * pace * 0.3)
        records = []
        for i, t in enumerate(times):
            register = (start + use[i]) % (device.register_max_m3 + 1)
            flow = None
            if i:
                seconds = (t - times[i - 1]).total_seconds()
                flow = (Decimal(use[i] - use[i - 1]) / Decimal(int(seconds))).quantize(Decimal("0.0001"))
            q = quality
            if quality == Quality.GOOD and rng.random() < 0.002:
                q = Quality.SUSPECT
            rec = {"device": device.serial, "observed_at": t, "volume_m3": register, "quality": q}
            if device.is_online:
                rec["flow_m3s"] = flow
                rec["battery_v"] = Decimal(rng.randrange(355, 372)) / 100
            records.append(rec)
        for i in range(0, len(records), 5000):
            part = [(row + j + 1, r) for j, r in enumerate(records[i : i + 5000])]
            result = services.add_records(batch, part, actor="demo")
            counts["readings"] += result.accepted
            row += len(part)
        counts["devices"] += 1
    counts["readings_offered"] = row
    services.close_batch(batch, actor="demo")
    counts["devices_with_use"] = services.refresh_usage()
    alarms = services.evaluate_alarms(actor="demo", year=YEAR, now=timezone.now() if now.year == YEAR else end, is_demo=True)
    counts["alarms_opened"] = alarms.get("opened", 0)
    return counts

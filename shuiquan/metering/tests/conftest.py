"""Fixtures of the metering tests: fresh permits, intakes and devices (never the demo's, so the
demo readings do not interfere), and a small book of rights built as docs/ledger-tree.md says."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.registry.choices import IntakeKind, MeterProtocol, WaterUse, WaterUserKind, WithdrawalMethod
from shuiquan.registry.models import Authority, IntakePoint, MeteringDevice, Region, WaterSource, WaterUser, WithdrawalPermit

_seq = itertools.count(1)


class Factory:
    def __init__(self, actor):
        self.actor = actor

    def permit(self, region_code="411325", volume=1_000_000, source="湍河地表水", year=2024, holder=None,
               status="new") -> WithdrawalPermit:
        n = next(_seq)
        region = Region.objects.get(code=region_code)
        authority = Authority.objects.get(region=region)
        holder = holder or WaterUser.objects.create(
            name=f"计量测试企业{n:03d}", kind=WaterUserKind.INDIVIDUAL, region=region, is_demo=True,
        )
        return WithdrawalPermit.objects.create(
            number=f"{region_code}-{year}-{7000 + n:04d}", holder=holder, region=region, approving_authority=authority,
            supervising_authority=authority, source=WaterSource.objects.get(name=source), withdrawal_method=WithdrawalMethod.PUMPING,
            use=WaterUse.INDUSTRIAL, annual_volume_m3=volume, issued_on=dt.date(year, 1, 1), valid_from=dt.date(year, 1, 1),
            valid_to=dt.date(year + 5, 12, 31), status=status, source_type=WaterSource.objects.get(name=source).source_type,
        )

    def intake(self, permit) -> IntakePoint:
        n = next(_seq)
        return IntakePoint.objects.create(
            code=f"TQ{permit.region.code}{n:05d}", name=f"测试取水口{n}", water_user=permit.holder, permit=permit, region=permit.region,
            source=permit.source, kind=IntakeKind.SURFACE_INTAKE, longitude=Decimal("111.8"), latitude=Decimal("33.05"),
        )

    def device(self, permit=None, *, intake=None, online=True, standard=True, register_max=99_999_999, station=None,
               model="TEST-1", installed=dt.date(2025, 1, 1), protocol=MeterProtocol.MQTT_JSON) -> MeteringDevice:
        n = next(_seq)
        intake = intake or self.intake(permit or self.permit())
        return MeteringDevice.objects.create(
            serial=f"T{n:05d}", model=model, protocol=protocol, station_address=station, intake_point=intake,
            region=intake.region, is_online=online, meets_standard=standard, installed_on=installed,
            register_max_m3=register_max,
        )

    def book(self, *permits_and_volumes, years=(2026,)):
        """issuance → the county's regional right → a withdrawal right per (permit, volume), each
        allocated its volume for ``years`` (docs/ledger-tree.md)."""
        first = dt.date(min(years), 1, 1)
        last = dt.date(max(years), 12, 31)
        issuance = ledger.open_right(actor=self.actor, kind=RightKind.ISSUANCE, name="河南省下达（测试）", holder_name="河南省人民政府",
                                     valid_from=first, valid_to=last)
        rights = {}
        counties = {}
        total = sum(v for _p, v in permits_and_volumes)
        for permit, volume in permits_and_volumes:
            region = permit.region
            if region.pk not in counties:
                counties[region.pk] = ledger.open_right(
                    actor=self.actor, kind=RightKind.REGIONAL, name=f"{region.name}区域用水权（测试）", holder=region,
                    annual_volume_m3=total, valid_from=first, valid_to=last, parent=issuance)
                ledger.transfer(actor=self.actor, kind=EntryKind.ISSUANCE, memo="下达", source=issuance, target=counties[region.pk],
                                years=years, amount=total)
            right = ledger.open_right(actor=self.actor, kind=RightKind.WITHDRAWAL, name=f"{permit.number}取水权", holder=permit.holder,
                                      permit=permit, annual_volume_m3=volume, valid_from=first, valid_to=last,
                                      parent=counties[region.pk])
            ledger.transfer(actor=self.actor, kind=EntryKind.ALLOCATION, memo="初始分配", source=counties[region.pk], target=right,
                            years=years, amount=volume)
            rights[permit.pk] = right
        return rights


@pytest.fixture
def mk(city_admin):
    return Factory(city_admin)


@pytest.fixture
def inline_jobs(settings):
    settings.METERING_INLINE_JOBS = True
    return settings


def at(*args, minute=0):
    """Local (Asia/Shanghai) time: at(2026, 3, 1, 8) → 2026-03-01 08:00+08:00."""
    from shuiquan.metering.accounting import TZ

    y, m, d, h = (list(args) + [0])[:4]
    return dt.datetime(y, m, d, h, minute, tzinfo=TZ)

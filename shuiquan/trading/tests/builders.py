"""The rights the trading tests trade with: allocation's demo rights (the test database loads the
small demo of every app, ``core.loading.DEMO_ORDER``), found the way docs/ledger-tree.md says —
county regional rights, SNWD rights, withdrawal rights of the demo permits of 内乡县 and 唐河县,
association rights and household rights — plus two test reserves.

The demo has already traded with some of these parties (trading's demo: a T7 permit trade, a
regional trade, an association that pooled and sold, an order-book session). A test that needs a
party's own numbers chooses a party the demo has not touched (``fresh_associations``) and gives
it what it needs through the services (``pool``: the association's households pool volume into
its right, 归集), instead of relying on which party the demo happened to use."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import RightKind
from shuiquan.registry import models as reg


def build_rights(actor) -> dict:
    """Allocation's rights by party, and the test reserves."""
    from shuiquan.ledger.models import WaterRight

    if not WaterRight.objects.filter(kind=RightKind.WITHDRAWAL, permit__isnull=False).exists():
        raise AssertionError("allocation's demo rights are not loaded (core.loading.load_demo)")
    out: dict = {"permits": {}, "associations": {}, "households": {}, "counties": {}, "snwd": {}}
    out["city"] = ledger.right_for_region(reg.Region.objects.get(code="411300"))
    for code in ("411325", "411328", "411329", "411381"):
        out["counties"][code] = ledger.right_for_region(reg.Region.objects.get(code=code))
    for code in ("411325", "411328"):
        out["snwd"][code] = ledger.right_for_region(reg.Region.objects.get(code=code), RightKind.SNWD)
    for permit in reg.WithdrawalPermit.objects.filter(region__code__in=["411325", "411328"]):
        out["permits"][permit.pk] = ledger.right_for_permit(permit)
    for right in WaterRight.objects.filter(kind=RightKind.IRRIGATION, association__isnull=False, status="active").order_by("-pk"):
        out["associations"][right.association_id] = right
    for right in WaterRight.objects.filter(kind=RightKind.HOUSEHOLD, household__isnull=False, status="active").order_by("-pk"):
        out["households"][right.household_id] = right
    out.update(_reserves(actor))
    return out


def fresh_associations(district_name: str = "打磨岗灌区") -> list[reg.Association]:
    """The district's associations that hold an irrigation right and that no trade, order or
    pooling has touched (neither they nor their households), largest right first."""
    from shuiquan.ledger.models import WaterRight
    from shuiquan.trading.models import Order, Pooling, Trade

    rights = {r.association_id: r for r in WaterRight.objects.filter(kind=RightKind.IRRIGATION, status="active",
                                                                     association__district__name=district_name)}
    touched = set(Trade.objects.filter(Q(seller_association__in=rights) | Q(buyer_association__in=rights))
                  .values_list("seller_association", "buyer_association").distinct().iterator())
    touched = {pk for pair in touched for pk in pair if pk}
    touched |= set(Order.objects.filter(association__in=rights).values_list("association", flat=True))
    touched |= set(Order.objects.filter(household__association__in=rights).values_list("household__association", flat=True))
    touched |= set(Pooling.objects.filter(association__in=rights).values_list("association", flat=True))
    fresh = [pk for pk in rights if pk not in touched]
    fresh.sort(key=lambda pk: (-rights[pk].annual_volume_m3, pk))
    by_pk = reg.Association.objects.in_bulk(fresh)
    return [by_pk[pk] for pk in fresh]


def pool(association, volume: int, first: int = 2026, last: int | None = None, actor=None):
    """Give ``association`` ``volume`` m³ a year to sell: its households pool it into the
    association's right pro rata to their rights (归集, through the trading service). Returns
    the association's right."""
    from shuiquan.trading import services

    services.pool_household_volume(actor=actor or rep_of(association), association=association, volume_m3=volume, first_year=first,
                                   last_year=last, reason="测试：用水户按水权比例归集")
    return services.association_right_for(association, list(range(first, (last or first) + 1)))


def _reserves(actor) -> dict:
    from shuiquan.ledger.models import Reserve
    from shuiquan.trading import services

    out = {}
    for key, code, name, operator, funder in (
        ("city_reserve", "411300", "南阳市水权收储中心（测试）", "南阳市水利局", "南阳市财政局（市级水权收储资金）"),
        ("neixiang_reserve", "411325", "内乡县水权收储（测试）", "内乡县水利局", "内乡县财政局（县级收储资金）"),
    ):
        existing = Reserve.objects.filter(name=name).first()
        out[key] = existing or services.create_reserve(actor=actor, region=reg.Region.objects.get(code=code), name=name,
                                                       operator=operator, funder=funder)
    return out


def permit_of(username: str):
    from shuiquan.core.models import User

    user = User.objects.get(username=username)
    return reg.WithdrawalPermit.objects.filter(holder=user.water_user).order_by("pk").first()


def money(text: str) -> Decimal:
    return Decimal(text)


def user_for(party_obj, role: str, username: str):
    """A (test) account acting for a water user or an association that has no demo account."""
    from shuiquan.core.models import User

    fields = {"role": role, "display_name": str(party_obj), "region": party_obj.region}
    if role == "permit_holder":
        fields["water_user"] = party_obj
    else:
        fields["association"] = party_obj
    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    return user


def holder_of(permit, username: str | None = None):
    return user_for(permit.holder, "permit_holder", username or f"holder_{permit.pk}")


def rep_of(association, username: str | None = None):
    return user_for(association, "association_rep", username or f"rep_{association.pk}")


def industrial_buyers(actor, n: int, tag: str, county_code: str = "411328", volume: int = 100_000):
    """``n`` industrial buyers in a county (default 唐河县, drawing from 虎山水库), each with a permit (2025–2029), an intake
    with a compliant online meter (M2), a withdrawal right allocated ``volume`` m³ a year from the
    county's regional right, and an account. Returns ``[(user, permit, right), …]``; ``tag`` keeps
    the numbers, serials and usernames of different tests apart."""
    import datetime as dt

    from shuiquan.core.models import User
    from shuiquan.ledger.choices import EntryKind

    county = reg.Region.objects.get(code=county_code)
    county_right = ledger.right_for_region(county)
    authority = reg.Authority.objects.filter(level="county", region=county).order_by("pk").first()
    source = reg.WaterSource.objects.get(name="虎山水库")
    sector = reg.Sector.objects.get(code="27")
    out = []
    for i in range(n):
        holder = reg.WaterUser.objects.create(name=f"{tag}受让企业{i:02d}（测试）", kind="enterprise", region=county, sector=sector)
        permit = reg.WithdrawalPermit.objects.create(
            number=f"{county_code}-{tag}-{i:03d}", holder=holder, region=county, approving_authority=authority,
            supervising_authority=authority, source=source, source_type="surface", withdrawal_method="pumping", use="industrial",
            sector=sector, annual_volume_m3=volume, issued_on=dt.date(2025, 1, 1), valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2029, 12, 31))
        intake = reg.IntakePoint.objects.create(code=f"{tag}{i:03d}", name=f"{tag}受让企业{i}取水口", water_user=holder, permit=permit,
                                                region=county, source=source, longitude=Decimal("112.8"), latitude=Decimal("32.7"))
        reg.MeteringDevice.objects.create(serial=f"{tag}{i:04d}", model="RTU-651A", protocol="sl651_hex", intake_point=intake,
                                          region=county, is_online=True, meets_standard=True, installed_on=dt.date(2025, 2, 1))
        right = ledger.open_right(actor=actor, kind=RightKind.WITHDRAWAL, name=f"{holder}取水权", holder=holder, permit=permit,
                                  annual_volume_m3=volume, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2029, 12, 31),
                                  parent=county_right, source=source, use="industrial")
        ledger.transfer(actor=actor, kind=EntryKind.ALLOCATION, memo="取水许可", source=county_right, target=right,
                        years=range(2025, 2030), amount=volume)
        user = User.objects.create(username=f"{tag.lower()}_{i:02d}", role="permit_holder", water_user=holder, region=county)
        out.append((user, permit, right))
    return out

"""Builds the rights the trading tests need with the ledger's services, in the shape of
docs/ledger-tree.md (allocation's rights are not in this worktree): an issuance account → the
city's regional right → county regional rights (Table 2-1, 2025 targets); SNWD rights of 内乡/唐河
(Table 2-2); withdrawal rights for every demo permit of 内乡县 and 唐河县 (permit FK set, holder =
permit holder, parent = county right, years = permit validity ∩ 2025–2030); association rights of
the 打磨岗 and 虎山 associations (parent = the district permit's right) and household rights
(parent = the association's right); a city reserve and a county reserve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.ledger.services import Line
from shuiquan.registry import models as reg

FIRST, LAST = 2025, 2030
ASSOC_M3_PER_MU = 300
HOUSEHOLD_M3_PER_MU = 200


def _years(valid_from: dt.date, valid_to: dt.date) -> list[int]:
    return [y for y in range(FIRST, LAST + 1) if valid_from.year <= y <= valid_to.year]


def existing_rights(actor) -> dict | None:
    """Once allocation's demo rights are loaded (after the merge), reuse them — found the way
    docs/ledger-tree.md says — instead of opening a second set; only the test reserves are added."""
    from shuiquan.ledger.models import WaterRight
    from shuiquan.trading import services

    if not WaterRight.objects.filter(kind=RightKind.WITHDRAWAL, permit__isnull=False).exists():
        return None
    out: dict = {"permits": {}, "associations": {}, "households": {}, "counties": {}, "snwd": {}}
    out["city"] = ledger.right_for_region(reg.Region.objects.get(code="411300"))
    for code in ("411325", "411328", "411329", "411381"):
        out["counties"][code] = ledger.right_for_region(reg.Region.objects.get(code=code))
    for code in ("411325", "411328"):
        out["snwd"][code] = ledger.right_for_region(reg.Region.objects.get(code=code), RightKind.SNWD)
    for permit in reg.WithdrawalPermit.objects.filter(region__code__in=["411325", "411328"]):
        out["permits"][permit.pk] = ledger.right_for_permit(permit)
    for right in WaterRight.objects.filter(kind=RightKind.IRRIGATION, association__isnull=False).order_by("-pk"):
        out["associations"][right.association_id] = right
    for right in WaterRight.objects.filter(kind=RightKind.HOUSEHOLD, household__isnull=False).order_by("-pk"):
        out["households"][right.household_id] = right
    out.update(_reserves(actor))
    return out


def build_rights(actor) -> dict:
    from shuiquan.trading import services

    found = existing_rights(actor)
    if found is not None:
        return found
    start, end = dt.date(FIRST, 1, 1), dt.date(LAST, 12, 31)
    out: dict = {"permits": {}, "associations": {}, "households": {}, "counties": {}, "snwd": {}}
    issuance = ledger.open_right(actor=actor, kind=RightKind.ISSUANCE, name="河南省下达南阳市用水总量控制指标（测试）",
                                 holder_name="河南省人民政府", valid_from=start, valid_to=end)
    city = reg.Region.objects.get(code="411300")
    city_total = reg.DualControlTarget.objects.get(region=city, year=2025).total_m3
    city_right = ledger.open_right(actor=actor, kind=RightKind.REGIONAL, name="南阳市区域用水权（测试）", holder=city,
                                   annual_volume_m3=city_total, valid_from=start, valid_to=end, parent=issuance)
    ledger.transfer(actor=actor, kind=EntryKind.ISSUANCE, memo="下达", source=issuance, target=city_right,
                    years=range(FIRST, LAST + 1), amount=city_total)
    out["city"] = city_right
    for code in ("411325", "411328", "411329", "411381"):
        region = reg.Region.objects.get(code=code)
        total = reg.DualControlTarget.objects.get(region=region, year=2025).total_m3
        right = ledger.open_right(actor=actor, kind=RightKind.REGIONAL, name=f"{region.name}区域用水权（测试）", holder=region,
                                  annual_volume_m3=total, valid_from=start, valid_to=end, parent=city_right)
        ledger.transfer(actor=actor, kind=EntryKind.ALLOCATION, memo="分配", source=city_right, target=right,
                        years=range(FIRST, LAST + 1), amount=total)
        out["counties"][code] = right
    snwd_issuance = ledger.open_right(actor=actor, kind=RightKind.ISSUANCE, name="南水北调中线工程分配南阳市城镇水量（测试）",
                                      holder_name="南水北调中线工程", valid_from=start, valid_to=end)
    snwd_source = reg.WaterSource.objects.get(kind="snwd")
    for code in ("411325", "411328"):
        region = reg.Region.objects.get(code=code)
        quota = reg.SnwdQuota.objects.get(receiving_area=region).volume_m3
        right = ledger.open_right(actor=actor, kind=RightKind.SNWD, name=f"{region.name}南水北调用水权（测试）", holder=region,
                                  annual_volume_m3=quota, valid_from=start, valid_to=end, parent=snwd_issuance, source=snwd_source)
        ledger.transfer(actor=actor, kind=EntryKind.ISSUANCE, memo="下达", source=snwd_issuance, target=right,
                        years=range(FIRST, LAST + 1), amount=quota)
        out["snwd"][code] = right
    # One entry per county for its permits, per district for its associations, per association for
    # its households (as an allocation would post them).
    lines: dict[str, list] = {}
    for permit in reg.WithdrawalPermit.objects.filter(region__code__in=["411325", "411328"]).select_related("holder", "source").order_by("pk"):
        vf, vt = max(permit.valid_from, start), min(permit.valid_to, end)
        county = out["counties"][permit.region.code]
        right = ledger.open_right(actor=actor, kind=RightKind.WITHDRAWAL, name=f"{permit.holder}取水权", holder=permit.holder,
                                  permit=permit, annual_volume_m3=permit.annual_volume_m3, valid_from=vf, valid_to=vt,
                                  parent=county, source=permit.source, use=permit.use, legal_basis=f"取水许可证 {permit.number}")
        for y in _years(permit.valid_from, permit.valid_to):
            lines.setdefault(permit.region.code, []).extend([Line(county, y, -permit.annual_volume_m3), Line(right, y, permit.annual_volume_m3)])
        out["permits"][permit.pk] = right
    for code, county_lines in lines.items():
        ledger.post_entry(actor=actor, kind=EntryKind.ALLOCATION, memo=f"{code} 取水许可", lines=county_lines)
    for district_name in ("打磨岗灌区", "虎山灌区"):
        district = reg.IrrigationDistrict.objects.get(name=district_name)
        district_permit = reg.WithdrawalPermit.objects.get(irrigation_district=district)
        parent = out["permits"][district_permit.pk]
        years = parent.years()
        assoc_lines = []
        for assoc in reg.Association.objects.filter(district=district).order_by("pk"):
            volume = int(assoc.effective_area_mu * ASSOC_M3_PER_MU)
            a_right = ledger.open_right(actor=actor, kind=RightKind.IRRIGATION, name=f"{assoc.name}水权", holder=assoc, use="agricultural",
                                        annual_volume_m3=volume, valid_from=parent.valid_from, valid_to=parent.valid_to, parent=parent,
                                        source=district_permit.source)
            assoc_lines += [line for y in years for line in (Line(parent, y, -volume), Line(a_right, y, volume))]
            out["associations"][assoc.pk] = a_right
            household_lines = []
            for household in assoc.households.order_by("code"):
                hv = int(household.planted_area_mu * HOUSEHOLD_M3_PER_MU)
                h_right = ledger.open_right(actor=actor, kind=RightKind.HOUSEHOLD, name=f"{household.code}水权", holder=household,
                                            use="agricultural", annual_volume_m3=hv, valid_from=parent.valid_from, valid_to=parent.valid_to,
                                            parent=a_right)
                household_lines += [line for y in years for line in (Line(a_right, y, -hv), Line(h_right, y, hv))]
                out["households"][household.pk] = h_right
            out.setdefault("_household_lines", []).append(household_lines)
        ledger.post_entry(actor=actor, kind=EntryKind.ALLOCATION, memo=f"{district_name} 协会水权", lines=assoc_lines)
    for household_lines in out.pop("_household_lines", []):
        if household_lines:
            ledger.post_entry(actor=actor, kind=EntryKind.ALLOCATION, memo="用水户水权", lines=household_lines)
    out.update(_reserves(actor))
    return out


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

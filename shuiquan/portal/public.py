"""What the public portal may show, as plain dicts (used by the pages and the public API).

Rules: only registered, active records; no personal data anywhere — households appear only as
counts (or their de-identified code on a supply-and-demand notice), individual water users as
"个人用水户" with their county, never names, ID numbers, phones, legal representatives or contacts.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, Sum

from shuiquan.ledger.choices import RightKind, RightStatus
from shuiquan.ledger.models import WaterRight
from shuiquan.registry.choices import COUNTY_LEVEL, WaterUserKind
from shuiquan.registry.models import DualControlTarget, Household, Region, SnwdQuota

CITY_CODE = "411300"
INDIVIDUAL = "个人用水户"


def _right(r: WaterRight, holder: str | None = None) -> dict:
    return {
        "number": r.number, "kind": r.kind, "kind_label": str(r.get_kind_display()), "holder": holder or r.holder_name,
        "region": r.region.name if r.region_id else "", "use": str(r.get_use_display()), "source_type": str(r.get_source_type_display()),
        "annual_volume_m3": r.annual_volume_m3, "valid_from": r.valid_from, "valid_to": r.valid_to,
        "certificate_number": r.certificate_number, "legal_basis": r.legal_basis, "is_demo": r.is_demo,
    }


def _active(kind: str):
    return WaterRight.objects.filter(kind=kind, status=RightStatus.ACTIVE).select_related("region", "holder_region")


def public_holder(r: WaterRight) -> str:
    """The holder's name as the public may see it."""
    if r.kind == RightKind.HOUSEHOLD:
        return r.household.code if r.household_id else "—"
    if r.water_user_id and r.water_user.kind == WaterUserKind.INDIVIDUAL:
        return INDIVIDUAL
    return r.holder_name


def initial_rights() -> dict:
    """Initial-rights results by region: regional, SNWD and groundwater rights, and per county the
    withdrawal and irrigation rights registered (associations with their households counted)."""
    regional = [_right(r) for r in _active(RightKind.REGIONAL).order_by("holder_region__sort_order", "pk")]
    snwd = [_right(r) for r in _active(RightKind.SNWD).order_by("pk")]
    groundwater = [_right(r) for r in _active(RightKind.GROUNDWATER).order_by("holder_region__sort_order", "pk")]
    withdrawal = []
    for r in _active(RightKind.WITHDRAWAL).select_related("water_user").order_by("region__sort_order", "number"):
        withdrawal.append(_right(r, public_holder(r)))
    households = dict(
        WaterRight.objects.filter(kind=RightKind.HOUSEHOLD, status=RightStatus.ACTIVE).values_list("household__association")
        .annotate(n=Count("pk")).values_list("household__association", "n")
    )
    irrigation = []
    for r in _active(RightKind.IRRIGATION).select_related("association__district").order_by("association__district__name", "number"):
        row = _right(r)
        row["district"] = r.association.district.name if r.association_id else ""
        row["households"] = households.get(r.association_id, 0)
        irrigation.append(row)
    by_county = defaultdict(lambda: {"withdrawal_m3": 0, "withdrawal_n": 0, "irrigation_m3": 0, "irrigation_n": 0})
    for row in withdrawal:
        by_county[row["region"]]["withdrawal_m3"] += row["annual_volume_m3"]
        by_county[row["region"]]["withdrawal_n"] += 1
    for row in irrigation:
        by_county[row["region"]]["irrigation_m3"] += row["annual_volume_m3"]
        by_county[row["region"]]["irrigation_n"] += 1
    counties = []
    regional_by_name = {row["holder"]: row for row in regional}
    for region in Region.objects.filter(kind__in=COUNTY_LEVEL).order_by("sort_order", "code"):
        reg_right = next((r for r in regional if r["region"] == region.name), None)
        counties.append({"name": region.name, "code": region.code, "regional_m3": reg_right["annual_volume_m3"] if reg_right else None,
                         **by_county[region.name]})
    return {"regional": regional, "snwd": snwd, "groundwater": groundwater, "withdrawal": withdrawal, "irrigation": irrigation,
            "counties": counties, "regional_by_name": regional_by_name}


def key_figures() -> dict:
    """Headline figures for the portal's home page (seed tables where nothing is registered yet)."""
    from shuiquan.allocation.choices import CertificateStatus
    from shuiquan.allocation.models import Certificate

    city_right = _active(RightKind.REGIONAL).filter(holder_region__code=CITY_CODE).first()
    city_target = DualControlTarget.objects.filter(region__code=CITY_CODE).order_by("-year").first()
    snwd_urban = SnwdQuota.objects.filter(kind="urban").aggregate(s=Sum("volume_m3"))["s"] or 0
    certs = Certificate.objects.filter(status=CertificateStatus.VALID)
    figures = {
        "regional_total_m3": city_right.annual_volume_m3 if city_right else (city_target.total_m3 if city_target else None),
        "regional_registered": city_right is not None,
        "snwd_urban_m3": snwd_urban,
        "certificates": certs.count(),
        "associations_with_rights": _active(RightKind.IRRIGATION).count(),
        "households_with_rights": _active(RightKind.HOUSEHOLD).count(),
        "withdrawal_rights": _active(RightKind.WITHDRAWAL).count(),
    }
    figures.update(market_figures())
    figures.update(complaint_figures())
    return figures


def market_figures() -> dict:
    """Trades and listings, from the trading capability's public market information."""
    from shuiquan.trading import market

    completed = market.completed_trades()
    return {"trades_completed": completed.count(), "traded_volume_m3": sum(completed.values_list("volume_m3", flat=True)),
            "open_listings": market.open_listings().count()}


def latest_market(n: int = 10) -> dict:
    """The newest deal notices and open listing announcements (households de-identified by trading)."""
    from shuiquan.trading import market

    return {"deals": [market.deal_row(t) for t in market.completed_trades()[:n]],
            "listings": [market.listing_row(listing) for listing in market.open_listings()[:n]]}


def complaint_figures() -> dict:
    from shuiquan.supervision.choices import ComplaintStatus
    from shuiquan.supervision.models import Complaint

    return {
        "complaints_received": Complaint.objects.count(),
        "complaints_closed": Complaint.objects.filter(status__in=[ComplaintStatus.RESOLVED, ComplaintStatus.DISMISSED]).count(),
    }


def household_count() -> int:
    return Household.objects.count()


__all__ = ["initial_rights", "key_figures", "public_holder", "Q"]

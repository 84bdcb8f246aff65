"""Impact preview (what-if) and the S2 accounting of regions' caps.

Before anyone approves a trade, ``preview(...)`` shows, year by year, its effect on both parties'
rights (balance and available volume before and after), their metered use, both regions' caps and
dual-control position (S2: sold volume counts against the seller region's cap, bought volume does
not count against the buyer region's cap), the source it draws on, and every rule that would
refuse it at any stage.

Metered use comes from the metering capability (``metering.usage``) and a region's measured use from
the dual-control assessment (``supervision.assessment``). Their wiring lives here and only here:
``metered_use(permit, year)``, ``metered_region_use(region, year)`` and ``region_use(region, year)``;
each returns ``None`` (shown as "no metered data") when there is nothing to read.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from shuiquan.ledger.models import RightBalance, WaterRight
from shuiquan.registry import models as reg
from shuiquan.registry.choices import RegionKind

from . import rules
from .choices import Stage, TradeStatus, TradeType
from .parties import Party, parse_ref, party_of_right

#: Refusals that the procedure itself clears (a step still to take, not a reason to refuse): the
#: preview lists them as pending steps.
PROCEDURAL = {"t4_saving_not_verified", "t9_not_filed", "t2_snwd_not_consulted", "t10_need_not_verified", "s1_use_change_unapproved"}

#: Trades whose volume has been posted (they count in S2 for the years of their term).
POSTED = (TradeStatus.REGISTERED, TradeStatus.EXPIRED)


def metered_use(permit, year: int) -> int | None:
    """Metered annual use of a permit (m³, from ``metering.usage``), or None when metering has no data."""
    if permit is None:
        return None
    from shuiquan.metering import usage

    found = usage.permit_year_use([permit.pk], year).get(permit.pk)
    return found[0] if found else None


def metered_region_use(region, year: int) -> int | None:
    """Metered use of the region's metered intakes in ``year`` (part of its total use), or None."""
    if region is None:
        return None
    from shuiquan.supervision.metered import load

    return load(year).region(region.pk)


def region_cap(region, year: int) -> int | None:
    """The region's total-use cap (Table 2-1) for ``year`` (the latest target year at or before it,
    else the earliest), or None for regions without one (outside cities)."""
    if region is None or region.kind in (RegionKind.OUTSIDE, RegionKind.PROVINCE):
        return None
    targets = reg.DualControlTarget.objects.filter(region=region)
    row = targets.filter(year__lte=year).order_by("-year").first() or targets.order_by("year").first()
    return row.total_m3 if row else None


def region_use(region, year: int) -> tuple[int | None, str]:
    """The region's total use for T11 and the S2 preview: the latest reported statistic (统计上报,
    Table 1-2 and later years entered in supervision). Metered use is not used here because it covers
    only the intakes with online meters — a part of a region's use — and would understate it; the
    preview shows the metered figure beside it."""
    if region is None or region.kind in (RegionKind.OUTSIDE, RegionKind.PROVINCE):
        return None, "无用水数据"
    stat = (reg.WaterUseStatistic.objects.filter(region=region, year__lte=year, use="", kind="row").order_by("-year").first())
    if stat is None:
        return None, "无用水数据"
    return stat.volume_m3, f"{stat.year}年统计用水量"


def _sum_trades(q: Q, year: int) -> int:
    from .models import Trade

    total = 0
    for vol in Trade.objects.filter(q, status__in=POSTED, start_year__lte=year, end_year__gte=year).values_list("volume_m3", flat=True):
        total += vol
    return total


def s2_position(region, year: int, *, extra_sold: int = 0, extra_bought: int = 0) -> dict:
    """S2: the region's cap, use, cross-region sold and bought volumes, and its position.

    effective cap = cap − sold (sold volume occupies the seller's cap);
    assessed use = use − bought (bought volume is not counted against the buyer's cap)."""
    cap = region_cap(region, year)
    use, basis = region_use(region, year) if region is not None and region.kind != RegionKind.OUTSIDE else (None, "")
    sold = _sum_trades(Q(seller_region=region) & ~Q(buyer_region=region), year) + extra_sold
    bought = _sum_trades(Q(buyer_region=region) & ~Q(seller_region=region), year) + extra_bought
    out = {"region": str(region), "region_id": region.pk if region else None, "year": year, "cap_m3": cap, "use_m3": use,
           "use_basis": basis, "sold_m3": sold, "bought_m3": bought}
    if cap is None:
        out.update(effective_cap_m3=None, assessed_use_m3=None, headroom_m3=None, status="no_cap")
        return out
    effective = cap - sold
    out["effective_cap_m3"] = effective
    if use is None:
        out.update(assessed_use_m3=None, headroom_m3=None, status="no_use_data")
        return out
    assessed = use - bought
    out.update(assessed_use_m3=assessed, headroom_m3=effective - assessed, status="within" if assessed <= effective else "over")
    return out


def _balance(right: WaterRight | None, year: int) -> dict | None:
    if right is None:
        return None
    row = RightBalance.objects.filter(right=right, year=year).first()
    return {"balance_m3": row.balance if row else 0, "locked_m3": row.locked if row else 0,
            "available_m3": (row.balance - row.locked) if row else 0}


def _source(check: rules.Check) -> dict | None:
    source = rules.seller_source(check)
    if source is None:
        right = check.seller_right
        return {"name": right.get_source_type_display(), "kind": right.source_type, "river": None, "reservoir": None,
                "is_overdraft_area": None, "is_overloaded": None}
    return {"name": source.name, "kind": source.get_kind_display(), "river": str(source.river) if source.river_id else None,
            "reservoir": str(source.reservoir) if source.reservoir_id else None, "is_overdraft_area": source.is_overdraft_area,
            "is_overloaded": source.is_overloaded}


def preview_check(check: rules.Check, *, posted: bool = False) -> dict:
    """The year-by-year effect of ``check`` (a draft or an existing trade) and every refusal."""
    volume = check.volume_m3
    seller_party, buyer_party = check.seller, check.buyer
    seller_region = seller_party.region
    buyer_region = buyer_party.region if buyer_party is not None else None
    cross = buyer_region is not None and seller_region is not None and buyer_region.pk != seller_region.pk
    own_lock = {}
    if check.trade_pk:
        from shuiquan.ledger.choices import LockStatus
        from shuiquan.ledger.models import VolumeLock

        for lock in VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(check.trade_pk), status=LockStatus.ACTIVE):
            own_lock[lock.year] = own_lock.get(lock.year, 0) + lock.amount
    years = []
    for y in check.years:
        s = _balance(check.seller_right, y)
        b = _balance(check.buyer_right, y)
        row = {"year": y, "seller": s, "buyer": b}
        if s is not None:
            if posted:
                s_after = dict(s)
            else:
                s_after = {"balance_m3": s["balance_m3"] - volume, "locked_m3": s["locked_m3"] - own_lock.get(y, 0),
                           "available_m3": s["available_m3"] + own_lock.get(y, 0) - volume}
            row["seller_after"] = s_after
        if b is not None:
            row["buyer_after"] = dict(b) if posted else {**b, "balance_m3": b["balance_m3"] + volume, "available_m3": b["available_m3"] + volume}
        row["seller_metered_use_m3"] = metered_use(seller_party.permit, y) if seller_party.permit else None
        row["buyer_metered_use_m3"] = metered_use(buyer_party.permit, y) if buyer_party is not None and buyer_party.permit else None
        extra = 0 if posted or not cross else volume
        row["seller_region"] = {"before": s2_position(seller_region, y), "after": s2_position(seller_region, y, extra_sold=extra)}
        if buyer_region is not None and buyer_region.pk != seller_region.pk:
            row["buyer_region"] = {"before": s2_position(buyer_region, y), "after": s2_position(buyer_region, y, extra_bought=extra)}
        years.append(row)
    permit_change = None
    if check.trade_type == TradeType.PERMIT and check.term_years > 1 and seller_party.permit and buyer_party is not None and buyer_party.permit:
        sp, bp = seller_party.permit, buyer_party.permit
        permit_change = {"seller_permit": sp.number, "seller_before_m3": sp.annual_volume_m3, "seller_after_m3": sp.annual_volume_m3 - volume,
                         "buyer_permit": bp.number, "buyer_before_m3": bp.annual_volume_m3, "buyer_after_m3": bp.annual_volume_m3 + volume,
                         "seller_use": sp.use, "buyer_use": check.use or bp.use}
    found = rules.evaluate(check, stages=[Stage.APPLICATION, Stage.LISTING, Stage.BID, Stage.CONTRACT, Stage.REGISTRATION])
    refusals = [r for r in found if r.code not in PROCEDURAL]
    pending = [r for r in found if r.code in PROCEDURAL]
    return {
        "trade_type": check.trade_type,
        "seller": {"name": seller_party.name, "kind": seller_party.kind, "right": check.seller_right.number, "region": str(seller_region)},
        "buyer": ({"name": buyer_party.name, "kind": buyer_party.kind, "right": check.buyer_right.number if check.buyer_right else None,
                   "region": str(buyer_region)} if buyer_party else None),
        "volume_m3": volume,
        "years": years,
        "total_volume_m3": volume * len(check.years),
        "source": _source(check),
        "cross_region": cross,
        "permit_change": permit_change,
        "no_permit_change_reason": ("交易期限不超过一年，无需办理取水许可变更（T7）" if check.trade_type == TradeType.PERMIT and check.term_years <= 1 else ""),
        "refusals": [r.as_dict() for r in refusals],
        "pending_steps": [r.as_dict() for r in pending],
        "would_be_refused": bool(refusals),
        "posted": posted,
    }


def preview_trade(trade) -> dict:
    check = rules.Check.from_trade(trade, Stage.APPLICATION)
    posted = trade.status in POSTED
    return preview_check(check, posted=posted)


def draft_check(*, trade_type: str, seller_right, volume_m3: int, start_year: int, end_year: int, buyer: str = "", basis: str = "",
                savings=None, use: str = "", project_sector=None, project_product: str = "", project_water_per_unit=None,
                third_party_harm: bool = False, needs_new_groundwater: bool = False, use_change_approved: bool = False,
                filed: bool = False) -> rules.Check:
    """A check for a trade that does not exist yet (the what-if form and API)."""
    from .services import DEFAULT_BASIS
    from .parties import buyer_right as find_buyer_right

    seller = party_of_right(seller_right)
    years = list(range(int(start_year), int(end_year) + 1))
    party: Party | None = parse_ref(buyer) if buyer else None
    right = find_buyer_right(party, years=years, seller_right=seller_right, actor=None, create=False) if party else None
    return rules.Check(
        trade_type=trade_type, stage=Stage.APPLICATION, seller=seller, seller_right=seller_right, volume_m3=int(volume_m3), years=years,
        buyer=party, buyer_right=right, use=use or (party.permit.use if party and party.permit else ""),
        basis=basis or DEFAULT_BASIS.get((seller.kind, trade_type), ""), savings=savings,
        is_snwd=seller_right.source_type == "snwd", project_sector=project_sector, project_product=project_product or "",
        project_water_per_unit=Decimal(str(project_water_per_unit)) if project_water_per_unit not in (None, "") else None,
        filed=filed, verified=False, use_change_approved=use_change_approved, third_party_harm=third_party_harm,
        needs_new_groundwater=needs_new_groundwater, snwd_consulted=False,
    )

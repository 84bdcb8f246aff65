"""The trading rules engine: small validation functions collected in a registry (STYLE #10).

Each rule function takes a ``Check`` (what is about to happen: parties, rights, volume, years,
stage) and returns a list of ``Refusal`` — rule id, stable code, Chinese and English reasons.
Services run ``enforce(check)`` at application, listing, bid, contract and registration; the
impact preview runs ``evaluate`` over every stage to show every rule that would refuse a trade.
The rules read the city bureau's editable lists (overdraft/overloaded sources in the registry,
eliminated industries, sector quotas, pollutant intensities, legal prohibitions, S6 restrictions).

Rules implemented (DESIGN.md catalogue): T1, T2, T4, T9, T10, T11, S1, S4 (five prohibited
sales), S5 (five prohibited purchases; the metering one is reported as M2), S6, M2, F4 (pledged
volume, from finance: §7.2.5) and L1 (the ledger's availability, reported early).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db.models import Q, Sum

from shuiquan.core import config
from shuiquan.core.errors import RuleViolation
from shuiquan.ledger.choices import LockStatus, NEVER_MOVES, RightKind
from shuiquan.ledger.models import RightBalance, VolumeLock, WaterRight
from shuiquan.registry import models as reg
from shuiquan.registry.choices import ACTIVE_PERMIT_STATUSES, DeviceStatus, RegionKind, SourceKind, WaterUse

from .choices import DEAD_STATES, Basis, SavingStatus, Stage, TradeStatus, TradeType
from .parties import Party

ALL_STAGES = frozenset(Stage.values)
SELLER_STAGES = frozenset({Stage.APPLICATION, Stage.LISTING, Stage.CONTRACT, Stage.REGISTRATION})
BUYER_STAGES = frozenset({Stage.APPLICATION, Stage.BID, Stage.CONTRACT, Stage.REGISTRATION})


@dataclass
class Refusal:
    rule: str
    code: str
    zh: str
    en: str
    side: str = ""  # seller | buyer | trade

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "code": self.code, "message": self.zh, "message_en": self.en, "side": self.side}


@dataclass
class Check:
    """What the rules look at. Built from a trade (``from_trade``) or from a draft (preview)."""

    trade_type: str
    stage: str
    seller: Party
    seller_right: WaterRight
    volume_m3: int
    years: list[int]
    buyer: Party | None = None
    buyer_right: WaterRight | None = None
    use: str = ""
    basis: str = ""
    savings: Any = None
    trade: Any = None
    is_snwd: bool = False
    project_sector: Any = None
    project_product: str = ""
    project_water_per_unit: Decimal | None = None
    filed: bool = False
    verified: bool = False
    use_change_approved: bool = False
    third_party_harm: bool = False
    needs_new_groundwater: bool = False
    snwd_consulted: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def term_years(self) -> int:
        return len(self.years)

    @property
    def trade_pk(self):
        return getattr(self.trade, "pk", None)

    @classmethod
    def from_trade(cls, trade, stage: str, *, buyer: Party | None = None, buyer_right: WaterRight | None = None,
                   project: dict | None = None) -> Check:
        from .parties import parse_ref, party_of_right

        buyer = buyer or (parse_ref(trade.buyer_ref) if trade.buyer_ref else None)
        project = project or {}
        return cls(
            trade_type=trade.trade_type, stage=stage, seller=party_of_right(trade.seller_right), seller_right=trade.seller_right,
            volume_m3=trade.volume_m3, years=trade.years(), buyer=buyer, buyer_right=buyer_right or trade.buyer_right,
            use=project.get("use", trade.use), basis=trade.basis, savings=trade.savings, trade=trade, is_snwd=trade.is_snwd,
            project_sector=project.get("project_sector", trade.project_sector),
            project_product=project.get("project_product", trade.project_product),
            project_water_per_unit=project.get("project_water_per_unit", trade.project_water_per_unit),
            filed=trade.filed_at is not None, verified=trade.verified_at is not None,
            use_change_approved=trade.use_change_approved, third_party_harm=trade.third_party_harm,
            needs_new_groundwater=trade.needs_new_groundwater, snwd_consulted=trade.snwd_consulted_at is not None,
        )


@dataclass
class Rule:
    rule: str
    stages: frozenset
    fn: Callable[[Check], list[Refusal]]
    title: str
    title_en: str


RULES: list[Rule] = []


def rule(rule_id: str, title: str, title_en: str, stages=ALL_STAGES):
    def deco(fn):
        RULES.append(Rule(rule_id, frozenset(stages), fn, title, title_en))
        return fn

    return deco


def evaluate(check: Check, stages=None) -> list[Refusal]:
    """Every refusal of ``check`` at its stage (or at each of ``stages``, de-duplicated)."""
    out: list[Refusal] = []
    seen = set()
    for stage in stages or [check.stage]:
        check.stage = stage
        for r in RULES:
            if stage not in r.stages:
                continue
            for refusal in r.fn(check):
                key = (refusal.rule, refusal.code, refusal.side)
                if key not in seen:
                    seen.add(key)
                    out.append(refusal)
    return out


def enforce(check: Check) -> None:
    """Raise a ``RuleViolation`` naming the first refusal's rule, with all refusals in ``detail``."""
    refusals = evaluate(check)
    if refusals:
        first = refusals[0]
        more = f"（另有 {len(refusals) - 1} 项）" if len(refusals) > 1 else ""
        more_en = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
        raise RuleViolation(first.rule, first.code, first.zh + more, first.en + more_en,
                            detail={"stage": check.stage, "refusals": [r.as_dict() for r in refusals]})


# ---------------------------------------------------------------------------------------------
# Helpers the rules share
# ---------------------------------------------------------------------------------------------


def _live_trades():
    from .models import Trade

    return Trade.objects.exclude(status__in=DEAD_STATES)


def _overlapping(qs, years: list[int]):
    return qs.filter(start_year__lte=years[-1], end_year__gte=years[0])


def _committed_per_year(qs, years: list[int], exclude_pk=None) -> dict[int, int]:
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    out = dict.fromkeys(years, 0)
    for vol, start, end in _overlapping(qs, years).values_list("volume_m3", "start_year", "end_year"):
        for y in years:
            if start <= y <= end:
                out[y] += vol
    return out


def seller_source(check: Check) -> reg.WaterSource | None:
    """The water source the seller's volume is drawn from (permit → right → parents)."""
    if check.seller.permit is not None:
        return check.seller.permit.source
    right, depth = check.seller_right, 0
    while right is not None and depth < 4:
        if right.permit_id:
            return right.permit.source
        if right.source_id:
            return right.source
        right, depth = right.parent, depth + 1
    return None


def _metering_ok_for_permit(permit) -> bool:
    return reg.MeteringDevice.objects.filter(
        intake_point__permit=permit, status=DeviceStatus.ACTIVE, is_online=True, meets_standard=True
    ).exists()


def _irrigation_metering_ok(association) -> bool:
    if association is None:
        return False
    if reg.MeteringDevice.objects.filter(intake_point__association=association, status=DeviceStatus.ACTIVE, meets_standard=True).exists():
        return True
    if config.get("trading.m2_irrigation_accept_district_meter"):
        return reg.MeteringDevice.objects.filter(
            intake_point__permit__irrigation_district_id=association.district_id, status=DeviceStatus.ACTIVE, is_online=True,
            meets_standard=True,
        ).exists()
    return False


def _party_filter(party: Party, prefix: str = "") -> Q | None:
    if party.kind == "water_user":
        return Q(**{f"{prefix}water_user": party.obj})
    if party.association is not None:
        return Q(**{f"{prefix}association": party.association})
    if party.kind in ("region", "outside"):
        return Q(**{f"{prefix}region": party.obj})
    if party.kind == "reserve":
        return Q(**{f"{prefix}region": party.obj.region})
    return None


def _party_sector(party: Party | None, permit=None):
    if party is None:
        return None
    if party.kind == "water_user":
        return (permit.sector if permit is not None and permit.sector_id else None) or party.obj.sector
    return None


def _party_use(party: Party | None, right: WaterRight | None) -> str:
    if party is not None and party.permit is not None:
        return party.permit.use
    if right is not None:
        return right.use
    if party is not None and party.kind in ("association", "household"):
        return WaterUse.AGRICULTURAL
    return ""


def _wan(m3: int) -> str:
    return f"{Decimal(m3) / 10000:,.2f}万立方米"


# ---------------------------------------------------------------------------------------------
# T1: who may trade under which type
# ---------------------------------------------------------------------------------------------

SELLER_KINDS = {
    TradeType.PERMIT: {"water_user"},
    TradeType.REGIONAL: {"region", "reserve"},
    TradeType.IRRIGATION: {"association", "household", "reserve"},
}
BUYER_KINDS = {
    TradeType.PERMIT: {"water_user"},
    TradeType.REGIONAL: {"region", "outside", "reserve"},
    TradeType.IRRIGATION: {"association", "household", "reserve", "water_user"},
}


@rule("T1", "交易类型与交易主体相符", "Trade type matches its parties")
def check_t1(c: Check) -> list[Refusal]:
    out = []
    if c.seller.kind not in SELLER_KINDS[c.trade_type]:
        out.append(Refusal("T1", "t1_seller_type", f"{c.seller.label}不能作为{TradeType(c.trade_type).label}的转让方",
                           f"A {c.seller.kind} cannot sell in a {c.trade_type} trade", "seller"))
    if c.seller.kind == "water_user" and c.seller_right.kind != RightKind.WITHDRAWAL:
        out.append(Refusal("T1", "t1_seller_right", "取水权交易只能转让取水许可证对应的取水权",
                           "A permit trade sells only the permit's withdrawal right", "seller"))
    if c.seller.kind == "reserve" and c.trade_type == TradeType.IRRIGATION and c.seller_right.source_type == "snwd":
        out.append(Refusal("T1", "t1_reserve_type", "南水北调收储水量按区域水权交易出让", "SNWD reserve volume is sold as a regional trade", "seller"))
    if c.buyer is not None:
        if c.buyer.kind not in BUYER_KINDS[c.trade_type]:
            out.append(Refusal("T1", "t1_buyer_type", f"{c.buyer.label}不能作为{TradeType(c.trade_type).label}的受让方",
                               f"A {c.buyer.kind} cannot buy in a {c.trade_type} trade", "buyer"))
        if c.buyer_right is not None and c.buyer_right.pk == c.seller_right.pk:
            out.append(Refusal("T1", "t1_same_party", "转让方与受让方不能相同", "Seller and buyer must differ", "trade"))
    return out


# ---------------------------------------------------------------------------------------------
# T2: SNWD cross-region trades are made by the city from its reserve, consulting the SNWD unit
# ---------------------------------------------------------------------------------------------


@rule("T2", "南水北调跨区域交易由市收储统一交易并征求工程管理单位意见", "SNWD cross-region trades by the city reserve")
def check_t2(c: Check) -> list[Refusal]:
    out = []
    if c.buyer is not None and c.buyer.is_outside:
        city_reserve = c.seller.kind == "reserve" and c.seller.obj.region.kind == RegionKind.CITY
        if not (city_reserve and c.seller_right.source_type == "snwd"):
            out.append(Refusal(
                "T2", "t2_outside_needs_city_reserve",
                "向市外转让南水北调水权，须由南阳市人民政府（或授权的市水利局）将县市区富余指标收储后统一交易",
                "An SNWD trade with a city outside Nanyang must be made by the city from county surplus taken into the city reserve",
                "seller"))
    if c.is_snwd and c.stage in (Stage.CONTRACT, Stage.REGISTRATION) and not c.snwd_consulted:
        out.append(Refusal("T2", "t2_snwd_not_consulted", "南水北调水权交易须先征求南水北调工程管理单位意见",
                           "An SNWD trade must first consult the SNWD management unit", "trade"))
    return out


# ---------------------------------------------------------------------------------------------
# T4: a permit holder sells only verified saved volume or volume bought from the reserve,
# within its permit's validity and limit; public supply works may not sell
# ---------------------------------------------------------------------------------------------


def reserve_bought_per_year(right: WaterRight, years: list[int], exclude_pk=None) -> dict[int, int]:
    """Volume ``right`` bought from a reserve (registered) minus what it has committed to resell."""
    from .models import Trade

    bought = _committed_per_year(
        Trade.objects.filter(buyer_right=right, seller_reserve__isnull=False,
                             status__in=[TradeStatus.REGISTERED, TradeStatus.EXPIRED]), years)
    resold = _committed_per_year(_live_trades().filter(seller_right=right, basis=Basis.RESERVE_PURCHASE), years, exclude_pk)
    return {y: bought[y] - resold[y] for y in years}


def saving_left_per_year(savings, years: list[int], exclude_pk=None) -> dict[int, int]:
    base = savings.verified_m3 if savings.status == SavingStatus.VERIFIED else savings.claimed_m3
    committed = _committed_per_year(_live_trades().filter(savings=savings), years, exclude_pk)
    return {y: (base if savings.first_year <= y <= savings.last_year else 0) - committed[y] for y in years}


@rule("T4", "取水权人只能转让核定的节约水量或收储购得水量，且在许可有效期和限额内", "Permit holders sell verified savings only",
      SELLER_STAGES)
def check_t4(c: Check) -> list[Refusal]:
    if c.seller.kind != "water_user":
        return []
    out = []
    holder, permit = c.seller.obj, c.seller.permit
    if holder.is_public_supply:
        out.append(Refusal("T4", "t4_public_supply", f"{holder} 为城镇公共供水或乡村集中供水单位，不得转让取水权",
                           f"{holder} is a public urban or rural water supply works and may not sell", "seller"))
    if permit is not None:
        if permit.status not in ACTIVE_PERMIT_STATUSES or not (permit.valid_from.year <= c.years[0] and c.years[-1] <= permit.valid_to.year):
            out.append(Refusal("T4", "t4_outside_permit_validity",
                               f"交易期限 {c.years[0]}–{c.years[-1]} 年超出取水许可证 {permit.number} 有效期（{permit.valid_from}至{permit.valid_to}）",
                               f"The term {c.years[0]}–{c.years[-1]} is outside the validity of permit {permit.number} "
                               f"({permit.valid_from} to {permit.valid_to})", "seller"))
        if c.volume_m3 > permit.annual_volume_m3:
            out.append(Refusal("T4", "t4_exceeds_permit_limit",
                               f"年交易水量 {c.volume_m3:,} 立方米超过许可水量 {permit.annual_volume_m3:,} 立方米",
                               f"The annual volume {c.volume_m3:,} m³ exceeds the permit's {permit.annual_volume_m3:,} m³", "seller"))
    if c.basis == Basis.SAVING:
        s = c.savings
        if s is None:
            out.append(Refusal("T4", "t4_no_saving", "取水权转让须以原审批机关核定的节约水量为依据",
                               "A permit holder may sell only saved volume verified by the approving authority", "seller"))
        elif permit is not None and s.permit_id != permit.pk:
            out.append(Refusal("T4", "t4_saving_other_permit", "节水量核定不属于该取水许可证", "The saving belongs to another permit", "seller"))
        elif s.status == SavingStatus.REJECTED:
            out.append(Refusal("T4", "t4_saving_rejected", "节约水量未通过核定", "The saved volume was not verified", "seller"))
        else:
            if c.stage != Stage.APPLICATION and s.status != SavingStatus.VERIFIED:
                out.append(Refusal("T4", "t4_saving_not_verified", "节约水量尚未经原审批机关核定，不能挂牌或签约",
                                   "The saved volume has not been verified by the approving authority", "seller"))
            if not (s.first_year <= c.years[0] and c.years[-1] <= s.last_year):
                out.append(Refusal("T4", "t4_outside_saving_years", f"交易期限超出节约水量核定年度（{s.first_year}–{s.last_year}）",
                                   f"The term is outside the saving's years ({s.first_year}–{s.last_year})", "seller"))
            left = saving_left_per_year(s, c.years, c.trade_pk)
            short = [y for y in c.years if left[y] < c.volume_m3]
            if short:
                y = short[0]
                out.append(Refusal("T4", "t4_exceeds_verified_saving",
                                   f"{y}年可转让的核定节约水量为 {max(left[y], 0):,} 立方米，少于交易水量 {c.volume_m3:,} 立方米",
                                   f"Only {max(left[y], 0):,} m³ of verified saving is left in {y}, less than {c.volume_m3:,} m³", "seller"))
    elif c.basis == Basis.RESERVE_PURCHASE:
        left = reserve_bought_per_year(c.seller_right, c.years, c.trade_pk)
        short = [y for y in c.years if left[y] < c.volume_m3]
        if short:
            y = short[0]
            out.append(Refusal("T4", "t4_exceeds_reserve_purchase",
                               f"{y}年从收储购得的可转让水量为 {max(left[y], 0):,} 立方米，少于交易水量",
                               f"Only {max(left[y], 0):,} m³ bought from the reserve is left in {y}", "seller"))
    else:
        out.append(Refusal("T4", "t4_basis_not_allowed", "取水权人只能转让节约水量或从收储购得的水量",
                           "A permit holder may sell only saved volume or volume bought from the reserve", "seller"))
    return out


# ---------------------------------------------------------------------------------------------
# T9 / T10: irrigation-user trades
# ---------------------------------------------------------------------------------------------


@rule("T9", "灌溉用水户水权交易在协会、用水户之间进行，超过一年的须先备案", "Irrigation trades: parties and filing")
def check_t9(c: Check) -> list[Refusal]:
    if c.trade_type != TradeType.IRRIGATION or c.seller.kind not in ("association", "household"):
        return []
    out = []
    if c.buyer is not None and c.buyer.kind not in ("association", "household", "reserve"):
        out.append(Refusal("T9", "t9_buyer_not_irrigation_user",
                           "灌溉用水户水权交易在农民用水者协会、用水户之间进行；向工业或乡镇供水转让须由县级水行政主管部门收储后进行（T10）",
                           "Irrigation trades are between associations and households; sales to industry go through the county reserve (T10)",
                           "buyer"))
    if c.term_years > 1 and not c.filed and c.stage in (Stage.LISTING, Stage.BID, Stage.CONTRACT, Stage.REGISTRATION):
        out.append(Refusal("T9", "t9_not_filed",
                           f"交易期限 {c.term_years} 年，超过一年的灌溉用水户水权交易须先报灌区管理单位或县级水行政主管部门备案",
                           f"The term is {c.term_years} years: an irrigation trade over one year must first be filed with the district "
                           "unit or the county bureau", "trade"))
    return out


@rule("T10", "县级收储灌溉水权出让给工业或乡镇供水，须核定受让方用水需求", "County reserve resale to industry or township supply")
def check_t10(c: Check) -> list[Refusal]:
    out = []
    if c.trade_type != TradeType.IRRIGATION:
        return out
    if c.buyer is not None and c.buyer.kind == "reserve" and c.seller.kind in ("association", "household"):
        reserve_region = c.buyer.obj.region
        if reserve_region.kind not in (RegionKind.COUNTY, RegionKind.DISTRICT, RegionKind.COUNTY_CITY) or reserve_region.pk != c.seller.region.pk:
            out.append(Refusal("T10", "t10_reserve_not_county", "协会水权由所在县级水行政主管部门收储",
                               "Association volume is bought back by its own county bureau's reserve", "buyer"))
    if c.seller.kind == "reserve":
        if c.buyer is not None:
            ok = c.buyer.kind == "water_user" and (c.buyer.obj.is_public_supply or _party_use(c.buyer, c.buyer_right) == WaterUse.INDUSTRIAL)
            if not ok:
                out.append(Refusal("T10", "t10_buyer_not_industry_or_supply", "县级收储的灌溉水权只能出让给工业企业或乡镇供水",
                                   "County reserve irrigation volume is resold only to industry or township supply", "buyer"))
        if c.stage in (Stage.CONTRACT, Stage.REGISTRATION) and not c.verified:
            out.append(Refusal("T10", "t10_need_not_verified", "县级水行政主管部门须先核定受让方用水的真实性、合理性",
                               "The county bureau must first verify the buyer's need", "trade"))
    return out


# ---------------------------------------------------------------------------------------------
# T11: regions over their available volume meet new demand through trades (and may not sell)
# ---------------------------------------------------------------------------------------------


@rule("T11", "用水量达到或超过可用水量的区域不得转让区域水权", "A region over its available volume may not sell", SELLER_STAGES)
def check_t11(c: Check) -> list[Refusal]:
    if c.seller.kind != "region" or c.seller.obj.kind == RegionKind.CITY:
        return []
    from .impact import region_cap, region_use

    out = []
    for y in c.years[:1]:
        cap = region_cap(c.seller.obj, y)
        use, basis = region_use(c.seller.obj, y)
        if cap is not None and use is not None and use >= cap:
            out.append(Refusal("T11", "t11_region_over_available",
                               f"{c.seller.obj} 用水量 {_wan(use)}（{basis}）已达到或超过用水总量控制指标 {_wan(cap)}，新增用水须通过交易取得，不得转让",
                               f"{c.seller.obj} uses {use:,} m³ ({basis}), at or over its cap of {cap:,} m³: it must buy, not sell",
                               "seller"))
    return out


# ---------------------------------------------------------------------------------------------
# S1: use control
# ---------------------------------------------------------------------------------------------


@rule("S1", "不得挤占基本生态用水和农田灌溉合理用水，未经批准不得改变用途", "Use control")
def check_s1(c: Check) -> list[Refusal]:
    out = []
    if c.seller_right.kind in NEVER_MOVES:
        out.append(Refusal("S1", "s1_ecological_water", "河道基本生态水量不得交易", "Basic ecological water cannot be traded", "seller"))
    seller_use = _party_use(c.seller, c.seller_right)
    if (c.stage in (Stage.CONTRACT, Stage.REGISTRATION) and c.use and seller_use not in ("", WaterUse.MIXED)
            and c.use != seller_use and not c.use_change_approved):
        out.append(Refusal("S1", "s1_use_change_unapproved",
                           f"交易将取水用途由“{WaterUse(seller_use).label}”改为“{WaterUse(c.use).label}”，须经审批机关批准",
                           f"The trade changes the use from {seller_use} to {c.use} without approval", "trade"))
    if c.seller.kind in ("association", "household") and c.buyer is not None and c.buyer.kind not in ("association", "household"):
        pct = Decimal(config.get("trading.s1_max_agri_outflow_pct"))
        cap = int((Decimal(c.seller_right.annual_volume_m3) * pct / 100).to_integral_value(ROUND_FLOOR))
        qs = _live_trades().filter(seller_right=c.seller_right).exclude(buyer_kind__in=["association", "household", ""])
        committed = _committed_per_year(qs, c.years, c.trade_pk)
        for y in c.years:
            if committed[y] + c.volume_m3 > cap:
                out.append(Refusal("S1", "s1_irrigation_water",
                                   f"{y}年转出农业的水量将达 {committed[y] + c.volume_m3:,} 立方米，超过该水权名义水量的 {pct}%（{cap:,} 立方米），挤占农田灌溉合理用水",
                                   f"In {y} the volume leaving agriculture would reach {committed[y] + c.volume_m3:,} m³, over {pct}% of the "
                                   f"right's nominal volume ({cap:,} m³)", "seller"))
                break
    return out


# ---------------------------------------------------------------------------------------------
# S4: five prohibited sales
# ---------------------------------------------------------------------------------------------


def _prohibitions(party: Party, sides: tuple[str, ...]):
    from .models import LegalProhibition

    q = Q(region=party.region)
    if party.kind == "water_user":
        q |= Q(water_user=party.obj)
    if party.association is not None:
        q |= Q(association=party.association)
    return LegalProhibition.objects.filter(q, is_active=True, side__in=sides)


@rule("S4", "禁止转让的五种情形", "Five prohibited sales", SELLER_STAGES)
def check_s4(c: Check) -> list[Refusal]:
    out = []
    source = seller_source(c)
    if source is not None:
        if source.kind == SourceKind.GROUNDWATER and source.is_overdraft_area:
            out.append(Refusal("S4", "s4_overdraft_groundwater", f"{source} 位于地下水超采区，其地下水取用水指标不得转让",
                               f"{source} is in a groundwater overdraft area: its groundwater may not be sold", "seller"))
        if source.kind in (SourceKind.RIVER, SourceKind.RESERVOIR) and source.is_overloaded:
            out.append(Refusal("S4", "s4_overloaded_surface", f"{source} 属地表水超载地区，其地表水取用水指标不得转让",
                               f"{source} is in an overloaded surface-water area: its surface water may not be sold", "seller"))
    elif c.seller.kind == "region" and c.seller_right.source_type == "groundwater":
        if reg.WaterSource.objects.filter(region=c.seller.obj, kind=SourceKind.GROUNDWATER, is_overdraft_area=True).exists():
            out.append(Refusal("S4", "s4_overdraft_groundwater", f"{c.seller.obj} 有地下水超采区，其地下水取用水指标不得转让",
                               f"{c.seller.obj} has a groundwater overdraft area: its groundwater may not be sold", "seller"))
    if c.third_party_harm:
        out.append(Refusal("S4", "s4_third_party_harm", "经核定，水资源用途变更可能对第三方或者社会公共利益产生重大损害",
                           "The change of use may seriously harm third parties or the public interest", "trade"))
    if c.needs_new_groundwater:
        out.append(Refusal("S4", "s4_needs_new_groundwater", "经核定，转让地表水水权后需要新增地下水取水量",
                           "After selling surface water the seller would need new groundwater withdrawal", "seller"))
    for p in _prohibitions(c.seller, ("sell", "both"))[:1]:
        out.append(Refusal("S4", "s4_prohibited_by_law", f"法律法规或地方政策明文规定不得转让：{p.legal_basis}",
                           f"Sale forbidden by law or local policy: {p.legal_basis}", "seller"))
    return out


# ---------------------------------------------------------------------------------------------
# S5: five prohibited purchases (the metering one is M2 below)
# ---------------------------------------------------------------------------------------------


def _pollutant(sector, use: str):
    from .models import PollutantIntensity

    row = None
    if sector is not None:
        row = PollutantIntensity.objects.filter(sector=sector).order_by("pk").first()
    if row is None and use:
        row = PollutantIntensity.objects.filter(sector__isnull=True, use=use).order_by("pk").first()
    return row


@rule("S5", "禁止受让的情形", "Prohibited purchases", BUYER_STAGES)
def check_s5(c: Check) -> list[Refusal]:
    if c.buyer is None:
        return []
    from .models import EliminatedIndustry, SectorQuota

    out = []
    sector = c.project_sector or _party_sector(c.buyer, c.buyer.permit)
    product = (c.project_product or "").strip()
    eliminated = EliminatedIndustry.objects.filter(is_active=True)
    hit = None
    if sector is not None:
        hit = eliminated.filter(sector=sector, product_keyword="").first()
    if hit is None and product:
        for row in eliminated.exclude(product_keyword=""):
            if row.product_keyword in product and (row.sector_id is None or sector is None or row.sector_id == sector.pk):
                hit = row
                break
    if hit is not None:
        out.append(Refusal("S5", "s5_eliminated_industry", f"受让项目属于国家产业结构调整指导目录淘汰类：{hit.catalogue_item}",
                           f"The buyer's project is in the eliminated category: {hit.catalogue_item}", "buyer"))
    if sector is not None and c.project_water_per_unit is not None:
        quota = (SectorQuota.objects.filter(sector=sector, product=product).first() if product else None) or \
            SectorQuota.objects.filter(sector=sector, product="").first()
        if quota is not None and c.project_water_per_unit > quota.quota_m3_per_unit:
            out.append(Refusal("S5", "s5_above_sector_quota",
                               f"受让项目单位产品取水量 {c.project_water_per_unit} 立方米/{quota.unit}，高于行业用水定额 {quota.quota_m3_per_unit}（{quota.standard}）",
                               f"The project uses {c.project_water_per_unit} m³ per {quota.unit}, above the sector quota "
                               f"{quota.quota_m3_per_unit} ({quota.standard})", "buyer"))
    buyer_row = _pollutant(sector, c.use or _party_use(c.buyer, c.buyer_right))
    seller_row = _pollutant(_party_sector(c.seller, c.seller.permit), _party_use(c.seller, c.seller_right))
    if buyer_row is not None and seller_row is not None and (
        buyer_row.cod_kg_per_10k_m3 > seller_row.cod_kg_per_10k_m3 or buyer_row.nh3n_kg_per_10k_m3 > seller_row.nh3n_kg_per_10k_m3
    ):
        out.append(Refusal("S5", "s5_more_pollutants",
                           f"受让方用水的污染物排放强度（COD {buyer_row.cod_kg_per_10k_m3}、氨氮 {buyer_row.nh3n_kg_per_10k_m3} 千克/万立方米）高于转让方"
                           f"（COD {seller_row.cod_kg_per_10k_m3}、氨氮 {seller_row.nh3n_kg_per_10k_m3}），将增加污染物排放总量",
                           "The buyer would discharge more pollutants per m³ than the seller", "buyer"))
    for p in _prohibitions(c.buyer, ("buy", "both"))[:1]:
        out.append(Refusal("S5", "s5_prohibited_by_law", f"法律、法规和规章规定不得受让：{p.legal_basis}",
                           f"Purchase forbidden by law: {p.legal_basis}", "buyer"))
    return out


# ---------------------------------------------------------------------------------------------
# M2: metering at both parties' intakes (S5's "buyer without compliant metering")
# ---------------------------------------------------------------------------------------------


@rule("M2", "交易双方取水口安装符合标准的在线计量设施", "Compliant online metering at both intakes")
def check_m2(c: Check) -> list[Refusal]:
    out = []
    seller_stage = c.stage in SELLER_STAGES
    buyer_stage = c.stage in BUYER_STAGES
    if seller_stage:
        if c.seller.kind == "water_user" and c.seller.permit is not None and not _metering_ok_for_permit(c.seller.permit):
            out.append(Refusal("M2", "m2_seller_no_online_metering",
                               f"转让方取水许可证 {c.seller.permit.number} 的取水口未安装符合国家技术标准的在线计量设施",
                               f"The seller's intake (permit {c.seller.permit.number}) has no compliant online meter", "seller"))
        if c.seller.kind in ("association", "household") and not _irrigation_metering_ok(c.seller.association):
            out.append(Refusal("M2", "m2_seller_no_irrigation_metering", f"{c.seller.association} 未配备符合标准的灌溉计量设施",
                               f"{c.seller.association} has no compliant irrigation metering", "seller"))
    if buyer_stage and c.buyer is not None:
        if c.buyer.kind == "water_user" and c.buyer.permit is not None and not _metering_ok_for_permit(c.buyer.permit):
            out.append(Refusal("M2", "m2_buyer_no_online_metering",
                               f"受让方取水许可证 {c.buyer.permit.number} 的取水口未安装符合国家技术标准的在线计量设施（S5：不得受让）",
                               f"The buyer's intake (permit {c.buyer.permit.number}) has no compliant online meter (S5: may not buy)",
                               "buyer"))
        if c.buyer.kind in ("association", "household") and not _irrigation_metering_ok(c.buyer.association):
            out.append(Refusal("M2", "m2_buyer_no_irrigation_metering", f"{c.buyer.association} 未配备符合标准的灌溉计量设施（S5：不得受让）",
                               f"{c.buyer.association} has no compliant irrigation metering (S5: may not buy)", "buyer"))
    return out


# ---------------------------------------------------------------------------------------------
# S6: halted or cut parties
# ---------------------------------------------------------------------------------------------


def active_restrictions(party: Party):
    """The active S6 restrictions that bind ``party`` (its own, its association's, its region's)."""
    from .models import TradingRestriction

    q = Q(region=party.region)
    if party.kind == "water_user":
        q |= Q(water_user=party.obj)
    if party.association is not None:
        q |= Q(association=party.association)
    if party.kind == "reserve":
        q |= Q(region=party.obj.region)
    return TradingRestriction.objects.filter(q, lifted_at__isnull=True).order_by("pk")


@rule("S6", "未达压采目标或考核不合格的交易方被核减或停止交易", "Halted or cut parties")
def check_s6(c: Check) -> list[Refusal]:
    from .models import Trade

    out = []
    sides = []
    if c.stage in SELLER_STAGES:
        sides.append(("seller", c.seller, c.seller_right))
    if c.stage in BUYER_STAGES and c.buyer is not None:
        sides.append(("buyer", c.buyer, c.buyer_right))
    for side, party, right in sides:
        side_zh = "转让方" if side == "seller" else "受让方"
        for r in active_restrictions(party):
            if r.kind == "halt":
                out.append(Refusal("S6", "s6_trading_halted", f"{side_zh}{r.party} 已被市水利局责令停止水量交易：{r.reason}",
                                   f"The {side} ({r.party}) has been halted from trading by the city bureau: {r.reason}", side))
                break
            base = right.annual_volume_m3 if right is not None else 0
            allowed = int((Decimal(base) * (100 - r.cut_pct) / 100).to_integral_value(ROUND_FLOOR))
            field_name = "seller_right" if side == "seller" else "buyer_right"
            qs = _live_trades().filter(**{field_name: right}) if right is not None else Trade.objects.none()
            committed = _committed_per_year(qs, c.years, c.trade_pk)
            worst = max(committed[y] for y in c.years) + c.volume_m3
            if worst > allowed:
                out.append(Refusal("S6", "s6_volume_cut",
                                   f"{side_zh}{r.party} 的交易水量被核减 {r.cut_pct}%：每年最多 {allowed:,} 立方米，本次后将达 {worst:,} 立方米（{r.reason}）",
                                   f"The {side}'s trade volume is cut by {r.cut_pct}%: at most {allowed:,} m³ a year, this would make "
                                   f"{worst:,} m³ ({r.reason})", side))
                break
    return out


# ---------------------------------------------------------------------------------------------
# F4 (finance, §7.2.5): pledged volume is not for sale until the pledgee releases it
# ---------------------------------------------------------------------------------------------


@rule("F4", "已质押（抵押）的水量未经质权人解除不得转让", "Pledged volume cannot be sold without the pledgee's release", SELLER_STAGES)
def check_f4(c: Check) -> list[Refusal]:
    from shuiquan.finance.services import pledge_holders, pledged_volume

    right = c.seller_right
    rows = {b.year: b for b in RightBalance.objects.filter(right=right, year__in=c.years)}
    own = {}
    if c.trade_pk:
        for lock in VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(c.trade_pk), status=LockStatus.ACTIVE,
                                              right=right):
            own[lock.year] = own.get(lock.year, 0) + lock.amount
    for y in c.years:
        pledged = pledged_volume(right, y)
        row = rows.get(y)
        available = (row.balance - row.locked if row else 0) + own.get(y, 0)
        if pledged and c.volume_m3 > available:
            banks = "、".join(pledge_holders(right, y))
            return [Refusal("F4", "pledged",
                            f"转让方用水权 {right.number} {y}年有 {pledged:,} 立方米已质押给{banks}，可转让水量 {available:,} 立方米，"
                            f"少于交易水量 {c.volume_m3:,} 立方米；须经质权人解除质押后方可转让",
                            f"{pledged:,} m³ of the seller's right {right.number} is pledged to {banks} in {y}; only {available:,} m³ "
                            f"may be sold, less than {c.volume_m3:,} m³, until the pledgee releases the pledge", "seller")]
    return []


# ---------------------------------------------------------------------------------------------
# L1: the ledger's availability, reported before anything is locked
# ---------------------------------------------------------------------------------------------


@rule("L1", "转让方可用水量充足，双方用水权覆盖交易年度", "Available volume and rights' validity",
      {Stage.APPLICATION, Stage.LISTING, Stage.CONTRACT, Stage.BID})
def check_l1(c: Check) -> list[Refusal]:
    out = []
    right = c.seller_right
    rows = {b.year: b for b in RightBalance.objects.filter(right=right, year__in=c.years)}
    own = {}
    if c.trade_pk:
        for lock in VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(c.trade_pk), status=LockStatus.ACTIVE,
                                              right=right):
            own[lock.year] = own.get(lock.year, 0) + lock.amount
    for y in c.years:
        if not right.covers_year(y):
            out.append(Refusal("L1", "seller_right_validity", f"{y}年不在转让方用水权 {right.number} 有效期内",
                               f"{y} is outside the validity of the seller's right {right.number}", "seller"))
            break
        row = rows.get(y)
        available = (row.balance - row.locked if row else 0) + own.get(y, 0)
        if available < c.volume_m3:
            out.append(Refusal("L1", "insufficient_volume", f"转让方用水权 {right.number} {y}年可用水量 {available:,} 立方米，少于交易水量 {c.volume_m3:,} 立方米",
                               f"The seller's right {right.number} has {available:,} m³ available in {y}, less than {c.volume_m3:,} m³",
                               "seller"))
            break
    if c.buyer_right is not None:
        missing = [y for y in c.years if not c.buyer_right.covers_year(y)]
        if missing:
            out.append(Refusal("L1", "buyer_right_validity",
                               f"{missing[0]}年不在受让方用水权 {c.buyer_right.number} 有效期（{c.buyer_right.valid_from}至{c.buyer_right.valid_to}）内",
                               f"{missing[0]} is outside the validity of the buyer's right {c.buyer_right.number}", "buyer"))
    return out


def catalogue() -> list[dict]:
    """The rules, for documentation pages and the API."""
    return [{"rule": r.rule, "title": r.title, "title_en": r.title_en, "stages": sorted(r.stages), "function": r.fn.__name__}
            for r in RULES]


def volume_in_use(right: WaterRight, year: int) -> int:
    """Volume of ``right`` already committed to live trades in ``year`` (for displays)."""
    qs = _live_trades().filter(seller_right=right, start_year__lte=year, end_year__gte=year)
    return qs.aggregate(s=Sum("volume_m3"))["s"] or 0

"""Dual-control assessment (双控考核, §2.1, §7.5.2, rule S2): computed live, for a region and a year.

Inputs, all read from the platform (nothing typed into this module):

- **Water use.** Metered use of the region's permits (``metering``) and the reported statistics
  (``registry.WaterUseStatistic``: Table 1-2 for 2017–2021, then what the city bureau enters). Which
  one is *the* measured use is the parameter ``supervision.use_basis`` (default ``metered_first``:
  a year with metering data uses it, other years the reported statistics); both are shown.
- **S2 trade accounting** from the ledger: every trade-like journal entry (trade, reserve purchase
  and resale, pledge enforcement; reversals of them with the opposite sign) whose postings for the
  year move volume between rights inside and outside the region. The volume that leaves is *sold*;
  the volume that arrives is *bought*. Assessed use = measured use + sold − bought: the seller
  region's assessed use includes what it sold (it counts against its cap, §7.5.2) and the buyer
  region's excludes what it bought (it does not count against the buyer's cap). For the city as a
  whole the boundary is the city's: trades between its counties cancel out.
- **Caps.** The region's registered regional right (allocation, A1: nominal annual volume) for the
  years it covers, else the Table 2-1 target (``registry.DualControlTarget``); the 2025 target is the
  14th-five-year-plan ceiling, so it applies from 2021 on and stands until the next plan.
- **Intensity.** Measured use per 10⁴ yuan of GDP and industrial use per 10⁴ yuan of industrial
  value added, from the economic figures the city bureau enters (``AssessmentFigures``), against
  52.7 and 24.9 m³ (§2.1, the city's 2025 targets; a county without its own targets is compared
  with the city's, marked as reference). Assessed from the target year on; earlier years are shown
  against the target for reference.
- **Irrigation-water effective-use coefficient** entered per year, against 0.615 (from 2025).
- **Non-conventional water** used, against Table 2-1's minimum for the year (a floor).
- **Groundwater withdrawal** against the region's groundwater control right (allocation) for the
  years it covers; otherwise the control indicator is shown for reference.

Status: cap indicators are red above the cap, amber from (100 − margin) % of it, green below;
floor indicators are green at or above the floor, amber within margin % below it, red further
below (``supervision.amber_margin_pct``). A region's overall status is its worst assessed
indicator. Every figure behind a status is returned with it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuiquan.core import config
from shuiquan.ledger.choices import EntryKind, RightKind, RightStatus
from shuiquan.ledger.models import Posting, WaterRight
from shuiquan.registry.choices import COUNTY_LEVEL, RegionKind, StatisticKind, WaterUse
from shuiquan.registry.models import DualControlTarget, Indicator, NonConventionalMinimum, Region, WaterUseStatistic

from . import metered
from .choices import Status
from .models import AssessmentFigures

CITY_CODE = "411300"
FIRST_YEAR = 2017  # Table 1-2's first year
TRADE_ENTRY_KINDS = (EntryKind.TRADE, EntryKind.RESERVE_PURCHASE, EntryKind.RESERVE_RESALE, EntryKind.PLEDGE_ENFORCEMENT)
SECTORS = (WaterUse.DOMESTIC, WaterUse.INDUSTRIAL, WaterUse.AGRICULTURAL, WaterUse.ECOLOGICAL)
#: City-wide 2021 use by sector (§1.1.2) as the seed states it, by indicator key.
CITY_SECTOR_INDICATORS = {"use_domestic": WaterUse.DOMESTIC, "use_industry": WaterUse.INDUSTRIAL,
                          "use_agriculture": WaterUse.AGRICULTURAL, "use_ecological": WaterUse.ECOLOGICAL}
INCITY_KINDS = (RegionKind.CITY, RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.COUNTY_CITY, RegionKind.FUNCTIONAL_ZONE,
                RegionKind.RECEIVING_AREA)
TWO = Decimal("0.01")
STATUS_ORDER = {Status.NONE: 0, Status.GREEN: 1, Status.AMBER: 2, Status.RED: 3}


def cap_status(value, cap, margin_pct: Decimal) -> str:
    """Lower is better: red above ``cap``, amber from (100 − margin) % of it."""
    if value is None or cap is None or cap <= 0:
        return Status.NONE
    value, cap = Decimal(value), Decimal(cap)
    if value > cap:
        return Status.RED
    if value * 100 >= cap * (100 - margin_pct):
        return Status.AMBER
    return Status.GREEN


def floor_status(value, floor, margin_pct: Decimal) -> str:
    """Higher is better: green at or above ``floor``, amber within margin % below, else red."""
    if value is None or floor is None:
        return Status.NONE
    value, floor = Decimal(value), Decimal(floor)
    if value >= floor:
        return Status.GREEN
    if value * 100 >= floor * (100 - margin_pct):
        return Status.AMBER
    return Status.RED


def worst(statuses) -> str:
    out = Status.NONE
    for s in statuses:
        if STATUS_ORDER[s] > STATUS_ORDER[out]:
            out = s
    return out


@dataclass
class Measure:
    """One assessed indicator with the numbers behind its status."""

    key: str
    label: str
    unit: str
    value: Decimal | int | None
    target: Decimal | int | None
    kind: str  # "cap" | "floor"
    status: str
    basis: str = ""
    target_basis: str = ""
    assessed: bool = True

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def ratio(self) -> Decimal | None:
        if self.value is None or not self.target:
            return None
        return (Decimal(self.value) / Decimal(self.target)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": str(self.label), "unit": self.unit, "kind": self.kind,
                "value": None if self.value is None else str(self.value) if isinstance(self.value, Decimal) else self.value,
                "target": None if self.target is None else str(self.target) if isinstance(self.target, Decimal) else self.target,
                "ratio": None if self.ratio is None else str(self.ratio), "status": self.status, "assessed": self.assessed,
                "basis": str(self.basis), "target_basis": str(self.target_basis)}


@dataclass
class TradeFlow:
    """One trade entry crossing the region's boundary in the year (S2)."""

    entry_id: int
    entry_number: str
    kind: str
    reference: str
    memo: str
    date: dt.date
    sold_m3: int
    bought_m3: int
    is_reversal: bool = False


@dataclass
class RegionYear:
    region: Region
    year: int
    reported_m3: int | None
    reported_basis: str
    metered_m3: int | None
    measured_m3: int | None
    measured_basis: str
    sold_m3: int
    bought_m3: int
    cap_m3: int | None
    cap_basis: str
    by_use: dict[str, int]
    by_use_basis: str
    measures: list[Measure] = field(default_factory=list)
    flows: list[TradeFlow] = field(default_factory=list)

    @property
    def assessed_m3(self) -> int | None:
        """Measured use + volume sold across the boundary − volume bought across it (S2)."""
        if self.measured_m3 is None:
            return None
        return self.measured_m3 + self.sold_m3 - self.bought_m3

    @property
    def status(self) -> str:
        return worst(m.status for m in self.measures if m.assessed)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def headroom_m3(self) -> int | None:
        if self.cap_m3 is None or self.assessed_m3 is None:
            return None
        return self.cap_m3 - self.assessed_m3

    @property
    def by_use_rows(self) -> list[tuple[str, int]]:
        return [(str(WaterUse(u).label), v) for u, v in self.by_use.items()]

    def measure(self, key: str) -> Measure | None:
        return next((m for m in self.measures if m.key == key), None)

    def as_dict(self) -> dict:
        return {
            "region": {"id": self.region.pk, "code": self.region.code, "name": self.region.name}, "year": self.year,
            "reported_m3": self.reported_m3, "reported_basis": self.reported_basis, "metered_m3": self.metered_m3,
            "measured_m3": self.measured_m3, "measured_basis": self.measured_basis, "sold_m3": self.sold_m3,
            "bought_m3": self.bought_m3, "assessed_m3": self.assessed_m3, "cap_m3": self.cap_m3, "cap_basis": str(self.cap_basis),
            "headroom_m3": self.headroom_m3, "by_use": self.by_use, "by_use_basis": self.by_use_basis, "status": self.status,
            "measures": [m.as_dict() for m in self.measures],
            "trades": [{"entry": f.entry_number, "kind": f.kind, "reference": f.reference, "memo": f.memo, "date": f.date.isoformat(),
                        "sold_m3": f.sold_m3, "bought_m3": f.bought_m3, "is_reversal": f.is_reversal} for f in self.flows],
        }


class Book:
    """Everything the assessment reads, loaded once (a handful of queries for any number of
    regions and years), then assessed from memory."""

    def __init__(self, years: list[int] | None = None):
        self.margin = Decimal(config.get("supervision.amber_margin_pct"))
        self.basis = config.get("supervision.use_basis")
        self.regions = {r.pk: r for r in Region.objects.all()}
        self.city = next((r for r in self.regions.values() if r.code == CITY_CODE), None)
        self.counties = sorted((r for r in self.regions.values() if r.kind in COUNTY_LEVEL), key=lambda r: (r.sort_order, r.code or ""))
        self.incity = {r.pk for r in self.regions.values() if r.kind in INCITY_KINDS}
        # Reported statistics: (region, year, use, kind) → m³
        self.stats: dict[tuple[int, int, str, str], tuple[int, str]] = {
            (s.region_id, s.year, s.use, s.kind): (s.volume_m3, s.source_section) for s in WaterUseStatistic.objects.all()
        }
        self.stat_years = sorted({k[1] for k in self.stats})
        self.targets: dict[int, list[DualControlTarget]] = defaultdict(list)
        for t in DualControlTarget.objects.order_by("year"):
            self.targets[t.region_id].append(t)
        self.minimums = {(n.region_id, n.year): n.volume_m3 for n in NonConventionalMinimum.objects.all()}
        self.figures = {(f.region_id, f.year): f for f in AssessmentFigures.objects.all()}
        self.indicators = {(i.key, i.region_id, i.year): i for i in Indicator.objects.all()}
        self.regional_rights = defaultdict(list)
        self.groundwater_rights = defaultdict(list)
        for r in WaterRight.objects.filter(kind__in=[RightKind.REGIONAL, RightKind.GROUNDWATER]).exclude(status=RightStatus.CANCELLED):
            if r.holder_region_id:
                (self.regional_rights if r.kind == RightKind.REGIONAL else self.groundwater_rights)[r.holder_region_id].append(r)
        self.groundwater_indicators = self._groundwater_indicators()
        self._metered: dict[int, metered.MeteredYear] = {}
        self._postings: dict[int, dict[int, list]] | None = None
        self._entry_meta: dict[int, dict] = {}

    @staticmethod
    def _groundwater_indicators() -> dict[int, list]:
        out = defaultdict(list)
        try:
            from shuiquan.allocation.models import GroundwaterIndicator
        except ImportError:  # pragma: no cover - allocation is always installed
            return out
        for g in GroundwaterIndicator.objects.order_by("year"):
            out[g.region_id].append(g)
        return out

    # --- membership -----------------------------------------------------------------------

    def members(self, region: Region) -> set[int]:
        """Regions whose rights count as inside ``region``: the whole city for the city, else itself."""
        if region.kind == RegionKind.CITY:
            return set(self.incity)
        return {region.pk}

    # --- use ------------------------------------------------------------------------------

    def metered(self, year: int) -> metered.MeteredYear:
        if year not in self._metered:
            self._metered[year] = metered.load(year)
        return self._metered[year]

    def _metered_sum(self, region: Region, year: int, fn) -> int | None:
        ids = self.members(region)
        data = self.metered(year)
        values = [v for v in (fn(data, rid) for rid in ids) if v is not None]
        return sum(values) if values else None

    def metered_use(self, region: Region, year: int) -> int | None:
        """Metered use of the region's devices (the city: all its regions), None without data."""
        return self._metered_sum(region, year, lambda data, rid: data.region(rid))

    def metered_source(self, region: Region, year: int, kind: str) -> int | None:
        return self._metered_sum(region, year, lambda data, rid: data.source(rid, kind))

    def metered_uses(self, region: Region, year: int) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for rid in self.members(region):
            for use, v in self.metered(year).uses(rid).items():
                out[use] += v
        return dict(out)

    def reported_use(self, region: Region, year: int) -> tuple[int | None, str]:
        row = self.stats.get((region.pk, year, "", StatisticKind.ROW))
        if row is not None:
            return row[0], _("统计上报（%(src)s）") % {"src": row[1]}
        if region.kind == RegionKind.CITY:
            rows = [self.stats.get((c.pk, year, "", StatisticKind.ROW)) for c in self.counties]
            present = [r for r in rows if r is not None]
            printed = self.stats.get((region.pk, year, "", StatisticKind.PRINTED_TOTAL))
            if present and len(present) == len(rows):
                total = sum(r[0] for r in present)
                note = _("各县（市、区）合计")
                if printed is not None and printed[0] != total:
                    note = _("各县（市、区）合计；原表合计 %(p)s 亿立方米") % {"p": _yi(printed[0])}
                return total, note
            if printed is not None:
                return printed[0], _("原表合计（%(src)s）") % {"src": printed[1]}
        sectors = {u: self.stats.get((region.pk, year, u, StatisticKind.ROW)) for u in SECTORS}
        if all(v is not None for v in sectors.values()):
            return sum(v[0] for v in sectors.values()), _("分行业统计合计")
        return None, ""

    def by_use(self, region: Region, year: int) -> tuple[dict[str, int], str]:
        rows = {u: self.stats.get((region.pk, year, u, StatisticKind.ROW)) for u in SECTORS}
        if any(v is not None for v in rows.values()):
            return {u: v[0] for u, v in rows.items() if v is not None}, _("统计上报")
        if region.kind == RegionKind.CITY:
            out = {}
            for key, use in CITY_SECTOR_INDICATORS.items():
                ind = self.indicators.get((key, region.pk, year))
                if ind is not None:
                    out[use] = int(ind.value * 100_000_000) if ind.unit == "100m_m3" else int(ind.value)
            if out:
                return out, _("种子文件§1.1.2")
        uses = {u: v for u, v in self.metered_uses(region, year).items() if u in SECTORS or u == WaterUse.URBAN_ENVIRONMENT}
        if uses:
            if WaterUse.URBAN_ENVIRONMENT in uses:
                uses[WaterUse.ECOLOGICAL] = uses.get(WaterUse.ECOLOGICAL, 0) + uses.pop(WaterUse.URBAN_ENVIRONMENT)
            return uses, _("计量监测（按取水许可用途）")
        return {}, ""

    # --- caps and targets ---------------------------------------------------------------------

    def cap(self, region: Region, year: int) -> tuple[int | None, str]:
        for right in self.regional_rights.get(region.pk, []):
            if right.covers_year(year):
                return right.annual_volume_m3, _("区域用水权 %(n)s") % {"n": right.number}
        target = self.target_for(region, year, window=4)
        if target is None:
            return None, ""
        if target.year <= year:
            return target.total_m3, _("表2-1 %(y)s年用水总量控制目标") % {"y": target.year}
        return target.total_m3, _("“十四五”用水总量控制目标（%(y)s年）") % {"y": target.year}

    def target_for(self, region: Region, year: int, window: int = 0) -> DualControlTarget | None:
        rows = self.targets.get(region.pk, [])
        past = [t for t in rows if t.year <= year]
        if past:
            return past[-1]
        ahead = [t for t in rows if year < t.year <= year + window]
        return ahead[0] if ahead else None

    def city_target_field(self, region: Region, name: str, year: int) -> tuple[Decimal | None, int | None, bool]:
        """(target value, its year, whether it is the region's own) for an intensity/coefficient target."""
        for reg, own in ((region, True), (self.city, False)):
            if reg is None:
                continue
            for t in sorted(self.targets.get(reg.pk, []), key=lambda t: t.year):
                value = getattr(t, name)
                if value is not None:
                    return value, t.year, own
        return None, None, False

    # --- S2 trade flows -----------------------------------------------------------------------

    def _load_postings(self) -> None:
        """Trade-like postings (and reversals of them) grouped by year and entry."""
        qs = Posting.objects.filter(
            Q(entry__kind__in=TRADE_ENTRY_KINDS) | Q(entry__kind=EntryKind.REVERSAL, entry__reverses__kind__in=TRADE_ENTRY_KINDS)
        ).values_list("entry_id", "year", "right__region_id", "amount", "entry__kind", "entry__reference_type", "entry__reference_id",
                      "entry__memo", "entry__effective_date", "entry__reverses__kind")
        postings: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for entry_id, year, region_id, amount, kind, ref_type, ref_id, memo, date, reversed_kind in qs:
            postings[year][entry_id].append((region_id, amount))
            self._entry_meta[entry_id] = {"kind": kind, "reference": f"{ref_type}:{ref_id}" if ref_id else "", "memo": memo,
                                          "date": date, "reversal": kind == EntryKind.REVERSAL, "reversed_kind": reversed_kind}
        self._postings = postings

    def flows(self, region: Region, year: int) -> tuple[int, int, list[TradeFlow]]:
        """(sold, bought, flows) across ``region``'s boundary in ``year`` (S2)."""
        if self._postings is None:
            self._load_postings()
        members = self.members(region)
        sold = bought = 0
        out = []
        for entry_id, lines in sorted(self._postings.get(year, {}).items()):
            inside = [a for r, a in lines if r in members]
            outside = [a for r, a in lines if r not in members]
            if not inside or not outside:
                continue
            net = sum(inside)
            if net == 0:
                continue
            meta = self._entry_meta[entry_id]
            if meta["reversal"]:
                # A reversal undoes the original: a returned sale reduces "sold", a returned purchase "bought".
                s, b = (-net, 0) if net > 0 else (0, net)
            else:
                s, b = (-net, 0) if net < 0 else (0, net)
            sold += s
            bought += b
            out.append(TradeFlow(entry_id, f"JE{entry_id:08d}", meta["kind"], meta["reference"], meta["memo"], meta["date"], s, b,
                                 meta["reversal"]))
        return sold, bought, out

    # --- the assessment -----------------------------------------------------------------------

    def assess(self, region: Region, year: int) -> RegionYear:
        reported, reported_basis = self.reported_use(region, year)
        metered = self.metered_use(region, year)
        if self.basis == "reported_first":
            measured, basis = (reported, reported_basis) if reported is not None else (metered, _("计量监测"))
        else:
            measured, basis = (metered, _("计量监测")) if metered is not None else (reported, reported_basis)
        if measured is None:
            basis = _("无用水数据")
        sold, bought, flows = self.flows(region, year)
        cap, cap_basis = self.cap(region, year)
        by_use, by_use_basis = self.by_use(region, year)
        ry = RegionYear(region, year, reported, reported_basis, metered, measured, basis, sold, bought, cap, cap_basis, by_use,
                        by_use_basis, flows=flows)
        ry.measures = self._measures(ry)
        return ry

    def _measures(self, ry: RegionYear) -> list[Measure]:
        region, year, margin = ry.region, ry.year, self.margin
        out = []
        assessed = ry.assessed_m3
        out.append(Measure(
            "total_use", _("用水总量（S2口径）"), "m3", assessed, ry.cap_m3, "cap", cap_status(assessed, ry.cap_m3, margin),
            basis=_("%(basis)s %(m)s + 转出 %(s)s − 转入 %(b)s") % {"basis": ry.measured_basis, "m": _fmt(ry.measured_m3), "s": _fmt(ry.sold_m3),
                                                                   "b": _fmt(ry.bought_m3)},
            target_basis=ry.cap_basis, assessed=ry.cap_m3 is not None,
        ))
        fig = self.figures.get((region.pk, year))
        # Intensity per 10⁴ yuan of GDP (measured use: the water actually used to produce it).
        target, t_year, own = self.city_target_field(region, "per_10k_gdp_m3", year)
        gdp = fig.gdp_100m_yuan if fig and fig.gdp_100m_yuan else None
        value = _per_10k(ry.measured_m3, gdp)
        applies = t_year is not None and year >= t_year
        out.append(Measure(
            "per_10k_gdp", _("万元GDP用水量"), "m3_per_10k_yuan", value, target,
            "cap", cap_status(value, target, margin) if applies else Status.NONE,
            basis=_("用水量 %(m)s ÷ GDP %(g)s 亿元") % {"m": _fmt(ry.measured_m3), "g": gdp if gdp is not None else "—"},
            target_basis=_target_note(t_year, own, applies), assessed=applies and value is not None,
        ))
        target, t_year, own = self.city_target_field(region, "per_10k_industrial_va_m3", year)
        va = fig.industrial_va_100m_yuan if fig and fig.industrial_va_100m_yuan else None
        industrial = ry.by_use.get(WaterUse.INDUSTRIAL)
        value = _per_10k(industrial, va)
        applies = t_year is not None and year >= t_year
        out.append(Measure(
            "per_10k_industrial_va", _("万元工业增加值用水量"), "m3_per_10k_yuan", value, target,
            "cap", cap_status(value, target, margin) if applies else Status.NONE,
            basis=_("工业用水量 %(m)s ÷ 工业增加值 %(g)s 亿元") % {"m": _fmt(industrial), "g": va if va is not None else "—"},
            target_basis=_target_note(t_year, own, applies), assessed=applies and value is not None,
        ))
        target, t_year, own = self.city_target_field(region, "irrigation_coefficient", year)
        coef = fig.irrigation_coefficient if fig else None
        applies = t_year is not None and year >= t_year
        out.append(Measure(
            "irrigation_coefficient", _("农田灌溉水有效利用系数"), "ratio", coef, target,
            "floor", floor_status(coef, target, margin) if applies else Status.NONE,
            basis=_("市水利局录入") if coef is not None else _("未录入"), target_basis=_target_note(t_year, own, applies),
            assessed=applies and coef is not None,
        ))
        minimum = self.minimum(region, year)
        nc_value, nc_basis = self.nonconventional(region, year)
        out.append(Measure(
            "nonconventional", _("非常规水利用量"), "m3", nc_value, minimum, "floor",
            floor_status(nc_value, minimum, margin) if minimum else Status.NONE,
            basis=nc_basis, target_basis=_("表2-1 %(y)s年最低利用量") % {"y": year} if minimum else _("表2-1未规定"),
            assessed=bool(minimum),
        ))
        gw_cap, gw_basis, gw_assessed = self.groundwater_cap(region, year)
        gw_value, gw_value_basis = self.groundwater(region, year)
        out.append(Measure(
            "groundwater", _("地下水开采量"), "m3", gw_value, gw_cap, "cap",
            cap_status(gw_value, gw_cap, margin) if gw_assessed else Status.NONE, basis=gw_value_basis, target_basis=gw_basis,
            assessed=gw_assessed and gw_value is not None,
        ))
        return out

    def minimum(self, region: Region, year: int) -> int | None:
        if region.kind == RegionKind.CITY:
            rows = [self.minimums.get((c.pk, year)) for c in self.counties]
            present = [r for r in rows if r]
            return sum(present) if present else self.minimums.get((region.pk, year))
        return self.minimums.get((region.pk, year))

    def nonconventional(self, region: Region, year: int) -> tuple[int | None, str]:
        fig = self.figures.get((region.pk, year))
        if fig and fig.nonconventional_use_m3 is not None:
            return fig.nonconventional_use_m3, _("市水利局录入")
        value = self.metered_source(region, year, "nonconventional")
        if value is not None:
            return value, _("计量监测（非常规水源）")
        if region.kind == RegionKind.CITY:
            ind = self.indicators.get(("supply_other", region.pk, year))
            if ind is not None:
                return int(ind.value * 100_000_000), _("种子文件§1.1.2 其他水源供水量")
        return None, _("未录入")

    def groundwater(self, region: Region, year: int) -> tuple[int | None, str]:
        fig = self.figures.get((region.pk, year))
        if fig and fig.groundwater_withdrawal_m3 is not None:
            return fig.groundwater_withdrawal_m3, _("市水利局录入")
        value = self.metered_source(region, year, "groundwater")
        if value is not None:
            return value, _("计量监测（地下水取水口）")
        if region.kind == RegionKind.CITY:
            for key in ("groundwater_withdrawal", "supply_groundwater"):
                ind = self.indicators.get((key, region.pk, year))
                if ind is not None:
                    return int(ind.value * 100_000_000), _("种子文件§1.2")
        return None, _("未录入")

    def groundwater_cap(self, region: Region, year: int) -> tuple[int | None, str, bool]:
        rights = self.groundwater_rights.get(region.pk, [])
        if region.kind == RegionKind.CITY and not rights:
            county_rights = [r for c in self.counties for r in self.groundwater_rights.get(c.pk, []) if r.covers_year(year)]
            if county_rights:
                return sum(r.annual_volume_m3 for r in county_rights), _("各县地下水取水指标合计（用水权）"), True
        for right in rights:
            if right.covers_year(year):
                return right.annual_volume_m3, _("地下水取水指标 %(n)s") % {"n": right.number}, True
        indicators = self.groundwater_indicators.get(region.pk, [])
        if indicators:
            g = min(indicators, key=lambda g: abs(g.year - year))
            return g.volume_m3, _("%(y)s年地下水管控指标（参照）") % {"y": g.year}, g.year == year
        if region.kind == RegionKind.CITY:
            ind = next((i for (k, r, y), i in self.indicators.items() if k == "shallow_groundwater_withdrawal_cap" and r == region.pk), None)
            if ind is not None:
                return int(ind.value * 100_000_000), _("%(y)s年浅层地下水取水指标（参照，§1.2）") % {"y": ind.year}, ind.year == year
        return None, "", False

    def years(self) -> list[int]:
        """Years worth showing: Table 1-2's first year to the latest year with any data or target."""
        last = max([timezone.localdate().year] + self.stat_years + [y for (_r, y) in self.figures])
        return list(range(FIRST_YEAR, last + 1))


def _yi(m3: int) -> str:
    return f"{(Decimal(m3) / 100_000_000).quantize(Decimal('0.01'))}"


def _fmt(m3) -> str:
    return "—" if m3 is None else f"{int(m3):,}"


def _per_10k(m3: int | None, amount_100m_yuan: Decimal | None) -> Decimal | None:
    """m³ per 10⁴ yuan: 1 亿元 = 10,000 万元."""
    if m3 is None or not amount_100m_yuan:
        return None
    return (Decimal(m3) / (Decimal(amount_100m_yuan) * 10_000)).quantize(TWO, rounding=ROUND_HALF_UP)


def _target_note(year: int | None, own: bool, applies: bool):
    if year is None:
        return _("无目标")
    text = _("%(y)s年目标") % {"y": year} if own else _("参照全市%(y)s年目标") % {"y": year}
    return text if applies else _("%(t)s（%(y)s年起考核）") % {"t": text, "y": year}


def assess(region: Region, year: int) -> RegionYear:
    return Book().assess(region, year)


def assess_year(year: int, book: Book | None = None) -> list[RegionYear]:
    """The 13 counties and the city for ``year``."""
    book = book or Book()
    rows = [book.assess(c, year) for c in book.counties]
    if book.city is not None:
        rows.append(book.assess(book.city, year))
    return rows


def series(region: Region, years: list[int] | None = None, book: Book | None = None) -> list[RegionYear]:
    book = book or Book()
    return [book.assess(region, y) for y in (years or book.years())]


def nonconventional_minimum_total(year: int) -> int:
    """Table 2-1's non-conventional minimums of the 13 counties for ``year`` (2023: 25,500,000 m³)."""
    return sum(NonConventionalMinimum.objects.filter(year=year, region__kind__in=COUNTY_LEVEL).values_list("volume_m3", flat=True))

"""The pilot's KPIs, computed live from the platform's records (nothing typed in):

- 取水权交易 (permit trades): registered trades whose seller is a withdrawal (permit) right —
  counted from the ledger's trade entries (one per trade; reversed trades excluded). Target 2–3.
- 灌溉用水户水权交易 (irrigation trades): trades whose seller is an association or household right,
  and county-bureau buy-backs of such rights into a reserve (task list 11.4). Target 2–3.
- 南水北调新增交易水量 (new SNWD volume): the annual volume moved to outside cities' rights by
  trades registered in the period (each trade's largest per-year volume). Target 0.5亿 m³.
- 计量设施完善 (metering sets upgraded): online, standard-compliant irrigation meters at the
  district's intakes installed or re-calibrated since the pilot began. Targets 17 (打磨岗), 40 (虎山).

Each KPI is computed both for the pilot period (2022-09 – 2025-12, §6.3) and to date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.ledger.models import JournalEntry, Posting
from shuiquan.registry.models import MeteringDevice

from .data import KPI_TARGETS, PILOT_END, PILOT_START


@dataclass
class KPI:
    key: str
    label: str
    unit: str
    target_low: int
    target_high: int | None
    basis: str
    in_period: int
    to_date: int

    @property
    def target_text(self) -> str:
        return f"{self.target_low}–{self.target_high}" if self.target_high else f"{self.target_low:,}"

    @property
    def met(self) -> bool:
        return self.in_period >= self.target_low

    @property
    def met_to_date(self) -> bool:
        return self.to_date >= self.target_low


def _period() -> tuple[dt.date, dt.date]:
    return dt.date.fromisoformat(PILOT_START), dt.date.fromisoformat(PILOT_END)


def _trade_entries(seller_kinds: set[str], entry_kinds: set[str]) -> dict[tuple[str, str], dt.date]:
    """Distinct trades (by reference, else entry) → effective date, for entries that debit a right
    of one of ``seller_kinds``; reversed entries are left out."""
    entries = JournalEntry.objects.filter(kind__in=entry_kinds, reversed_by__isnull=True).filter(
        postings__amount__lt=0, postings__right__kind__in=seller_kinds
    ).distinct()
    out: dict[tuple[str, str], dt.date] = {}
    for e in entries.only("pk", "reference_type", "reference_id", "effective_date"):
        key = (e.reference_type, e.reference_id) if e.reference_id else ("ledger.journalentry", str(e.pk))
        out[key] = min(out.get(key, e.effective_date), e.effective_date)
    return out


def _count(trades: dict, start: dt.date, end: dt.date) -> tuple[int, int]:
    return sum(1 for d in trades.values() if start <= d <= end), len(trades)


def _snwd_volume(start: dt.date, end: dt.date) -> tuple[int, int]:
    rows = Posting.objects.filter(
        amount__gt=0, right__kind=RightKind.OUTSIDE,
        entry__kind__in=[EntryKind.TRADE, EntryKind.RESERVE_RESALE], entry__reversed_by__isnull=True,
    ).values_list("entry__reference_type", "entry__reference_id", "entry_id", "entry__effective_date", "year", "amount")
    per_trade: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    dates: dict[tuple, dt.date] = {}
    for ref_type, ref_id, entry_id, date, year, amount in rows:
        key = (ref_type, ref_id) if ref_id else ("entry", entry_id)
        per_trade[key][year] += amount
        dates[key] = min(dates.get(key, date), date)
    annual = {k: max(v.values()) for k, v in per_trade.items()}
    in_period = sum(v for k, v in annual.items() if start <= dates[k] <= end)
    return in_period, sum(annual.values())


def _meters(district_name: str, start: dt.date, end: dt.date) -> tuple[int, int]:
    qs = MeteringDevice.objects.filter(
        Q(intake_point__association__district__name=district_name) | Q(intake_point__permit__irrigation_district__name=district_name),
        is_irrigation=True, is_online=True, meets_standard=True, status="active",
    ).filter(Q(installed_on__gte=start) | Q(calibrated_on__gte=start)).distinct()
    in_period = qs.filter(Q(installed_on__lte=end) | Q(calibrated_on__lte=end)).count()
    return in_period, qs.count()


def compute() -> list[KPI]:
    start, end = _period()
    permit = _count(_trade_entries({RightKind.WITHDRAWAL}, {EntryKind.TRADE}), start, end)
    irrigation = _count(
        _trade_entries({RightKind.IRRIGATION, RightKind.HOUSEHOLD}, {EntryKind.TRADE, EntryKind.RESERVE_PURCHASE}), start, end
    )
    snwd = _snwd_volume(start, end)
    damogang = _meters("打磨岗灌区", start, end)
    hushan = _meters("虎山灌区", start, end)

    def kpi(key, label, unit, values):
        low, high, basis = KPI_TARGETS[key]
        return KPI(key, label, unit, low, high, basis, values[0], values[1])

    return [
        kpi("permit_trades", "取用水户水权交易（笔）", "笔", permit),
        kpi("irrigation_trades", "灌溉用水户水权交易（笔）", "笔", irrigation),
        kpi("snwd_new_volume_m3", "南水北调跨区域新增交易水量（立方米/年）", "立方米", snwd),
        kpi("meters_damogang", "打磨岗灌区完善计量设施（套）", "套", damogang),
        kpi("meters_hushan", "虎山灌区完善计量设施（套）", "套", hushan),
    ]

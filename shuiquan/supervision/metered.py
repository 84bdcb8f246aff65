"""Metered use, read from the metering capability (``metering.usage``): per region, per region and
use (the permit's use), per region and source kind (groundwater, non-conventional), and per permit.
One query per year; regions are the devices' regions (a county)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class MeteredYear:
    year: int
    by_region: dict[int, int] = field(default_factory=dict)
    by_region_use: dict[tuple[int, str], int] = field(default_factory=dict)
    by_region_source: dict[tuple[int, str], int] = field(default_factory=dict)

    def region(self, region_id: int) -> int | None:
        return self.by_region.get(region_id)

    def uses(self, region_id: int) -> dict[str, int]:
        return {use: v for (r, use), v in self.by_region_use.items() if r == region_id and use}

    def source(self, region_id: int, kind: str) -> int | None:
        return self.by_region_source.get((region_id, kind))


def load(year: int) -> MeteredYear:
    out = MeteredYear(year)
    try:
        from shuiquan.metering import usage
        from shuiquan.metering.choices import Period
    except ImportError:  # pragma: no cover - metering is always installed
        return out
    by_region: dict[int, int] = defaultdict(int)
    by_use: dict[tuple[int, str], int] = defaultdict(int)
    by_source: dict[tuple[int, str], int] = defaultdict(int)
    rows = usage.use_rows(Period.YEAR, year).values_list("device__region", "device__intake_point__permit__use",
                                                        "device__intake_point__source__kind", "volume_m3")
    for region_id, use, source_kind, volume in rows:
        if region_id is None:
            continue
        by_region[region_id] += volume
        by_use[(region_id, use or "")] += volume
        by_source[(region_id, source_kind or "")] += volume
    out.by_region, out.by_region_use, out.by_region_source = dict(by_region), dict(by_use), dict(by_source)
    return out


def permit_use(permit, year: int) -> int | None:
    """A permit's metered use in ``year`` (m³), or None without metering data."""
    if permit is None:
        return None
    try:
        from shuiquan.metering import usage
    except ImportError:  # pragma: no cover
        return None
    found = usage.permit_year_use([permit.pk], year).get(permit.pk)
    return found[0] if found else None


def region_use(region, year: int) -> int | None:
    return load(year).region(region.pk) if region is not None else None

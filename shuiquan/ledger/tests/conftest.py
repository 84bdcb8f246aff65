import datetime as dt

import pytest

from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.registry.models import Region, WaterUser


@pytest.fixture
def book(city_admin):
    """A small book: an issuance account → a county right (2025–2027, 1,000,000 m³/yr) → a permit right."""
    county = Region.objects.get(code="411325")
    holder = WaterUser.objects.filter(region=county, kind="enterprise").first()
    issuance = ledger.open_right(actor=city_admin, kind=RightKind.ISSUANCE, name="测试指标来源", holder_name="河南省",
                                 valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2030, 12, 31))
    county_right = ledger.open_right(actor=city_admin, kind=RightKind.REGIONAL, name="内乡县区域用水权（测试）", holder=county,
                                     annual_volume_m3=1_000_000, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2027, 12, 31),
                                     parent=issuance)
    permit_right = ledger.open_right(actor=city_admin, kind=RightKind.WITHDRAWAL, name="取水权（测试）", holder=holder,
                                     annual_volume_m3=400_000, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2027, 12, 31),
                                     parent=county_right)
    ledger.transfer(actor=city_admin, kind=EntryKind.ISSUANCE, memo="下达", source=issuance, target=county_right,
                    years=[2025, 2026, 2027], amount=1_000_000)
    return {"issuance": issuance, "county": county_right, "permit": permit_right, "actor": city_admin}

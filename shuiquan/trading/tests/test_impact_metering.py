"""The impact preview reads metered use from the metering capability (not a stub)."""

import pytest

from shuiquan.metering import usage
from shuiquan.metering.choices import Period
from shuiquan.trading import impact

pytestmark = pytest.mark.django_db


def test_preview_metered_use_is_metering_use_of_the_permit():
    row = usage.use_rows(Period.YEAR, 2026).filter(device__intake_point__permit__isnull=False).select_related(
        "device__intake_point__permit").first()
    assert row is not None, "the small demo has metered use in 2026"
    permit = row.device.intake_point.permit
    expected = usage.permit_year_use([permit.pk], 2026)[permit.pk][0]
    assert impact.metered_use(permit, 2026) == expected > 0
    assert impact.metered_use(permit, 1999) is None
    region_total = impact.metered_region_use(permit.region, 2026)
    assert region_total is not None and region_total >= expected

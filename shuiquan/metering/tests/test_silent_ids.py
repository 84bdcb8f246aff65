"""``usage.silent_device_ids`` (the device list's marks and ``?state=silent`` filter, without
loading every device — bench/bench_pages.py) names exactly the devices ``silent_devices`` finds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shuiquan.metering import usage
from shuiquan.registry.models import MeteringDevice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("days_ahead", [0, 30, 3650])
def test_silent_ids_are_the_silent_devices(days_ahead):
    now = timezone.now() + dt.timedelta(days=days_ahead)
    assert usage.silent_device_ids(now) == {s.device.pk for s in usage.silent_devices(now)}
    some = MeteringDevice.objects.filter(pk__in=list(MeteringDevice.objects.order_by("pk").values_list("pk", flat=True)[:5]))
    assert usage.silent_device_ids(now, devices=some) == {s.device.pk for s in usage.silent_devices(now, devices=some)}
    if days_ahead == 3650:
        assert usage.silent_device_ids(now)  # ten years on, every active online device is silent


def test_device_list_marks_and_filters_silent_devices(page, users):
    client = page(users["city_admin"])
    silent = usage.silent_device_ids()
    html = client.get("/metering/devices/?state=silent").content.decode()
    assert client.get("/metering/devices/").status_code == 200
    shown = [d.serial for d in MeteringDevice.objects.filter(pk__in=silent)[:50] if d.serial in html]
    assert len(shown) == min(len(silent), 50) or not silent

"""Lists cost a bounded number of queries, whatever their length (found by bench/bench_pages.py:
the permit list read the renewal notice parameter once per permit, 54 queries for 50 permits).
Platform parameters are read once per request (``core.config.request_cache``)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuiquan.core import config
from shuiquan.registry import models as m

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return [q["sql"] for q in ctx.captured_queries]


def test_permit_api_list_queries_do_not_grow_with_the_page(api, city_admin):
    assert m.WithdrawalPermit.objects.count() >= 20
    client = api(city_admin)
    _queries(client, "/api/v1/registry/permits/?page_size=2")  # warm (content types, etc.)
    two = _queries(client, "/api/v1/registry/permits/?page_size=2")
    twenty = _queries(client, "/api/v1/registry/permits/?page_size=20")
    assert len(twenty) == len(two), twenty
    assert sum("core_configvalue" in q for q in twenty) <= 1  # renewal_due: the parameter read once


def test_a_parameter_is_read_once_per_request_and_a_change_is_seen_at_once(city_admin):
    key = "registry.renewal_notice_days"
    with config.request_cache():
        with CaptureQueriesContext(connection) as ctx:
            first = config.get(key)
            assert config.get(key) == first
        assert len(ctx.captured_queries) == 1
        config.set_value(key, first + 1, actor=city_admin)
        with CaptureQueriesContext(connection) as ctx:
            assert config.get(key) == first + 1  # the cache forgets a changed key
            assert config.get(key) == first + 1
        assert len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:  # outside a request: every read goes to the database
        config.get(key)
        config.get(key)
    assert len(ctx.captured_queries) == 2


def test_permit_list_page_filters_by_holder_id_not_a_list_of_every_holder(page, city_admin):
    """With 10,000 permits the holder drop-down made the page 850 KiB and 5 s (bench/bench_pages.py)."""
    client = page(city_admin)
    html = client.get("/registry/permits/").content.decode()
    assert 'name="holder"' in html and '<select name="holder"' not in html
    permit = m.WithdrawalPermit.objects.select_related("holder").order_by("pk").first()
    filtered = client.get(f"/registry/permits/?holder={permit.holder_id}").content.decode()
    assert permit.number in filtered
    assert set(m.WithdrawalPermit.objects.filter(holder=permit.holder).values_list("number", flat=True)) == {
        n for n in m.WithdrawalPermit.objects.values_list("number", flat=True) if n in filtered}

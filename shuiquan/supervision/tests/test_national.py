"""The national-system interface: the export validates against its own versioned JSON schema;
acknowledgements are imported idempotently; only new or changed records are sent again."""

import copy
import json

import pytest

from shuiquan.core.errors import Forbidden, ValidationFailed
from shuiquan.supervision import national
from shuiquan.supervision.models import NationalAcknowledgement, NationalExport, NationalExportItem
from shuiquan.trading.tests.test_permit_trade import permit_trade

pytestmark = pytest.mark.django_db


def test_export_validates_against_its_own_json_schema(users, rights):
    trade, _, _ = permit_trade(users, rights)
    row = national.export(actor=users["city_admin"])
    doc = row.payload
    assert national.errors(doc) == []
    assert doc["counts"]["trades"] >= 1 and doc["counts"]["rights"] >= 1 and doc["counts"]["certificates"] >= 1
    rec = next(t for t in doc["records"]["trades"] if t["record_id"] == f"trade:{trade.pk}")
    assert rec["number"] == trade.number and rec["total_price"] == "1800000.00" and rec["unit_price"] == "1.2000"
    assert rec["volume_m3"] == 500_000 and rec["status"] == "settled"
    # Households only by their code; no names of people anywhere.
    from shuiquan.registry.models import Household

    body = json.dumps(doc, ensure_ascii=False)
    for name in Household.objects.values_list("name", flat=True)[:200]:
        assert f'"{name}"' not in body
    # A broken document is caught by the same schema.
    bad = copy.deepcopy(doc)
    bad["records"]["trades"][0]["volume_m3"] = 1.5
    assert national.errors(bad)
    bad = copy.deepcopy(doc)
    del bad["records"]["rights"][0]["number"]
    assert national.errors(bad)


def test_schema_version_is_declared_by_the_schema_and_the_export(users):
    s = national.schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"].endswith("/" + national.SCHEMA_VERSION)
    assert s["properties"]["schema_version"]["const"] == national.SCHEMA_VERSION
    row = national.export(actor=users["city_admin"])
    assert row.schema_version == row.payload["schema_version"] == national.SCHEMA_VERSION
    # A document claiming another version does not validate: a format change needs a new schema.
    doc = copy.deepcopy(row.payload)
    doc["schema_version"] = "1.0.1"
    assert any("schema_version" in e for e in national.errors(doc))


def _ack(row, ack_id="ACK-1", reject=()):
    results = []
    for item in row.items.all():
        if item.record_id in reject:
            results.append({"record_type": item.record_type, "record_id": item.record_id, "status": "rejected", "message": "缺少受让方统一社会信用代码"})
        else:
            results.append({"record_type": item.record_type, "record_id": item.record_id, "status": "accepted",
                            "national_id": f"QG-{item.record_id.replace(':', '-')}"})
    return {"schema_version": national.SCHEMA_VERSION, "ack_id": ack_id, "batch_id": row.batch_id, "received_at": "2026-03-02T10:00:00+08:00",
            "results": results}


def test_acknowledgement_import_is_idempotent_and_marks_records(users, rights):
    permit_trade(users, rights)
    admin = users["city_admin"]
    row = national.export(actor=admin)
    trade_item = row.items.filter(record_type="trade").first()
    doc = _ack(row, reject={trade_item.record_id})
    with pytest.raises(Forbidden):
        national.import_acknowledgement(doc, actor=users["auditor"])
    ack, created = national.import_acknowledgement(doc, actor=admin)
    assert created and ack.rejected == 1 and ack.accepted == row.items.count() - 1
    trade_item.refresh_from_db()
    assert trade_item.status == "rejected" and "信用代码" in trade_item.message
    accepted = row.items.exclude(pk=trade_item.pk).first()
    assert accepted.status == "accepted" and accepted.national_id.startswith("QG-")
    # The same acknowledgement again: nothing changes.
    again, created = national.import_acknowledgement(doc, actor=admin)
    assert not created and again.pk == ack.pk and NationalAcknowledgement.objects.count() == 1
    # The next export sends only what is new, changed or rejected.
    nxt = national.export(actor=admin)
    assert list(nxt.items.values_list("record_id", flat=True)) == [trade_item.record_id]


def test_bad_acknowledgements_change_nothing(users, rights):
    admin = users["city_admin"]
    row = national.export(actor=admin)
    before = list(NationalExportItem.objects.values_list("pk", "status"))
    doc = _ack(row)
    for broken in (
        {**doc, "schema_version": "9.9.9"},
        {**doc, "batch_id": "NY-20260101-000000-deadbeef"},
        {**doc, "results": doc["results"] + [{"record_type": "trade", "record_id": "trade:999999", "status": "accepted", "national_id": "X"}]},
        {**doc, "results": [{"record_type": "trade", "record_id": "trade:1", "status": "rejected"}]},  # a rejection needs a message
        [1, 2, 3],
    ):
        with pytest.raises(ValidationFailed):
            national.import_acknowledgement(broken, actor=admin)
    assert list(NationalExportItem.objects.values_list("pk", "status")) == before
    assert NationalAcknowledgement.objects.count() == 0
    assert NationalExport.objects.count() == 1

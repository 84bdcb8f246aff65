"""The audit chain: every change recorded with who/when/before/after; editing any record is caught."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from shuiquan.core import audit
from shuiquan.core.audit import verify_chain
from shuiquan.core.crud import update_object
from shuiquan.core.models import AuditEvent
from shuiquan.registry.models import WaterUser

pytestmark = pytest.mark.django_db


def test_update_records_before_and_after(neixiang_officer):
    wu = WaterUser.objects.filter(region=neixiang_officer.region).first()
    update_object(WaterUser, wu.pk, actor=neixiang_officer, data={"contact_name": "王测试"})
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "update"
    assert event.actor == neixiang_officer
    assert event.object_id == str(wu.pk)
    assert event.after["contact_name"] == "王测试"
    assert event.before["contact_name"] != "王测试"
    assert event.region_code == "411325"


def test_chain_verifies_and_links_each_event_to_the_previous(city_admin):
    with transaction.atomic():
        a = audit.record(actor=city_admin, action="test", object_type="x.y", object_id="1", after={"v": 1})
        b = audit.record(actor=city_admin, action="test", object_type="x.y", object_id="2", after={"v": 2})
    assert b.prev_hash == a.hash
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked >= 2


def _tamper(event_id: int, new_message: str) -> None:
    """Edit an event behind the application's back (as an attacker with database access would)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # bypass the append-only trigger
        cursor.execute("UPDATE core_auditevent SET message = %s WHERE id = %s", [new_message, event_id])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_verify_catches_an_edited_record_and_reports_the_first_broken_link(city_admin):
    with transaction.atomic():
        events = [audit.record(actor=city_admin, action="test", object_type="x.y", object_id=str(i), after={"i": i}) for i in range(3)]
    _tamper(events[1].id, "tampered")
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == events[1].id
    assert "edited" in report.reason
    with pytest.raises(Exception, match="broken at event #%d" % events[1].id):
        call_command("verify_audit")




@pytest.mark.skipif("not __import__('os').environ.get('DATABASE_URL', '').startswith('postgres')")
def test_postgres_refuses_update_and_delete_of_audit_events(city_admin):
    from django.db import DatabaseError

    with transaction.atomic():
        event = audit.record(actor=city_admin, action="test", object_type="x.y", object_id="1")
    for sql in ("UPDATE core_auditevent SET message = 'x' WHERE id = %s", "DELETE FROM core_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.id])

"""Ledger services: balanced entries, availability, locks, reversals, the ecological reserve (A2)."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from shuiquan.core.errors import Conflict, InsufficientVolume, RuleViolation, ValidationFailed
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, LockKind, LockStatus, RightKind
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import JournalEntry, Posting, RightBalance, VolumeLock
from shuiquan.ledger.services import Line

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif("not __import__('os').environ.get('DATABASE_URL', '').startswith('postgres')")


def test_allocation_moves_volume_per_year_and_balances(book):
    ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="分配", source=book["county"],
                    target=book["permit"], years=[2025, 2026, 2027], amount=400_000)
    for year in (2025, 2026, 2027):
        assert ledger.balance(book["county"], year) == 600_000
        assert ledger.balance(book["permit"], year) == 400_000
        assert ledger.balance(book["permit"], year) == ledger.posted_sum(book["permit"], year)
    assert ledger.balance(book["issuance"], 2025) == -1_000_000
    assert verify_ledger() == []


def test_unbalanced_entry_is_refused_and_writes_nothing(book):
    before = (JournalEntry.objects.count(), Posting.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        ledger.post_entry(actor=book["actor"], kind=EntryKind.ADJUSTMENT, memo="bad",
                          lines=[Line(book["county"], 2025, -10), Line(book["permit"], 2025, 9)])
    assert exc.value.code == "unbalanced_entry"
    assert (JournalEntry.objects.count(), Posting.objects.count()) == before


def test_floats_and_zero_amounts_are_refused(book):
    for amount in (1.5, 0, True):
        with pytest.raises(ValidationFailed):
            ledger.post_entry(actor=book["actor"], kind=EntryKind.ADJUSTMENT, memo="bad",
                              lines=[Line(book["county"], 2025, -amount), Line(book["permit"], 2025, amount)])


def test_overdraw_is_refused_with_the_shortfall_and_nothing_changes(book):
    with pytest.raises(InsufficientVolume) as exc:
        ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="超额", source=book["county"],
                        target=book["permit"], years=[2025], amount=1_000_001, shortfall_rule="A3")
    assert exc.value.rule == "A3"
    assert exc.value.detail["shortfalls"][0]["short_m3"] == 1
    assert ledger.balance(book["county"], 2025) == 1_000_000
    assert ledger.balance(book["permit"], 2025) == 0


def test_year_outside_validity_is_refused(book):
    with pytest.raises(ValidationFailed) as exc:
        ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="x", source=book["county"],
                        target=book["permit"], years=[2028], amount=1)
    assert exc.value.code == "year_outside_validity"


def test_locks_reduce_available_and_block_a_sale_until_released(book):
    ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="分配", source=book["county"],
                    target=book["permit"], years=[2026], amount=400_000)
    lock = ledger.lock_volume(book["permit"], 2026, 300_000, actor=book["actor"], kind=LockKind.PLEDGE)
    assert ledger.available(book["permit"], 2026) == 100_000
    with pytest.raises(InsufficientVolume):
        ledger.transfer(actor=book["actor"], kind=EntryKind.TRADE, memo="卖出", source=book["permit"],
                        target=book["county"], years=[2026], amount=200_000)
    ledger.release_lock(lock, actor=book["actor"], reason="解押")
    assert ledger.available(book["permit"], 2026) == 400_000
    with pytest.raises(Conflict):
        ledger.release_lock(lock, actor=book["actor"], reason="again")
    assert VolumeLock.objects.get(pk=lock.pk).status == LockStatus.RELEASED
    assert verify_ledger() == []


def test_reversal_posts_the_opposite_once(book):
    entry = ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="分配", source=book["county"],
                            target=book["permit"], years=[2025], amount=100_000)
    rev = ledger.reverse_entry(entry, actor=book["actor"], reason="录入错误")
    assert rev.reverses == entry
    assert ledger.balance(book["permit"], 2025) == 0
    with pytest.raises(Conflict):
        ledger.reverse_entry(entry, actor=book["actor"], reason="再次")
    assert verify_ledger() == []


def test_only_the_city_bureau_may_reverse(book, neixiang_officer):
    entry = ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="分配", source=book["county"],
                            target=book["permit"], years=[2025], amount=100_000)
    with pytest.raises(Exception) as exc:
        ledger.reverse_entry(entry, actor=neixiang_officer, reason="x")
    assert exc.value.status == 403


def test_A2_ecological_reserve_cannot_be_allocated_or_locked(book):
    eco = ledger.open_right(actor=book["actor"], kind=RightKind.ECOLOGICAL, name="唐河生态水量", holder_name="唐河",
                            valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2027, 12, 31), parent=book["issuance"])
    ledger.transfer(actor=book["actor"], kind=EntryKind.ISSUANCE, memo="生态水量", source=book["issuance"], target=eco,
                    years=[2025], amount=500_000)
    with pytest.raises(RuleViolation) as exc:
        ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="挤占生态", source=eco,
                        target=book["permit"], years=[2025], amount=1)
    assert exc.value.rule == "A2"
    with pytest.raises(RuleViolation):
        ledger.lock_volume(eco, 2025, 1, actor=book["actor"])
    assert ledger.balance(eco, 2025) == 500_000


def test_database_check_refuses_negative_available(book):
    row = RightBalance.objects.get(right=book["county"], year=2025)
    with pytest.raises(IntegrityError), transaction.atomic():
        RightBalance.objects.filter(pk=row.pk).update(locked=row.balance + 1)


@postgres_only
def test_postgres_rejects_a_raw_unbalanced_entry_at_commit(book):
    """Even SQL that bypasses the services cannot write an unbalanced entry (deferred trigger)."""
    with pytest.raises(DatabaseError, match="unbalanced"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_journalentry (kind, memo, effective_date, created_at, reference_type, reference_id, is_demo)"
                " VALUES ('adjustment', 'raw', '2025-01-01', now(), '', '', false) RETURNING id"
            )
            entry_id = cursor.fetchone()[0]
            cursor.execute("INSERT INTO ledger_posting (entry_id, right_id, year, amount) VALUES (%s, %s, 2025, 5)",
                           [entry_id, book["permit"].pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@postgres_only
def test_postgres_refuses_editing_postings(book):
    entry = ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="分配", source=book["county"],
                            target=book["permit"], years=[2025], amount=100)
    posting = entry.postings.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).update(amount=200)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_posting WHERE entry_id = %s", [entry.pk])


def test_open_rights_in_bulk_is_open_right_for_each_with_one_audit_record_per_batch(book):
    """Bulk opening (e.g. an association's households, A4): the same fields and numbers as opening
    them one at a time, one audit record per batch; one bad spec refuses them all."""
    from shuiquan.core.models import AuditEvent
    from shuiquan.ledger.models import WaterRight
    from shuiquan.registry.models import Household

    households = list(Household.objects.filter(association__district__name="虎山灌区").order_by("pk")[:5])
    spec = dict(kind=RightKind.HOUSEHOLD, use="agricultural", parent=book["permit"], valid_from=dt.date(2025, 1, 1),
                valid_to=dt.date(2027, 12, 31))
    events = AuditEvent.objects.count()
    rights = ledger.open_rights(actor=book["actor"], specs=[dict(spec, name=f"{h.code}水权", holder=h, annual_volume_m3=100 + i)
                                                           for i, h in enumerate(households)], message="测试批量开户", batch_size=2)
    one = ledger.open_right(actor=book["actor"], name="对照", holder=households[0], annual_volume_m3=1, **spec)
    assert AuditEvent.objects.count() == events + 3 + 1  # batches of 2, 2 and 1; then the single one
    for i, (right, h) in enumerate(zip(rights, households, strict=True)):
        stored = WaterRight.objects.get(pk=right.pk)
        region = h.association.region
        assert stored.number == f"YH{region.code}-{stored.pk:06d}" and stored.household_id == h.pk and stored.region_id == region.pk
        assert (stored.holder_kind, stored.holder_name, stored.annual_volume_m3, stored.parent_id) == (
            one.holder_kind, str(h), 100 + i, book["permit"].pk)
        assert stored.is_tradable == one.is_tradable and stored.source_type == one.source_type
    batch = AuditEvent.objects.filter(action="open_rights").order_by("-id")[2]
    assert batch.object_id == str(rights[0].pk) and [r[1] for r in batch.after["rights"]] == [r.number for r in rights[:2]]
    count = WaterRight.objects.count()
    with pytest.raises(ValidationFailed):
        ledger.open_rights(actor=book["actor"], specs=[dict(spec, name="好", holder=households[0], annual_volume_m3=1),
                                                       dict(spec, name="坏", holder=households[1], annual_volume_m3=-1)])
    assert WaterRight.objects.count() == count


def test_an_entry_touching_hundreds_of_balances_updates_each_exactly(book):
    """Balance rows are updated a few hundred per statement; every one must equal its postings."""
    from shuiquan.registry.models import Household

    households = list(Household.objects.order_by("pk")[:160])
    years = (2025, 2026, 2027)
    assert len(households) * len(years) > 250  # more rows than one UPDATE takes
    rights = ledger.open_rights(actor=book["actor"], specs=[
        dict(kind=RightKind.HOUSEHOLD, name=f"{h.code}", holder=h, annual_volume_m3=i + 1, parent=book["county"],
             valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2027, 12, 31)) for i, h in enumerate(households)])
    total = sum(range(1, len(rights) + 1))
    lines = []
    for year in years:
        lines.append(Line(book["county"], year, -total))
        lines += [Line(r, year, i + 1) for i, r in enumerate(rights)]
    ledger.post_entry(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="批量", lines=lines)
    for i, r in enumerate(rights):
        for year in years:
            assert ledger.balance(r, year) == i + 1 == ledger.posted_sum(r, year)
    assert ledger.balance(book["county"], 2025) == 1_000_000 - total
    assert verify_ledger() == []

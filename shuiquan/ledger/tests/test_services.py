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

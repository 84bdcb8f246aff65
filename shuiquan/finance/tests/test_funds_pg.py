"""PostgreSQL backstops of the funds ledger: an unbalanced entry is refused at commit, lines and
entries cannot be updated or deleted (corrections are reversing entries)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError

from shuiquan.conftest import requires_postgres
from shuiquan.finance import funds
from shuiquan.finance.choices import AccountKind, EntryKind
from shuiquan.finance.models import FundEntry, FundLine

pytestmark = [requires_postgres, pytest.mark.postgres]


def test_unbalanced_lines_are_refused_at_commit(seeded_transactional_db):
    a, b = funds.platform(AccountKind.SETTLEMENT), funds.platform(AccountKind.FEES)
    with pytest.raises((IntegrityError, InternalError, DatabaseError)):
        with transaction.atomic():
            entry = FundEntry.objects.create(kind=EntryKind.REVERSAL, memo="绕过服务", effective_date="2026-03-02")
            FundLine.objects.create(entry=entry, account=a, amount=Decimal("1.00"))
            FundLine.objects.create(entry=entry, account=b, amount=Decimal("-0.99"))
    assert not FundEntry.objects.filter(memo="绕过服务").exists()


@pytest.mark.django_db
def test_lines_and_entries_are_append_only():
    a, b = funds.platform(AccountKind.SETTLEMENT), funds.platform(AccountKind.FEES)
    entry = funds.post(kind=EntryKind.REVERSAL, lines=[funds.L(a, Decimal("5.00")), funds.L(b, Decimal("-5.00"))], memo="测试")
    assert entry.number.startswith("ZJ")
    for sql in ("UPDATE finance_fundline SET amount = amount + 1 WHERE entry_id = %s", "DELETE FROM finance_fundline WHERE entry_id = %s",
                "UPDATE finance_fundentry SET memo = 'x' WHERE id = %s", "DELETE FROM finance_fundentry WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert FundLine.objects.filter(entry=entry).count() == 2

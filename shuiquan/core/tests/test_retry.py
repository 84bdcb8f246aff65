"""``core.retry``: which failures are retried, that a retry reruns the whole transaction, that it
never retries inside an outer transaction, and that every retry is counted and logged — with a
real PostgreSQL deadlock between two connections."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connections, transaction

from shuiquan.conftest import requires_postgres
from shuiquan.core import retry
from shuiquan.core.errors import Conflict


@pytest.fixture(autouse=True)
def fresh_counters():
    retry.reset()
    yield
    retry.reset()


def test_transient_reasons_are_recognised_and_nothing_else():
    assert retry.transient_reason(OperationalError("database is locked")) == "database_locked"
    assert retry.transient_reason(OperationalError("deadlock detected\nDETAIL: …")) == "deadlock_detected"
    assert retry.transient_reason(OperationalError("could not serialize access due to concurrent update")) == "serialization_failure"
    assert retry.transient_reason(OperationalError("no such table: x")) is None
    assert retry.transient_reason(ValueError("database is locked")) is None
    assert retry.transient_reason(Conflict("conflict", "冲突", "conflict")) is None


def test_a_domain_refusal_is_an_answer_not_an_accident():
    calls = []

    def refuse():
        calls.append(1)
        raise Conflict("already_reversed", "已冲正", "Already reversed")

    with pytest.raises(Conflict):
        retry.run(refuse)
    assert len(calls) == 1
    assert retry.stats() == {"calls": 1, "retries": 0, "exhausted": 0, "by_reason": {}}


@pytest.mark.django_db
def test_never_retried_inside_an_outer_transaction():
    """Inside an open transaction a rerun could not undo what the outer block did: the error goes
    up to whoever owns the transaction."""
    calls = []

    def busy():
        calls.append(1)
        raise OperationalError("database is locked")

    assert transaction.get_connection().in_atomic_block
    with pytest.raises(OperationalError):
        retry.run(busy)
    assert len(calls) == 1 and retry.stats()["retries"] == 0


@requires_postgres
@pytest.mark.postgres
def test_a_real_deadlock_is_retried_counted_and_logged(seeded_transactional_db, caplog):
    """Two connections lock the same two rows in opposite orders: PostgreSQL aborts one with
    40P01; ``retry.run`` runs that whole transaction again and both finish."""
    from shuiquan.core.models import User

    a, b = User.objects.order_by("pk").values_list("pk", flat=True)[:2]
    barrier = threading.Barrier(2, timeout=20)
    attempts = {a: 0, b: 0}
    results, errors = {}, []

    def work(first, second):
        def body():
            attempts[first] += 1
            with transaction.atomic():
                list(User.objects.select_for_update().filter(pk=first))
                if attempts[first] == 1:
                    barrier.wait()  # both hold their first row: each now waits for the other's
                list(User.objects.select_for_update().filter(pk=second))
                User.objects.filter(pk=first).update(display_name=f"重试测试{first}")
            return attempts[first]

        try:
            results[first] = retry.run(body, attempts=3)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    caplog.set_level("WARNING", logger="shuiquan.retry")
    threads = [threading.Thread(target=work, args=(a, b)), threading.Thread(target=work, args=(b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(results.values()) == [1, 2]  # one ran once; the deadlock victim ran twice
    stats = retry.stats()
    assert stats["calls"] == 2 and stats["retries"] == 1 and stats["exhausted"] == 0
    assert stats["by_reason"] == {"deadlock_detected": 1}
    assert any("deadlock_detected" in r.getMessage() for r in caplog.records)
    assert User.objects.filter(pk__in=[a, b], display_name__startswith="重试测试").count() == 2

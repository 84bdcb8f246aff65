"""Bounded retry of a whole transaction when the database gives up on it for a transient reason.

Services lock what they change in a fixed order (``ledger.services``: rights in primary-key order,
then their balance rows), so under READ COMMITTED PostgreSQL they wait for each other rather than
fail. What can still happen under heavy concurrency is transient and says nothing about the
request: a deadlock detected between statements that lock rows of different tables (SQLSTATE
``40P01``), a serialization failure where a transaction runs at a stricter isolation level
(``40001``), or SQLite's single writer being busy longer than its timeout ("database is locked").
The database rolled the whole transaction back, so running it again from the start is correct —
and only then: a retry inside an outer ``atomic`` block could not undo what the outer block did,
so ``run`` retries only at the outermost level and otherwise lets the error through to the caller
that owns the transaction.

``run(fn, *args, **kwargs)`` calls ``fn`` (a service whose body is one ``transaction.atomic``),
retrying at most ``attempts`` times in all with a short, growing, jittered pause. Every retry is
logged (logger ``shuiquan.retry``, WARNING) and counted in ``STATS`` (this process), so a test or
an operator can see how often it happened: ``stats()`` returns ``{"calls", "retries",
"exhausted", "by_reason": {reason: n}}``; ``reset()`` clears it. Domain refusals (``DomainError``)
are never retried: they are answers, not accidents.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter

from django.db import DatabaseError, OperationalError, connection, transaction

log = logging.getLogger("shuiquan.retry")

#: PostgreSQL SQLSTATEs after which the whole transaction may be run again (55P03: a lock_timeout, where one is set).
TRANSIENT_SQLSTATES = {"40001": "serialization_failure", "40P01": "deadlock_detected", "55P03": "lock_timeout"}
DEFAULT_ATTEMPTS = 5

_lock = threading.Lock()
STATS: dict = {"calls": 0, "retries": 0, "exhausted": 0, "by_reason": Counter()}


def transient_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is worth a retry (``"deadlock_detected"``, ``"serialization_failure"``,
    ``"database_locked"``), or None when it is not transient."""
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__ or exc.__context__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return TRANSIENT_SQLSTATES[sqlstate]
    text = str(exc).lower()
    if isinstance(exc, OperationalError):
        if "database is locked" in text or "database table is locked" in text:
            return "database_locked"
        if "deadlock detected" in text:
            return "deadlock_detected"
        if "could not serialize" in text:
            return "serialization_failure"
    return None


def _count(key: str, reason: str | None = None) -> None:
    with _lock:
        STATS[key] += 1
        if reason:
            STATS["by_reason"][reason] += 1


def stats() -> dict:
    """A copy of this process's counters."""
    with _lock:
        return {"calls": STATS["calls"], "retries": STATS["retries"], "exhausted": STATS["exhausted"],
                "by_reason": dict(STATS["by_reason"])}


def reset() -> None:
    with _lock:
        STATS.update(calls=0, retries=0, exhausted=0, by_reason=Counter())


def run(fn, *args, attempts: int = DEFAULT_ATTEMPTS, **kwargs):
    """Call ``fn(*args, **kwargs)``; if the database rolled its transaction back for a transient
    reason and no outer transaction is open, run it again (at most ``attempts`` calls in all)."""
    _count("calls")
    for attempt in range(1, attempts + 1):
        try:
            return fn(*args, **kwargs)
        except DatabaseError as exc:
            reason = transient_reason(exc)
            if reason is None or connection.in_atomic_block:
                raise
            if attempt == attempts:
                _count("exhausted", reason)
                log.error("%s: still %s after %s attempts, giving up", getattr(fn, "__name__", fn), reason, attempts)
                raise
            _count("retries", reason)
            log.warning("%s: %s, retrying (attempt %s of %s)", getattr(fn, "__name__", fn), reason, attempt + 1, attempts)
            time.sleep(0.02 * attempt + random.random() * 0.03 * attempt)
    raise AssertionError("unreachable")


def retrying(fn=None, *, attempts: int = DEFAULT_ATTEMPTS):
    """Decorator form of ``run``: ``@retrying`` on a function whose body is one transaction."""

    def wrap(f):
        def inner(*args, **kwargs):
            return run(f, *args, attempts=attempts, **kwargs)

        inner.__name__, inner.__doc__, inner.__wrapped__ = f.__name__, f.__doc__, f
        return inner

    return wrap(fn) if fn is not None else wrap


def atomic_run(fn, *args, attempts: int = DEFAULT_ATTEMPTS, **kwargs):
    """``run`` for a callable that is not itself atomic: wraps it in one ``transaction.atomic``."""

    def body():
        with transaction.atomic():
            return fn(*args, **kwargs)

    body.__name__ = getattr(fn, "__name__", "body")
    return run(body, attempts=attempts)


__all__ = ["run", "atomic_run", "retrying", "stats", "reset", "transient_reason", "STATS", "TRANSIENT_SQLSTATES"]

"""Monthly partitions of ``metering_reading`` on PostgreSQL (no-ops on SQLite).

Scheme (docs/metering.md): the parent table is partitioned by RANGE (observed_at); each calendar
month in Asia/Shanghai has its partition ``metering_reading_pYYYYMM`` covering
``[YYYY-MM-01 00:00+08, next month 00:00+08)``; ``metering_reading_default`` takes any reading
outside the existing partitions, so ingestion never fails for want of a partition.

``ensure_partitions`` creates missing monthly partitions. If the DEFAULT partition already holds
rows of that month (readings that arrived before the partition existed), they are moved into the
new partition in the same transaction: the new table is created detached, the rows are moved
(DELETE … RETURNING into INSERT), and the table is attached, so the readings are never absent or
doubled for a concurrent reader of the parent table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

PARENT = "metering_reading"
DEFAULT = "metering_reading_default"
TZ_OFFSET = "+08:00"  # Asia/Shanghai has no daylight saving time


@dataclass(frozen=True)
class PartitionInfo:
    name: str
    bounds: str
    rows: int | None = None


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.year * 12 + (day.month - 1) + n, 12)
    return dt.date(y, m + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid WHERE c.relname = %s",
                       [PARENT])
        return cursor.fetchone() is not None


def existing() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s""",
            [PARENT],
        )
        return {row[0] for row in cursor.fetchall()}


def ensure_partitions(first: dt.date, last: dt.date) -> list[str]:
    """Create the monthly partitions for every month from ``first`` to ``last`` (inclusive) that
    does not exist yet; return the names created. No-op unless the table is partitioned."""
    if not is_partitioned():
        return []
    have = existing()
    created = []
    month = month_start(first)
    while month <= month_start(last):
        name = partition_name(month)
        if name not in have:
            _create(month)
            created.append(name)
        month = add_months(month, 1)
    return created


def _create(month: dt.date) -> None:
    name = partition_name(month)
    lower = f"{month:%Y-%m-%d} 00:00:00{TZ_OFFSET}"
    upper = f"{add_months(month, 1):%Y-%m-%d} 00:00:00{TZ_OFFSET}"
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        # Serialize partition maintenance between processes.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x5351_5041_5254])
        cursor.execute("SELECT 1 FROM pg_class WHERE relname = %s", [name])
        if cursor.fetchone():
            return
        cursor.execute(f"CREATE TABLE {qn(name)} (LIKE {qn(PARENT)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {qn(DEFAULT)} WHERE observed_at >= %s AND observed_at < %s RETURNING *) "
            f"INSERT INTO {qn(name)} SELECT * FROM moved",
            [lower, upper],
        )
        cursor.execute(f"ALTER TABLE {qn(PARENT)} ATTACH PARTITION {qn(name)} FOR VALUES FROM (%s) TO (%s)", [lower, upper])


def describe(with_counts: bool = False) -> list[PartitionInfo]:
    """The partitions with their bounds (and estimated row counts from the planner statistics)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
               WHERE p.relname = %s ORDER BY c.relname""",
            [PARENT],
        )
        return [PartitionInfo(name, bounds, max(rows, 0) if with_counts else None) for name, bounds, rows in cursor.fetchall()]


def default_rows() -> int:
    if not is_partitioned():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(DEFAULT)}")
        return cursor.fetchone()[0]


#: Months kept ready by default: from January of last year to this many months ahead.
MONTHS_AHEAD = 3


def default_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    from django.utils import timezone

    today = today or timezone.localdate()
    return dt.date(today.year - 1, 1, 1), add_months(month_start(today), MONTHS_AHEAD)

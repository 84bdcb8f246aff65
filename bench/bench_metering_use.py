"""Monthly use for 10,000 devices × 30 days of hourly readings (7.2 million readings) on
PostgreSQL, printed with the time of one plain full scan of the readings table as the reference.

The readings (September 2026, hourly, one partition) are generated once with ``generate_series``
straight into ``metering_reading`` and kept in the bench database for the next run
(``--regenerate`` to build them again). The measured step is the production bulk path,
``services.recompute_bulk``: stream the month's readings (and each device's neighbours just
outside it) in one ordered query, apply the use-accounting rules to every device, store the
30 daily and the monthly and annual figures of each device.

    .venv/bin/python bench/bench_metering_use.py [--quick] [--regenerate]
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

DEVICES, DAYS = 10_000, 30
FIRST = dt.date(2026, 9, 1)


def generate(device_ids: list[int], days: int, batch_id: int) -> float:
    from django.db import connection

    with c.timer() as t, connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off") if connection.in_atomic_block else None
        cur.execute(
            """
            INSERT INTO metering_reading (device_id, observed_at, volume_m3, flow_m3s, level_m, battery_v, quality, batch_id, raw, received_at)
            SELECT d.id,
                   timestamptz '2026-09-01 00:00:00+08' + make_interval(hours => h),
                   100000 + (d.id %% 997) * 1000 + h * (5 + d.id %% 40) + (h / 24) * (d.id %% 7),
                   ((5 + d.id %% 40) / 3600.0)::numeric(14, 4), NULL, 3.60, 'good', %s,
                   jsonb_build_object('bench', true), now()
            FROM unnest(%s::bigint[]) AS d(id) CROSS JOIN generate_series(0, %s - 1) AS h
            """,
            [batch_id, device_ids, days * 24],
        )
        cur.execute("ANALYZE metering_reading")
    return t["seconds"]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    ok, why = c.pg_reachable()
    if not ok:
        print(f"skipped: PostgreSQL is not reachable at {c.pg_url()} ({why}); this benchmark is for PostgreSQL only")
        return 0
    c.setup_django("postgresql")
    from django.db import connection

    from shuiquan.metering import services
    from shuiquan.metering.choices import Source
    from shuiquan.metering.models import DeviceUse, IngestionBatch, Reading

    tiny = "--tiny" in argv  # the smoke test (use its own BENCH_DATABASE_URL: it keeps 2 days of readings)
    n_devices = 10 if tiny else 500 if quick else DEVICES
    days = 2 if tiny else DAYS
    devices = c.bench_devices(n_devices, prefix="U")
    ids = [d.pk for d in devices]
    last = FIRST + dt.timedelta(days=days - 1)
    expected = n_devices * days * 24
    first_t = dt.datetime(2026, 9, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    in_range = Reading.objects.filter(device_id__in=ids, observed_at__gte=first_t, observed_at__lt=first_t + dt.timedelta(days=days))
    have = in_range.count()
    if have != expected or "--regenerate" in argv:
        if have:
            in_range.delete()
        batch = IngestionBatch.objects.filter(label="benchmark: generated readings").first() or services.close_batch(
            services.open_batch(actor="bench", source=Source.DEMO, label="benchmark: generated readings"), actor="bench")
        seconds = generate(ids, days, batch.pk)
        print(f"generated {expected:,} readings with generate_series in {seconds:.1f} s")
    else:
        print(f"reusing {have:,} generated readings (--regenerate to build them again)")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('metering_reading_p202609'))")
        size = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM metering_reading")
        total_rows = cur.fetchone()[0]
    # Reference: one plain full scan of the readings table (second run, warm cache).
    scans = []
    for _ in range(2):
        with c.timer() as t, connection.cursor() as cur:
            cur.execute("SELECT count(*), sum(volume_m3) FROM metering_reading")
            cur.fetchone()
        scans.append(t["seconds"])
    scan = scans[-1]
    DeviceUse.objects.filter(device_id__in=ids).delete()
    with c.timer() as t:
        done = services.recompute_bulk(FIRST, last, devices)
    assert done == n_devices, done
    months = DeviceUse.objects.filter(device_id__in=ids, period="month", start=FIRST).count()
    days_rows = DeviceUse.objects.filter(device_id__in=ids, period="day", start__gte=FIRST, start__lte=last).count()
    assert months == n_devices and days_rows == n_devices * days, (months, days_rows)
    # spot check: a device's month equals its register difference over the month (no interpolation needed here)
    d0 = devices[0]
    m = DeviceUse.objects.get(device=d0, period="month", start=FIRST)
    span = in_range.filter(device=d0).order_by("observed_at")
    assert m.volume_m3 == span.last().volume_m3 - span.first().volume_m3, (m.volume_m3,)
    print(f"readings table: {total_rows:,} rows; the September partition {size}")
    print(f"full scan of metering_reading: {scan:.2f} s; monthly use for {n_devices:,} devices × {days} days hourly "
          f"({expected:,} readings): {t['seconds']:.1f} s = {t['seconds'] / scan:.1f} × the full scan "
          f"({expected / t['seconds']:,.0f} readings/s)")
    c.result(f"monthly use, {n_devices:,} devices × {days} d hourly (PostgreSQL)", t["seconds"], "s",
             reference=f"one full scan of {total_rows:,} rows: {scan:.2f} s", ratio=t["seconds"] / scan, readings=expected)
    c.result("full scan of metering_reading (PostgreSQL)", scan, "s", readings=total_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Ingestion throughput: readings/s through the service layer (normalise, de-duplicate, insert
with ON CONFLICT … RETURNING, device state and recomputation marks, batch counts and audit) into
SQLite and PostgreSQL, printed as a ratio to a raw bulk insert of the same rows into the same
table (``COPY`` on PostgreSQL, ``executemany`` on SQLite).

    .venv/bin/python bench/bench_metering_ingest.py [--quick] [--engine sqlite|postgresql]
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

DEVICES, HOURS = 200, 500  # 100 000 readings
CHUNK = 10_000


def records(devices, hours):
    from shuiquan.metering.accounting import TZ

    start = dt.datetime(2026, 3, 1, tzinfo=TZ)
    out = []
    for n, d in enumerate(devices):
        for h in range(hours):
            out.append({"device": d.serial, "observed_at": start + dt.timedelta(hours=h), "volume_m3": 100_000 + h * (20 + n % 30),
                        "flow_m3s": Decimal("0.0061"), "battery_v": Decimal("3.62")})
    return out


def truncate() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE metering_reading, metering_devicestate, metering_deviceuse")
        else:
            for table in ("metering_reading", "metering_devicestate", "metering_deviceuse"):
                cur.execute(f"DELETE FROM {table}")


def raw_insert(rows, batch_id: int) -> float:
    """The same rows, straight into the table: COPY (PostgreSQL) or executemany (SQLite)."""
    import json

    from django.db import connection, transaction
    from django.utils import timezone

    from shuiquan.metering.ingestion import jsonable

    by_serial = {}
    from shuiquan.registry.models import MeteringDevice

    by_serial = dict(MeteringDevice.objects.values_list("serial", "pk"))
    now = timezone.now()
    prepared = [(by_serial[r["device"]], r["observed_at"], r["volume_m3"], r["flow_m3s"], None, r["battery_v"], "good", batch_id,
                 json.dumps(jsonable(r), ensure_ascii=False), now) for r in rows]
    cols = "device_id, observed_at, volume_m3, flow_m3s, level_m, battery_v, quality, batch_id, raw, received_at"
    with c.timer() as t, transaction.atomic():
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                with cur.cursor.copy(f"COPY metering_reading ({cols}) FROM STDIN") as copy:
                    for row in prepared:
                        copy.write_row(row)
            else:
                ops = connection.ops
                cur.executemany(f"INSERT INTO metering_reading ({cols}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                                [(r[0], ops.adapt_datetimefield_value(r[1]), r[2], str(r[3]), None, str(r[5]), r[6], r[7], r[8],
                                  ops.adapt_datetimefield_value(r[9])) for r in prepared])
    return t["seconds"]


def service_insert(rows) -> tuple[float, object]:
    from shuiquan.metering import services
    from shuiquan.metering.choices import Source

    with c.timer() as t:
        batch = services.open_batch(actor="bench", source=Source.API, label="benchmark")
        for i in range(0, len(rows), CHUNK):
            services.add_records(batch, [(i + j + 1, r) for j, r in enumerate(rows[i : i + CHUNK])], actor="bench")
        batch = services.close_batch(batch, actor="bench")
    return t["seconds"], batch


INGEST_DB = "_ingest"  # its own database: it empties the readings table between the two inserts


def run_engine(engine: str, quick: bool) -> None:
    c.setup_django(engine, INGEST_DB)
    from shuiquan.metering.models import Reading

    tiny = "--tiny" in sys.argv  # the smoke test
    devices = c.bench_devices(5 if tiny else 50 if quick else DEVICES)
    rows = records(devices, 24 if tiny else 100 if quick else HOURS)
    n = len(rows)
    truncate()
    from shuiquan.metering import services
    from shuiquan.metering.choices import Source

    holder = services.close_batch(services.open_batch(actor="bench", source=Source.API, label="raw insert"), actor="bench")
    raw_s = raw_insert(rows, holder.pk)
    assert Reading.objects.count() == n
    truncate()
    svc_s, batch = service_insert(rows)
    assert batch.accepted == n and Reading.objects.count() == n, (batch.accepted, n)
    dup_s, dup_batch = service_insert(rows)  # the same delivery again: all duplicates
    assert dup_batch.accepted == 0 and dup_batch.duplicates == n
    label = "SQLite" if engine == "sqlite" else "PostgreSQL"
    raw_name = "executemany" if engine == "sqlite" else "COPY"
    print(f"{label}: {n:,} readings — service {n / svc_s:,.0f}/s ({svc_s:.2f} s), raw {raw_name} {n / raw_s:,.0f}/s ({raw_s:.2f} s), "
          f"ratio service/raw {raw_s / svc_s:.3f}; re-sending the same {n:,}: {n / dup_s:,.0f}/s, all counted as duplicates")
    c.result(f"ingest via service ({label})", n / svc_s, "readings/s", reference=f"raw {raw_name} {n / raw_s:,.0f} readings/s",
             ratio=raw_s / svc_s, readings=n)
    c.result(f"re-send, all duplicates ({label})", n / dup_s, "readings/s", reference=f"raw {raw_name} {n / raw_s:,.0f} readings/s",
             ratio=raw_s / dup_s, readings=n)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    if "--engine" in argv:
        run_engine(argv[argv.index("--engine") + 1], quick)
        return 0
    code = 0
    for engine in ("sqlite", "postgresql"):
        if engine == "postgresql":
            ok, why = c.pg_reachable(c.pg_url(INGEST_DB))
            if not ok:
                print(f"PostgreSQL part skipped: {c.pg_url(INGEST_DB)} is not reachable ({why})")
                continue
        code |= subprocess.call([sys.executable, __file__, "--engine", engine, *argv])
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

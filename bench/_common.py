"""Shared helpers of the benchmarks: a fresh database per engine, timing, result lines."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/sq_bench"


def pg_url(suffix: str = "") -> str:
    """The bench database (``suffix`` gives a benchmark its own database, e.g. so that one that
    empties the readings table does not wipe another's generated data)."""
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG) + suffix


def pg_reachable(url: str | None = None) -> tuple[bool, str]:
    url = url or pg_url()
    try:
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), connect_timeout=3, autocommit=True) as conn:
            name = url.rsplit("/", 1)[1]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return False, str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def setup_django(engine: str, suffix: str = "") -> None:
    """Point Django at a fresh SQLite file (temporary) or at the PostgreSQL bench database, and migrate."""
    if engine == "sqlite":
        tmp = tempfile.mkdtemp(prefix="sq_bench_")
        os.environ["SHUIQUAN_VAR_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = pg_url(suffix)
        os.environ.setdefault("SHUIQUAN_VAR_DIR", tempfile.mkdtemp(prefix="sq_bench_"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuiquan.settings")
    os.environ.setdefault("SHUIQUAN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def timer():
    box = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def result(name: str, value: float, unit: str, *, reference: str = "", ratio: float | None = None, **extra) -> None:
    print("RESULT " + json.dumps({"name": name, "value": value, "unit": unit, "reference": reference, "ratio": ratio, **extra},
                                 ensure_ascii=False), flush=True)


def bench_devices(n: int, prefix: str = "B") -> list:
    """``n`` metering devices (with their intake points) for the benchmarks, created once."""
    from decimal import Decimal

    from shuiquan.registry.models import IntakePoint, MeteringDevice, Region

    region, _ = Region.objects.get_or_create(code="411325", defaults={"name": "内乡县", "kind": "county"})
    have = MeteringDevice.objects.filter(serial__startswith=f"{prefix}-").count()
    if have < n:
        intakes = IntakePoint.objects.bulk_create([
            IntakePoint(code=f"{prefix}Q{i:06d}", name=f"基准测试取水口{i}", region=region, longitude=Decimal("111.8"),
                        latitude=Decimal("33.0"), is_demo=True)
            for i in range(have, n)
        ], batch_size=2000)
        MeteringDevice.objects.bulk_create([
            MeteringDevice(serial=f"{prefix}-{i:06d}", model="BENCH", protocol="mqtt_json", intake_point=ip, region=region,
                           installed_on=dt.date(2025, 1, 1), is_demo=True)
            for i, ip in zip(range(have, n), intakes, strict=True)
        ], batch_size=2000)
    return list(MeteringDevice.objects.filter(serial__startswith=f"{prefix}-").order_by("serial")[:n])

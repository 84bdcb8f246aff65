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


# --- Prepared demo databases (the trading and page benchmarks) ------------------------------------
#
# SQLite (default): files under var/bench/ (git-ignored). PostgreSQL when DATABASE_URL is set: databases
# on that server named <its database>_bench_<name>, never the database DATABASE_URL itself names.
# A demo database (``setup_platform --demo --size …``) is built once into a base — a file, or a
# PostgreSQL database used as a template — whose name carries a digest of the migrations and demo
# loaders, and every run starts from a fresh copy of it.

BENCH_DIR = Path(os.environ.get("SHUIQUAN_BENCH_DIR", ROOT / "var" / "bench"))


def use_postgres() -> bool:
    return bool(os.environ.get("DATABASE_URL"))


def engine_label() -> str:
    return "PostgreSQL" if use_postgres() else "SQLite"


def _pg_server_and_name() -> tuple[str, str]:
    from urllib.parse import urlsplit

    url = os.environ["DATABASE_URL"].split("?", 1)[0]
    parts = urlsplit(url)
    return url.rsplit("/", 1)[0], parts.path.lstrip("/") or "shuiquan"


def _pg_admin():
    import psycopg

    server, _ = _pg_server_and_name()
    return psycopg.connect((server + "/postgres").replace("postgres://", "postgresql://", 1), autocommit=True, connect_timeout=5)


def _pg_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def data_digest() -> str:
    """Changes when a migration or a demo/seed loader changes: the cached base is then rebuilt."""
    import hashlib

    h = hashlib.sha256()
    app_dir = ROOT / "shuiquan"
    for p in sorted([*app_dir.glob("*/migrations/*.py"), *app_dir.glob("*/demo.py"), *app_dir.glob("*/seed.py"),
                     app_dir / "core" / "loading.py"]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def _db_env(target: str) -> dict:
    env = dict(os.environ)
    env.setdefault("SHUIQUAN_LOG_LEVEL", "WARNING")
    env.setdefault("SHUIQUAN_VAR_DIR", str(BENCH_DIR))  # one secret key for the bench process and its servers
    if use_postgres():
        server, _ = _pg_server_and_name()
        env["DATABASE_URL"] = f"{server}/{target}"
    else:
        env.pop("DATABASE_URL", None)
        env["SHUIQUAN_SQLITE_PATH"] = str(target)
    return env


def _manage(env: dict, *args: str) -> None:
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _sqlite_checkpoint(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _sqlite_copy(src: Path, dst: Path) -> None:
    import shutil

    for suffix in ("", "-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    shutil.copyfile(src, dst)


def base_db(key: str, build, *, rebuild: bool = False) -> str:
    """The cached base ``key`` (a SQLite path or a PostgreSQL database name), built with
    ``build(env)`` (which gets the environment pointing at the new, empty database) when missing."""
    digest = data_digest()
    if use_postgres():
        _, main = _pg_server_and_name()
        name = f"{main}_bench_base_{key}_{digest}"[:63]
        with _pg_admin() as conn:
            if rebuild and _pg_exists(conn, name):
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            if _pg_exists(conn, name):
                return name
            tmp = (name[:55] + "_tmp")
            conn.execute(f'DROP DATABASE IF EXISTS "{tmp}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{tmp}"')
        started = time.monotonic()
        print(f"building the bench base database {name} (once) …", flush=True)
        build(_db_env(tmp))
        with _pg_admin() as conn:
            conn.execute(f'ALTER DATABASE "{tmp}" RENAME TO "{name}"')
        print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
        return name
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"base_{key}_{digest}.sqlite3"
    if rebuild:
        path.unlink(missing_ok=True)
    if not path.exists():
        for old in BENCH_DIR.glob(f"base_{key}_*.sqlite3*"):
            old.unlink()
        tmp = BENCH_DIR / f"building_{key}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        started = time.monotonic()
        print(f"building the bench base database {path.relative_to(ROOT)} (once) …", flush=True)
        build(_db_env(tmp))
        _sqlite_checkpoint(tmp)
        tmp.rename(path)
        print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
    return str(path)


def demo_base(size: str, *, rebuild: bool = False) -> str:
    """The base with the Nanyang reference data and the demo data of ``size`` (small or full)."""

    def build(env):
        _manage(env, "migrate", "--no-input")
        _manage(env, "setup_platform", "--demo", "--size", size)

    return base_db(f"demo_{size}", build, rebuild=rebuild)


def clone_into(base: str, env: dict) -> None:
    """Make the (new, empty) database of ``env`` a copy of ``base`` — for a base built on another."""
    if use_postgres():
        target = env["DATABASE_URL"].rsplit("/", 1)[1]
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{base}"')
    else:
        _sqlite_copy(Path(base), Path(env["SHUIQUAN_SQLITE_PATH"]))


def fresh_copy(base: str, name: str) -> dict:
    """A fresh working copy ``name`` of the base; returns the environment that points at it."""
    if use_postgres():
        _, main = _pg_server_and_name()
        work = f"{main}_bench_{name}"[:63]
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{work}" TEMPLATE "{base}"')
        return _db_env(work)
    work = BENCH_DIR / f"{name}.sqlite3"
    _sqlite_copy(Path(base), work)
    return _db_env(str(work))


def setup_django_env(env: dict) -> None:
    """Point this process's Django at the database of ``env`` (from ``fresh_copy``) and migrate."""
    for key in ("DATABASE_URL", "SHUIQUAN_SQLITE_PATH"):
        if key in env:
            os.environ[key] = env[key]
        else:
            os.environ.pop(key, None)
    os.environ.setdefault("SHUIQUAN_VAR_DIR", str(BENCH_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuiquan.settings")
    os.environ.setdefault("SHUIQUAN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty list."""
    import math

    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


def size_arg(argv: list[str]) -> str:
    """``--quick`` / ``--tiny`` (the smoke test) or the default full size; also ``SIZE=quick``."""
    if "--tiny" in argv:
        return "tiny"
    if "--quick" in argv or os.environ.get("BENCH_SIZE", "").lower() == "quick":
        return "quick"
    return "full"

"""Pages and API lists under load: p50/p95 latency of the main pages (workbench, registry overview
and permit list, trading, metering, portal) and of API list endpoints, served by a real server —
gunicorn (pinned in requirements.lock), 2 sync workers, DEBUG off — from a database with the full
demo data plus 10,000 generated permits, driven by a concurrent client in this process (threads,
each with its own keep-alive ``http.client`` connection; pages with a logged-in session cookie of
the city administrator, who sees everything, the API with a Bearer token).

The reference is ``/bench/static/``, a view of the same server that returns a fixed small response
(routed only when ``SHUIQUAN_BENCH=1``): what a request costs before any page work — gunicorn, the
middleware, the session and the user lookup. Each URL's ratio is its p50 over the reference's p50.

The 10,000 permits (with a holder, an intake and a meter each, labelled 演示数据, ``is_demo``)
are generated once with the same validation as the registry's demo (``full_clean`` on every
holder and permit, then ``bulk_create``) into a cached base database (var/bench/ or, with
DATABASE_URL, a PostgreSQL database on that server).

    .venv/bin/python bench/bench_pages.py [--quick] [--clients N] [--requests N]

``--quick``: the small demo plus 1,000 permits, fewer requests.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from urllib.parse import quote
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

SIZES = {  # demo size, generated permits, measured requests per URL
    "full": ("full", 10_000, 40),
    "quick": ("small", 1_000, 15),
    "tiny": ("small", 30, 2),
}
CLIENTS = 4
STATIC = "/bench/static/"
PAGES = [
    "/workbench/",
    "/registry/overview/",
    "/registry/permits/",
    "/registry/permits/?q=基准",
    "/trading/",
    "/trading/trades/",
    "/metering/",
    "/metering/devices/",
    "/public/",
    "/public/market/",
]
API = [
    "/api/v1/registry/permits/",
    "/api/v1/registry/water-users/",
    "/api/v1/registry/intake-points/",
    "/api/v1/registry/metering-devices/",
    "/api/v1/trading/trades/",
    "/api/v1/ledger/rights/",
]


# --- the generated permits ---------------------------------------------------------------------

def generate_permits(n: int, seed: int = 10_000) -> int:
    """``n`` withdrawal permits spread over the counties, each with its holder (an enterprise), an
    intake and an online meter — validated like the registry's demo, then bulk-inserted."""
    from django.db import transaction

    from shuiquan.registry import models as m
    from shuiquan.registry.choices import IntakeKind, MeterProtocol, WaterUse, WaterUserKind, WithdrawalMethod
    from shuiquan.registry.demo import credit_code, person_name

    rng = random.Random(seed)
    counties = list(m.Region.objects.filter(kind__in=["district", "county", "county_city"]).order_by("sort_order"))
    authorities = {a.region_id: a for a in m.Authority.objects.filter(region__in=counties)}
    sources = list(m.WaterSource.objects.filter(kind__in=["river", "reservoir"]).order_by("name"))
    sectors = [s for s in m.Sector.objects.filter(code__in=["13", "17", "22", "26", "27", "30", "44"]).order_by("code")]
    holders, permits = [], []
    serial: dict[tuple[str, int], int] = {}
    for i in range(n):
        county = counties[i % len(counties)]
        authority = authorities[county.pk]
        sector = sectors[i % len(sectors)]
        holder = m.WaterUser(name=f"{county.name}基准测试企业{i:05d}（演示数据）", kind=WaterUserKind.ENTERPRISE,
                             credit_code=credit_code(rng, county.code), sector=sector, region=county,
                             address=f"{county.name}产业集聚区{rng.randrange(1, 99)}号", legal_representative=person_name(rng),
                             contact_name=person_name(rng), contact_phone=f"0377-6{rng.randrange(1000000, 9999999)}", is_demo=True)
        holder.full_clean()
        holders.append(holder)
        year = 2024 + i % 2
        key = (authority.admin_code, year)
        serial[key] = serial.get(key, 1000) + 1
        issued = dt.date(year, 1 + i % 12, 1 + i % 28)
        volume = rng.randrange(2, 200) * 10_000
        permits.append(m.WithdrawalPermit(
            number=f"{authority.admin_code}-{year}-{serial[key]:04d}", holder=holder, region=county, approving_authority=authority,
            supervising_authority=authority, source=sources[i % len(sources)], withdrawal_method=WithdrawalMethod.PUMPING,
            use=WaterUse.INDUSTRIAL, sector=sector, annual_volume_m3=volume, max_daily_volume_m3=volume // 300, issued_on=issued,
            valid_from=issued, valid_to=dt.date(issued.year + 5, issued.month, issued.day) - dt.timedelta(days=1),
            return_water_location=f"{county.name}污水处理厂", return_water_volume_m3=volume // 5, is_demo=True))
    with transaction.atomic():
        m.WaterUser.objects.bulk_create(holders, batch_size=1000)
        for p in permits:
            p.holder = p.holder  # the holder now has its primary key
            p.full_clean()
        m.WithdrawalPermit.objects.bulk_create(permits, batch_size=1000)
        intakes = m.IntakePoint.objects.bulk_create([
            m.IntakePoint(code=f"QSKB{i:06d}", name=f"{p.holder.name}取水口", kind=IntakeKind.SURFACE_INTAKE, water_user=p.holder, permit=p,
                          region=p.region, source=p.source, longitude=Decimal("112.5") + Decimal(i % 1000) / 10000,
                          latitude=Decimal("33.0") + Decimal(i % 700) / 10000, is_demo=True)
            for i, p in enumerate(permits)], batch_size=1000)
        m.MeteringDevice.objects.bulk_create([
            m.MeteringDevice(serial=f"BP{i:06d}", model="RTU-651A", manufacturer="南阳测控科技（演示）", protocol=MeterProtocol.MQTT_JSON,
                             intake_point=ip, region=ip.region, is_online=True, meets_standard=True, installed_on=dt.date(2025, 3, 1),
                             is_demo=True)
            for i, ip in enumerate(intakes)], batch_size=1000)
    return n


def pages_base(demo_size: str, n_permits: int, rebuild: bool) -> str:
    demo = c.demo_base(demo_size, rebuild=rebuild)

    def build(env):
        c.clone_into(demo, env)
        subprocess.run([sys.executable, __file__, "--generate", str(n_permits)], cwd=c.ROOT, env=env, check=True)

    return c.base_db(f"pages_{demo_size}_{n_permits}", build, rebuild=rebuild)


# --- the server and the load ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    env = {**env, "SHUIQUAN_BENCH": "1", "DEBUG": "0", "SHUIQUAN_LOG_LEVEL": "WARNING"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen([str(gunicorn), "shuiquan.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "--log-level", "warning", "--timeout", "120"], cwd=c.ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            conn.getresponse().read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited at start") from None
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def load(port: int, path: str, headers: dict, requests: int, clients: int) -> tuple[list[float], dict, int]:
    """``requests`` GETs of ``path`` by ``clients`` threads (each its own keep-alive connection);
    returns (latencies in s, status counts, response bytes of the last)."""
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict = {}
    size = [0]
    todo = [requests]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while True:
                with lock:
                    if todo[0] <= 0:
                        return
                    todo[0] -= 1
                started = time.perf_counter()
                try:
                    conn.request("GET", quote(path, safe="/?=&"), headers=headers)
                    resp = conn.getresponse()
                    body = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    with lock:
                        statuses[exc.__class__.__name__] = statuses.get(exc.__class__.__name__, 0) + 1
                    continue
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                    size[0] = len(body)
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, statuses, size[0]


def credentials() -> tuple[str, str]:
    """A session cookie and an API token for the city administrator (written to the bench database)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from shuiquan.core.models import User

    admin = User.objects.get(username="city_admin")
    session = SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0] if getattr(settings, "AUTHENTICATION_BACKENDS", None) else \
        "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session.create()
    token, _ = Token.objects.get_or_create(user=admin)
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", token.key


def main(argv: list[str]) -> int:
    if "--generate" in argv:  # the base build's step, in its own process
        c.setup_django_env({k: os.environ[k] for k in ("DATABASE_URL", "SHUIQUAN_SQLITE_PATH") if k in os.environ})
        with c.timer() as t:
            generate_permits(int(argv[argv.index("--generate") + 1]))
        print(f"  generated {argv[argv.index('--generate') + 1]} permits with holders, intakes and meters in {t['seconds']:.0f} s")
        return 0
    size = c.size_arg(argv)
    demo_size, n_permits, requests = SIZES[size]
    clients = int(argv[argv.index("--clients") + 1]) if "--clients" in argv else CLIENTS
    requests = int(argv[argv.index("--requests") + 1]) if "--requests" in argv else requests
    base = pages_base(demo_size, n_permits, "--rebuild" in argv)
    env = c.fresh_copy(base, "pages")
    c.setup_django_env(env)
    from django.db import connection

    from shuiquan.registry.models import WithdrawalPermit

    total_permits = WithdrawalPermit.objects.count()
    cookie, token = credentials()
    connection.close()
    port = free_port()
    server = start_server(env, port)
    label = c.engine_label()
    rows = []
    try:
        targets = [(STATIC, {"Cookie": cookie}, "reference")] + [(p, {"Cookie": cookie}, "page") for p in PAGES] + \
                  [(p, {"Authorization": f"Bearer {token}"}, "api") for p in API]
        for path, headers, kind in targets:
            load(port, path, headers, min(2, requests), 1)  # warm-up: both workers' caches, the first query plans
            lat, statuses, nbytes = load(port, path, headers, requests, clients)
            rows.append((path, kind, lat, statuses, nbytes))
    finally:
        stop_server(server)
    ref_p50 = c.percentile(rows[0][2], 50)
    print(f"{label}: full demo data ({demo_size}) with {total_permits:,} permits in all; gunicorn 2 workers; {clients} concurrent "
          f"clients × {requests} requests per URL (city administrator)")
    print(f"{'URL':<40} {'status':<10} {'KiB':>6} {'p50 ms':>8} {'p95 ms':>8} {'× ref p50':>10}")
    bad = []
    for path, kind, lat, statuses, nbytes in rows:
        if not lat:
            bad.append((path, "no answer"))
            continue
        p50, p95 = 1000 * c.percentile(lat, 50), 1000 * c.percentile(lat, 95)
        ratio = p50 / (1000 * ref_p50)
        st = ",".join(f"{k}×{v}" for k, v in sorted(statuses.items()))
        print(f"{path:<40} {st:<10} {nbytes / 1024:>6.0f} {p50:>8.1f} {p95:>8.1f} {ratio:>10.1f}")
        if set(statuses) != {200}:
            bad.append((path, statuses))
        name = "static reference" if kind == "reference" else path
        c.result(f"{name} p50 ({label})", p50, "ms", reference=f"{STATIC} p50 {1000 * ref_p50:.1f} ms" if kind != "reference" else "",
                 ratio=ratio if kind != "reference" else None, p95_ms=p95, kind=kind, statuses=statuses, requests=len(lat))
    if bad:
        print("non-200 answers:", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

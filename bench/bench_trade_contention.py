"""Trade registration under contention: 20 concurrent clients (threads, each with its own database
connection) register settled withdrawal-permit trades through the real service
(``trading.services.register``: trade row lock, transition, the registration-stage rules, the
lock consumed and the seller → buyer ledger entry, history row, audit), all trades selling from the
same permit (so every registration contends for the seller's balance row), to 20 buyers.

Reported: trades/s, p50/p95/p99 latency per registration, retries (a transaction the database
refused under contention — a deadlock or serialization failure on PostgreSQL, "database is locked"
on SQLite — re-run by the client) and refusals (a domain error; none expected). A second phase has
the 20 clients race to register the same trade, several times: exactly one wins each race, the
others are refused.

PostgreSQL when DATABASE_URL is set (a copy of the small demo database on that server), else a
SQLite file under var/bench/.

    .venv/bin/python bench/bench_trade_contention.py [--quick]
"""

from __future__ import annotations

import datetime as dt
import queue
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

CLIENTS = 20
TRADES = {"full": 150, "quick": 40, "tiny": 3}
RACES = {"full": 10, "quick": 3, "tiny": 1}
VOLUME = 100  # m³ per trade


def buyers(admin, county_right, n: int) -> list:
    """n industrial buyers in 唐河县 with a permit, an intake with a compliant online meter (M2), a
    withdrawal right holding the permitted volume, and an account (labelled 演示数据)."""
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.choices import EntryKind, RightKind
    from shuiquan.registry import models as reg
    from shuiquan.trading import clock

    year = clock.this_year()
    tanghe = reg.Region.objects.get(code="411328")
    authority = reg.Authority.objects.get(name="唐河县水利局")
    source = reg.WaterSource.objects.get(name="虎山水库")
    sector = reg.Sector.objects.get(code="27")
    out = []
    for i in range(n):
        holder = reg.WaterUser.objects.create(name=f"唐河基准测试企业{i:02d}（演示数据）", kind="enterprise", region=tanghe, sector=sector,
                                              is_demo=True)
        permit = reg.WithdrawalPermit(
            number=f"411328-{year}-7{i:03d}", holder=holder, region=tanghe, approving_authority=authority, supervising_authority=authority,
            source=source, withdrawal_method="pumping", use="industrial", sector=sector, annual_volume_m3=100_000,
            issued_on=dt.date(year - 1, 1, 1), valid_from=dt.date(year - 1, 1, 1), valid_to=dt.date(year + 3, 12, 31), is_demo=True)
        permit.full_clean()
        permit.save()
        intake = reg.IntakePoint.objects.create(code=f"QSKBENCH{i:03d}", name=f"基准测试企业{i}取水口", water_user=holder, permit=permit,
                                                region=tanghe, source=source, longitude=Decimal("112.8"), latitude=Decimal("32.7"), is_demo=True)
        reg.MeteringDevice.objects.create(serial=f"BENCHT{i:04d}", model="RTU-651A", protocol="sl651_hex", intake_point=intake, region=tanghe,
                                          is_online=True, meets_standard=True, installed_on=dt.date(year - 1, 2, 1), is_demo=True)
        right = ledger.open_right(actor=admin, kind=RightKind.WITHDRAWAL, name=f"{holder}取水权", holder=holder, permit=permit,
                                  annual_volume_m3=100_000, valid_from=permit.valid_from, valid_to=permit.valid_to, parent=county_right,
                                  source=source, use="industrial")
        ledger.transfer(actor=admin, kind=EntryKind.ALLOCATION, memo="取水许可（演示数据）", source=county_right, target=right,
                        years=[year], amount=100_000)
        user = User.objects.create(username=f"bench_buyer_{i:02d}", role="permit_holder", water_user=holder, region=tanghe, is_demo=True)
        out.append((user, permit))
    return out


def settled_trades(n: int) -> tuple[list[int], object]:
    """n settled one-year negotiated permit trades from the demo permit holder's permit."""
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.registry import models as reg
    from shuiquan.trading import clock, services
    from shuiquan.trading.demo import _authority_user

    users = {u.username: u for u in User.objects.filter(username__in=["city_admin", "permit_holder"])}
    users.update({u.username: u for u in User.objects.filter(role="county_officer", is_demo=True)})
    admin, seller = users["city_admin"], users["permit_holder"]
    year = clock.this_year()
    county_right = ledger.right_for_region(reg.Region.objects.get(code="411328"))
    bs = buyers(admin, county_right, CLIENTS)
    permit = reg.WithdrawalPermit.objects.filter(holder=seller.water_user).order_by("pk").first()
    seller_right = ledger.right_for_permit(permit)
    need = n * VOLUME
    if ledger.available(seller_right, year) < need:
        raise SystemExit(f"the demo permit {permit} has {ledger.available(seller_right, year)} m³ available in {year}, {need} needed")
    officer = _authority_user({"city_admin": admin}, permit.approving_authority)
    saving = services.submit_savings(actor=seller, permit=permit, source_kind="works", description="基准测试节水改造（演示数据）",
                                     claimed_m3=need, first_year=year, last_year=year, evidence="基准测试（演示数据）", is_demo=True)
    services.verify_savings(actor=officer, savings=saving, verified_m3=need, works_manager_opinion="同意（演示）", note="基准测试（演示）")
    ids = []
    for i in range(n):
        buyer_user, buyer_permit = bs[i % CLIENTS]
        t = services.apply_trade(actor=seller, trade_type="permit", seller_right=seller_right, volume_m3=VOLUME, start_year=year,
                                 end_year=year, buyer=f"permit:{buyer_permit.pk}", savings=saving, is_demo=True, note="基准测试（演示数据）")
        services.verify_trade(actor=officer, trade=t, note="基准测试（演示）")
        services.agree(actor=seller, trade=t, unit_price="1.20")
        services.sign(actor=seller, trade=t)
        services.sign(actor=buyer_user, trade=t)
        services.pay(actor=buyer_user, trade=t, reference=f"BENCH-{i}")
        services.settle(actor=admin, trade=t)
        ids.append(t.pk)
    return ids, officer


def is_contention(exc: BaseException) -> bool:
    from django.db import OperationalError

    text = str(exc).lower()
    return isinstance(exc, OperationalError) and any(w in text for w in ("deadlock", "could not serialize", "database is locked", "busy"))


def run_clients(work: list[int], officer, clients: int | None = None):
    """Each client takes the next trade id from a shared queue and registers it (retrying on a
    contention error); returns (latencies, outcomes, retries, wall seconds)."""
    from django.db import connections

    from shuiquan.core.errors import DomainError
    from shuiquan.trading import services

    clients = clients or CLIENTS
    q: queue.Queue = queue.Queue()
    for pk in work:
        q.put(pk)
    latencies: list[float] = []
    outcomes: Counter = Counter()
    retries = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client():
        try:
            barrier.wait(timeout=60)
            while True:
                try:
                    pk = q.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                while True:
                    try:
                        services.register(actor=officer, trade=pk, approval_number="")
                        outcome = "ok"
                    except DomainError as exc:
                        outcome = f"refused: {exc.code}"
                    except Exception as exc:  # noqa: BLE001
                        if is_contention(exc):
                            with lock:
                                retries[str(exc).splitlines()[0][:60]] += 1
                            continue
                        outcome = f"error: {exc.__class__.__name__}: {str(exc).splitlines()[0][:80]}"
                    break
                with lock:
                    latencies.append(time.perf_counter() - started)
                    outcomes[outcome] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, outcomes, retries, time.perf_counter() - started


def main(argv: list[str]) -> int:
    global CLIENTS
    size = c.size_arg(argv)
    n, races = TRADES[size], RACES[size]
    if size == "tiny":
        CLIENTS = 4  # the smoke test
    base = c.demo_base("small", rebuild="--rebuild" in argv)
    c.setup_django_env(c.fresh_copy(base, "trade_contention"))
    from django.db import connection

    from shuiquan.ledger.invariants import verify_ledger
    from shuiquan.trading.choices import TradeStatus
    from shuiquan.trading.models import Trade

    with c.timer() as prep:
        ids, officer = settled_trades(n + races)
    print(f"prepared {n + races} settled trades and {CLIENTS} buyers in {prep['seconds']:.0f} s (not measured)")
    connection.close()  # the clients use their own connections
    work, race_ids = ids[:n], ids[n:]
    latencies, outcomes, retries, wall = run_clients(work, officer)
    ok = outcomes.get("ok", 0)
    registered = Trade.objects.filter(pk__in=work, status=TradeStatus.REGISTERED).count()
    label = c.engine_label()
    p50, p95, p99 = (1000 * c.percentile(latencies, p) for p in (50, 95, 99))
    print(f"{label}: {CLIENTS} clients registered {ok} of {n} trades in {wall:.2f} s = {ok / wall:,.1f} trades/s; latency per "
          f"registration p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms (max {1000 * max(latencies):.0f} ms)")
    print(f"  retries after a contention error: {sum(retries.values())} {dict(retries) or ''}; other outcomes: "
          f"{ {k: v for k, v in outcomes.items() if k != 'ok'} or 'none'}; trades registered in the database: {registered}")
    # Races: all 20 clients register the same trade at once.
    race_outcomes: Counter = Counter()
    winners = []
    for pk in race_ids:
        _lat, out, race_retries, _w = run_clients([pk] * CLIENTS, officer)
        race_outcomes.update(out)
        race_outcomes.update({"retries": sum(race_retries.values())})
        winners.append(out.get("ok", 0))
    exact = all(w == 1 for w in winners)
    print(f"  {races} races of {CLIENTS} clients for one trade: {dict(race_outcomes)}; exactly one winner each time: {exact}")
    problems = verify_ledger()
    print(f"  ledger invariants: {'hold' if not problems else problems[:3]}")
    c.result(f"trade registration, {CLIENTS} clients ({label})", ok / wall, "trades/s", p50_ms=p50, p95_ms=p95, p99_ms=p99,
             retries=sum(retries.values()), refusals=sum(v for k, v in outcomes.items() if k != "ok"), trades=n)
    c.result(f"trade registration p99 latency, {CLIENTS} clients ({label})", p99, "ms")
    return 0 if ok == n == registered and exact and not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

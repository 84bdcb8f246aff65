"""Crash safety of a trade's registration (issue 7, item 5; docs/reliability-crash.md), with real
processes: the real server (gunicorn, ``shuiquan.wsgi``) as a subprocess on the test database, a
Bearer-token ``POST …/register/`` of a settled regional trade, and ``kill -9`` of the gunicorn
worker while it is inside the registration transaction (the lock consumed, the ledger entry posted,
the dispatch plan written, the state not yet changed). Then: no half-written trade — the trade is
still settled, the ledger is exactly as before and verifies, no orphan entry or dispatch line, the
audit chain verifies. After a restart the same request registers the trade once; a repeat is
refused (409) and nothing is doubled.

Runs on both databases (the SQLite test database is a file the server process opens too).
"""

from __future__ import annotations

import http.client
import json
import sys
import threading

import pytest

from shuiquan.core.tests.children import Child, child_env, free_port, poll
from shuiquan.trading.choices import TradeStatus

pytestmark = [pytest.mark.postgres]

VOLUME = 300_000


def _settled_regional_trade(users, rights):
    """内乡县 → 唐河县, 2026–2027, taken through the services up to 'settled' (committed)."""
    from shuiquan.registry.models import Region
    from shuiquan.trading import services

    tanghe = Region.objects.get(code="411328")
    trade = services.apply_trade(actor=users["neixiang_officer"], trade_type="regional", seller_right=rights["counties"]["411325"],
                                 volume_m3=VOLUME, start_year=2026, end_year=2027, buyer=f"region:{tanghe.pk}")
    services.verify_trade(actor=users["city_admin"], trade=trade, note="结余属实")
    services.agree(actor=users["neixiang_officer"], trade=trade, unit_price="0.50")
    services.sign(actor=users["neixiang_officer"], trade=trade)
    services.sign(actor=users["tanghe_officer"], trade=trade)
    services.file_province(actor=users["city_admin"], trade=trade, filing_number="豫水备〔2026〕99号")
    services.pay(actor=users["tanghe_officer"], trade=trade, reference="唐河财-崩溃测试")
    services.settle(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.SETTLED
    return trade


class Server:
    """gunicorn serving shuiquan.wsgi with one sync worker, on a free port."""

    def __init__(self, env, log_path):
        self.port = free_port()
        self.child = Child([sys.executable, "-m", "gunicorn", "shuiquan.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                            "--timeout", "300", "--graceful-timeout", "5"], env, log_path)
        poll(self._answers, 60, lambda: f"the server did not answer:\n{self.child.output()[-2000:]}", interval=0.2)

    def _answers(self) -> bool:
        assert self.child.alive(), f"the server exited:\n{self.child.output()[-2000:]}"
        try:
            return self.request("GET", "/api/v1/trading/rules/")[0] > 0
        except OSError:
            return False

    def request(self, method: str, path: str, token: str | None = None, body=None, timeout: float = 120) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, (json.loads(data) if data and resp.headers.get("Content-Type", "").startswith("application/json") else {})
        finally:
            conn.close()


def _state(trade):
    """Everything registration writes, for before/after comparison."""
    from shuiquan.core.models import AuditEvent
    from shuiquan.ledger.models import JournalEntry, Posting, RightBalance, VolumeLock
    from shuiquan.trading.models import DispatchPlanLine, Trade, TradeTransition

    t = Trade.objects.get(pk=trade.pk)
    return {
        "status": t.status, "entry": t.entry_id, "registered_at": t.registered_at,
        "entries": JournalEntry.objects.count(), "postings": Posting.objects.count(),
        "trade_entries": JournalEntry.objects.filter(reference_type="trading.trade", reference_id=str(t.pk)).count(),
        "balances": sorted(RightBalance.objects.values_list("right_id", "year", "balance", "locked")),
        "locks": sorted(VolumeLock.objects.values_list("pk", "status", "amount")),
        "dispatch": DispatchPlanLine.objects.filter(trade=t).count(),
        "history": list(TradeTransition.objects.filter(trade=t).order_by("pk").values_list("name", flat=True)),
        "audit": AuditEvent.objects.count(),
    }


def _assert_books_verify():
    from shuiquan.core.audit import verify_chain
    from shuiquan.ledger.invariants import verify_ledger

    assert verify_ledger() == []
    report = verify_chain()
    assert report.ok, report.reason


def test_kill_9_of_the_worker_mid_registration_leaves_no_half_written_trade_and_the_retry_registers_once(
        seeded_transactional_db, users, rights, tmp_path):
    from rest_framework.authtoken.models import Token

    from shuiquan.ledger import services as ledger

    env = child_env()  # the same database as this test
    trade = _settled_regional_trade(users, rights)
    token = Token.objects.get_or_create(user=users["city_admin"])[0].key
    seller, buyer = rights["counties"]["411325"], rights["counties"]["411328"]
    before = _state(trade)
    balances = {y: (ledger.balance(seller, y), ledger.balance(buyer, y)) for y in (2026, 2027)}
    path = f"/api/v1/trading/trades/{trade.pk}/register/"
    _assert_books_verify()

    first = second = None
    try:
        # 1. The server with the fault armed; the request stops inside the registration transaction.
        first = Server({**env, "SHUIQUAN_FAULT": "trade_register:120"}, tmp_path / "server-1.log")
        outcome: dict = {}

        def send():
            try:
                outcome["response"] = first.request("POST", path, token, {})
            except (OSError, http.client.HTTPException) as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        worker = first.child.wait_fault("trade_register", 60)
        assert worker != first.child.pid  # the worker, not the gunicorn master
        assert _state(trade) == before  # written but not committed: invisible
        first.child.kill9(worker)
        sender.join(60)
        assert not sender.is_alive()
        assert "response" not in outcome or outcome["response"][0] >= 500, outcome  # the client got no success

        # 2. Nothing of the interrupted registration is left.
        assert _state(trade) == before
        _assert_books_verify()
        assert first.child.terminate(30) == 0
        first.child.close()

        # 3. Restart (no fault); the same request registers the trade, once.
        second = Server(env, tmp_path / "server-2.log")
        status, body = second.request("POST", path, token, {})
        assert status == 200, body
        assert body["status"] == TradeStatus.REGISTERED
        # 4. Repeating it is refused; nothing is doubled.
        status, body = second.request("POST", path, token, {})
        assert status == 409 and body["code"] == "transition_not_allowed", body
        assert second.child.terminate(30) == 0
    finally:
        for server in (first, second):
            if server is not None:
                server.child.close()

    after = _state(trade)
    assert after["status"] == TradeStatus.REGISTERED and after["entry"] is not None
    assert after["trade_entries"] == 1 and after["entries"] == before["entries"] + 1
    assert after["dispatch"] == before["dispatch"] + 2  # one line per year of the term
    assert after["history"] == before["history"] + ["register"]
    for y, (s, b) in balances.items():
        assert ledger.balance(seller, y) == s - VOLUME and ledger.balance(buyer, y) == b + VOLUME
    _assert_books_verify()

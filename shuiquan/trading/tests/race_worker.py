"""One racing OS process for the concurrency tests (``test_races.py``).

Run as ``python -m shuiquan.trading.tests.race_worker <dir> <index>`` with the environment naming
the running test database (``DATABASE_URL`` or ``SHUIQUAN_SQLITE_PATH``: ``children.child_env``). It sets Django up, opens its own connection, writes ``ready-<index>``,
then for each phase k waits for ``go-<k>`` (all workers are released by the same file), reads
``phase-<k>.json`` (the clock's time and one task per worker), performs its task through the same
entry point a view uses (``trading.services.run`` / ``core.retry.run``: the bounded retry of a
whole transaction), and writes ``result-<k>-<index>.json``: ``{"outcome": "ok" | "refused" |
"error", "code", "rule", "value", "retries"}``. A ``DomainError`` is a refusal; anything else is an
error with its traceback (the test fails on it). ``stop`` ends the loop.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import traceback
from pathlib import Path


def _wait_for(*paths: Path, timeout: float = 120.0) -> Path:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for p in paths:
            if p.exists():
                return p
        time.sleep(0.002)
    raise TimeoutError(f"none of {paths} appeared")


def _write(path: Path, data) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, default=str))
    tmp.rename(path)


def _ops():
    from shuiquan.core import retry
    from shuiquan.core.models import User
    from shuiquan.finance import services as finance
    from shuiquan.finance.models import Pledge
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.models import WaterRight
    from shuiquan.trading import orderbook
    from shuiquan.trading import services as trading

    def user(name):
        return User.objects.get(username=name)

    def adjust_lines(t):
        source, target = WaterRight.objects.get(pk=t["source"]), WaterRight.objects.get(pk=t["target"])
        return [ledger.Line(source, t["year"], -t["amount"]), ledger.Line(target, t["year"], t["amount"])]

    return {
        "register_intent": lambda t: trading.run(trading.register_intent, actor=user(t["user"]), listing=t["listing"], buyer=t["buyer"],
                                                 deposit_reference=t["deposit_reference"]).pk,
        "close_notice": lambda t: trading.run(trading.close_notice, actor=user(t["user"]), trade=t["trade"]).status,
        "place_bid": lambda t: trading.run(trading.place_bid, actor=user(t["user"]), trade=t["trade"], buyer=t["buyer"],
                                           unit_price=t["unit_price"]).pk,
        "close_auction": lambda t: trading.run(trading.close_auction, actor=user(t["user"]), trade=t["trade"]).status,
        "register": lambda t: trading.run(trading.register, actor=user(t["user"]), trade=t["trade"],
                                          approval_number=t.get("approval_number", "")).status,
        "agree": lambda t: trading.run(trading.agree, actor=user(t["user"]), trade=t["trade"], unit_price=t["unit_price"]).status,
        "register_pledge": lambda t: retry.run(finance.register_pledge, Pledge.objects.get(pk=t["pledge"]), actor=user(t["user"])).status,
        "adjust": lambda t: retry.run(ledger.adjust, actor=user(t["user"]), memo=t["memo"], lines=adjust_lines(t)).pk,
        "place_order": lambda t: trading.run(orderbook.place_order, actor=user(t["user"]), session=t["session"], side=t["side"],
                                             party=t["party"], lots=t["lots"], limit_price=t["limit_price"]).pk,
    }


def main(directory: str, index: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuiquan.settings")
    import django

    django.setup()
    from django.db import connection

    from shuiquan.core import retry
    from shuiquan.core.errors import DomainError
    from shuiquan.trading import clock

    base = Path(directory)
    now = {"value": None}
    clock.now = lambda: now["value"]  # the test's clock, sent with each phase
    ops = _ops()
    connection.ensure_connection()
    _write(base / f"ready-{index}", {"pid": os.getpid()})
    k = 0
    while True:
        if _wait_for(base / f"go-{k}", base / "stop").name == "stop":
            return 0
        phase = json.loads((base / f"phase-{k}.json").read_text())
        now["value"] = dt.datetime.fromisoformat(phase["now"])
        task = phase["tasks"][index]
        before = retry.stats()["retries"]
        try:
            value = ops[task["op"]](task)
            result = {"outcome": "ok", "value": value}
        except DomainError as exc:
            result = {"outcome": "refused", "code": exc.code, "rule": exc.rule}
        except Exception as exc:  # noqa: BLE001 — reported to the test, which fails on it
            result = {"outcome": "error", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        stats = retry.stats()
        result.update(op=task["op"], retries=stats["retries"] - before, exhausted=stats["exhausted"], by_reason=stats["by_reason"])
        _write(base / f"result-{k}-{index}.json", result)
        k += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))

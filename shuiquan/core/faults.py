"""Fault injection for the crash-safety tests (docs/reliability-crash.md). Inert in production.

A *fault point* is a named place inside a service transaction (``faults.point("trade_register")``).
It does nothing unless the environment variable ``SHUIQUAN_FAULT`` names it::

    SHUIQUAN_FAULT=<point>:<seconds>[:<skip>]

Then the first ``skip`` passes (default 0) go through, and every later pass writes one line
``SHUIQUAN_FAULT reached <point> pid=<pid> pass=<n>`` to stderr and sleeps ``seconds`` there —
inside the open transaction, with its rows written but not committed — so a test can ``kill -9``
the process at that exact place. Nothing else changes: no data, no control flow. Unset (as in
production), a point costs one dictionary lookup.

Points: ``ingest_chunk`` (metering ``services.add_records``, after the chunk's readings and the
batch counts are written), ``trade_register`` (trading ``register``, after the lock is consumed,
the ledger entry posted and the permits/dispatch plan changed, before the state change).
"""

from __future__ import annotations

import os
import sys
import threading
import time

ENV = "SHUIQUAN_FAULT"
_passes: dict[str, int] = {}
_lock = threading.Lock()


def point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    parts = spec.split(":")
    if parts[0] != name:
        return
    seconds = float(parts[1]) if len(parts) > 1 and parts[1] else 30.0
    skip = int(parts[2]) if len(parts) > 2 and parts[2] else 0
    with _lock:
        _passes[name] = n = _passes.get(name, 0) + 1
    if n <= skip:
        return
    sys.stderr.write(f"SHUIQUAN_FAULT reached {name} pid={os.getpid()} pass={n}\n")
    sys.stderr.flush()
    time.sleep(seconds)

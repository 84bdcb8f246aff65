"""The benchmarks do not rot: each ``bench/bench_*.py`` imports and runs at a tiny size (``--tiny``)
and prints its ``RESULT`` lines. Timings are printed by the benchmarks, never asserted.

Each runs in its own process on SQLite, in ``var/bench-smoke/`` (its cached demo base is built
there once, about a minute); ``bench_metering_use`` (PostgreSQL only) runs where PostgreSQL is
reachable, in its own database ``sq_bench_smoke``. In the PostgreSQL stage of ``make test``
(DATABASE_URL set) these are skipped: the SQLite stage has run them."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "bench"
SMOKE_DIR = ROOT / "var" / "bench-smoke"
SMOKE_PG = "postgres://postgres@127.0.0.1:5432/sq_bench_smoke"

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="run in the SQLite stage")

CASES = {
    "bench_metering_ingest": ["--engine", "sqlite", "--tiny"],
    "bench_metering_use": ["--tiny"],
    "bench_orderbook": ["--tiny"],
    "bench_pages": ["--tiny"],
    "bench_trade_contention": ["--tiny"],
}


def test_every_benchmark_has_a_smoke_case():
    assert sorted(p.stem for p in BENCH.glob("bench_*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_runs_at_a_tiny_size(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH))
    try:
        spec.loader.exec_module(module)  # imports cleanly (no Django set-up at import time)
        import _common
    finally:
        sys.path.remove(str(BENCH))
    assert callable(module.main)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SHUIQUAN_SQLITE_PATH", "DJANGO_SETTINGS_MODULE")}
    env.update(SHUIQUAN_BENCH_DIR=str(SMOKE_DIR), SHUIQUAN_VAR_DIR=str(SMOKE_DIR), BENCH_DATABASE_URL=SMOKE_PG)
    if name == "bench_metering_use":
        ok, why = _common.pg_reachable(SMOKE_PG)
        if not ok:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is not reachable: {why}")
            pytest.skip(f"PostgreSQL not reachable: {why}")
    proc = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), *CASES[name]], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert results and all({"name", "value", "unit"} <= set(r) for r in results), proc.stdout[-2000:]


@pytest.mark.django_db
def test_the_static_reference_view_is_routed_only_for_the_benchmark(client):
    """``/bench/static/`` exists only in a server started with SHUIQUAN_BENCH=1 (bench_pages checks it answers there)."""
    assert os.environ.get("SHUIQUAN_BENCH") != "1"
    assert client.get("/bench/static/").status_code == 404

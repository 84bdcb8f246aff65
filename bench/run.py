#!/usr/bin/env python
"""Run the benchmarks: every ``bench/bench_*.py`` in turn, each in its own process.

    make bench                          # all of them
    .venv/bin/python bench/run.py ingest    # only those whose name contains "ingest"
    .venv/bin/python bench/run.py --quick   # smaller sizes (or BENCH_SIZE=quick make bench)

Each benchmark prints its own lines and, for the summary, lines ``RESULT {json}`` with at least
``name``, ``value``, ``unit`` and, where it compares with a reference, ``reference`` and ``ratio``.
PostgreSQL parts use ``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/sq_bench)
and are skipped with a message when it is unreachable. To add a benchmark, drop a
``bench/bench_<name>.py`` that follows this convention.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main(argv: list[str]) -> int:
    flags = [a for a in argv if a.startswith("-")]
    if os.environ.get("BENCH_SIZE", "").lower() == "quick" and "--quick" not in flags:
        flags.append("--quick")  # BENCH_SIZE=quick make bench
    names = [a for a in argv if not a.startswith("-")]
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not names or any(n in p.stem for n in names))
    if not scripts:
        print("no benchmark matches", names)
        return 1
    results, failed = [], []
    for script in scripts:
        print(f"\n===== {script.stem} =====", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, str(script), *flags], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("RESULT "):
                results.append({"bench": script.stem, **json.loads(line[7:])})
            else:
                sys.stdout.write(line)
        code = proc.wait()
        print(f"({script.stem}: {time.monotonic() - started:.0f} s, exit {code})")
        if code != 0:
            failed.append(script.stem)
    print("\n===== summary =====")
    for r in results:
        ref = f"   reference: {r['reference']}" if r.get("reference") else ""
        ratio = f"   ratio {r['ratio']:.3f}" if isinstance(r.get("ratio"), (int, float)) else ""
        print(f"{r['bench']:<24} {r['name']:<44} {r['value']:>12,.1f} {r['unit']:<12}{ratio}{ref}")
    if failed:
        print("FAILED:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

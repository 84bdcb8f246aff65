#!/usr/bin/env python
"""Run the whole suite the way CI does: SQLite, then PostgreSQL, then the browser tests.

- PostgreSQL: ``TEST_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/shuiquan``);
  skipped with a message when unreachable, a failure when ``REQUIRE_POSTGRES=1``.
- Browser: needs ``/usr/bin/chromium`` (or ``CHROMIUM``); skipped when absent, a failure when
  ``REQUIRE_BROWSER=1``.
Extra arguments are passed to every pytest run (e.g. ``-k ledger``). Ends with one line per stage
(pytest's own summary line) and exits non-zero if any stage failed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SUMMARY = re.compile(r"^=+ (.*(passed|failed|error|skipped|no tests ran).*) =+$")


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuiquan")


def postgres_reachable(url: str) -> bool:
    try:
        import psycopg

        dsn = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(dsn.replace("postgres://", "postgresql://", 1), connect_timeout=3):
            return True
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        print(f"PostgreSQL not reachable at {url}: {exc}")
        return False


def chromium() -> str | None:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return path if Path(path).exists() else shutil.which("chromium")


def run(stage: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    print(f"\n===== {stage} =====", flush=True)
    proc = subprocess.Popen([PY, "-m", "pytest", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    summary = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        m = SUMMARY.match(line.strip())
        if m:
            summary = m.group(1)
    code = proc.wait()
    # pytest exit code 5 = no tests collected: not a failure of the stage itself.
    return (0 if code == 5 else code), summary or f"exit code {code}"


def main() -> int:
    extra = sys.argv[1:]
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    base_env.pop("DATABASE_URL", None)
    results: list[tuple[str, int, str]] = []

    code, summary = run("SQLite", ["-m", "not browser", *extra], base_env)
    results.append(("SQLite", code, summary))

    url = postgres_url()
    if postgres_reachable(url):
        code, summary = run("PostgreSQL", ["-m", "not browser", *extra], {**base_env, "DATABASE_URL": url})
        results.append(("PostgreSQL", code, summary))
    elif os.environ.get("REQUIRE_POSTGRES") == "1":
        results.append(("PostgreSQL", 1, "REQUIRED (REQUIRE_POSTGRES=1) but not reachable"))
    else:
        results.append(("PostgreSQL", 0, "skipped: not reachable"))

    browser = chromium()
    if browser:
        code, summary = run("Browser", ["-m", "browser", *extra], {**base_env, "CHROMIUM": browser})
        results.append(("Browser", code, summary))
    elif os.environ.get("REQUIRE_BROWSER") == "1":
        results.append(("Browser", 1, "REQUIRED (REQUIRE_BROWSER=1) but /usr/bin/chromium is missing"))
    else:
        results.append(("Browser", 0, "skipped: no /usr/bin/chromium"))

    print("\n===== summary =====")
    for stage, code, summary in results:
        print(f"{stage:<11} {'ok  ' if code == 0 else 'FAIL'} {summary}")
    failed = [s for s, c, _ in results if c != 0]
    print(f"== {'FAILED: ' + ', '.join(failed) if failed else 'all stages passed'} ==")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Run the whole suite the way CI does: SQLite, then PostgreSQL, then the browser tests.

- PostgreSQL: ``TEST_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/shuiquan``);
  skipped with a message when unreachable, a failure when ``REQUIRE_POSTGRES=1``.
- Browser: needs ``/usr/bin/chromium`` (or ``CHROMIUM``); skipped when absent, a failure when
  ``REQUIRE_BROWSER=1``.
The SQLite and PostgreSQL stages run at the same time (two processes, two databases; the
PostgreSQL stage's output is printed when it ends); ``TEST_SERIAL=1`` runs them one after the other.
Extra arguments are passed to every pytest run (e.g. ``-k ledger``). Ends with one line per stage
(pytest's own summary line) and exits non-zero if any stage failed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
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


def _summary(line: str, current: str) -> str:
    m = SUMMARY.match(line.strip())
    return m.group(1) if m else current


def run(stage: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """One stage, its output streamed as it comes."""
    print(f"\n===== {stage} =====", flush=True)
    proc = subprocess.Popen([PY, "-m", "pytest", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    summary = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        summary = _summary(line, summary)
    code = proc.wait()
    # pytest exit code 5 = no tests collected: not a failure of the stage itself.
    return (0 if code == 5 else code), summary or f"exit code {code}"


class Background:
    """One stage running while another streams; its output is printed when it is collected."""

    def __init__(self, stage: str, args: list[str], env: dict[str, str]):
        self.stage = stage
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self.proc = subprocess.Popen([PY, "-m", "pytest", *args], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, text=True)
        print(f"({stage} stage running in parallel; its output is printed when it ends)", flush=True)

    def collect(self) -> tuple[int, str]:
        code = self.proc.wait()
        print(f"\n===== {self.stage} =====", flush=True)
        self.log.seek(0)
        summary = ""
        for line in self.log:
            sys.stdout.write(line)
            summary = _summary(line, summary)
        self.log.close()
        return (0 if code == 5 else code), summary or f"exit code {code}"


def main() -> int:
    extra = sys.argv[1:]
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    base_env.pop("DATABASE_URL", None)
    results: list[tuple[str, int, str]] = []

    url = postgres_url()
    pg_ok = postgres_reachable(url)
    pg_args, pg_env = ["-m", "not browser", *extra], {**base_env, "DATABASE_URL": url}
    parallel = pg_ok and os.environ.get("TEST_SERIAL") != "1"
    pg_stage = Background("PostgreSQL", pg_args, pg_env) if parallel else None

    code, summary = run("SQLite", ["-m", "not browser", *extra], base_env)
    results.append(("SQLite", code, summary))

    if pg_stage is not None:
        code, summary = pg_stage.collect()
        results.append(("PostgreSQL", code, summary))
    elif pg_ok:
        code, summary = run("PostgreSQL", pg_args, pg_env)
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

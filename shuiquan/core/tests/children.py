"""Real child processes on the test database, for the crash-safety tests (docs/reliability-crash.md).

``child_env()`` gives the environment a subprocess needs to use the *same* database as the test:
on PostgreSQL the test database (``DATABASE_URL`` built from the test connection); on SQLite a
file test database (``SHUIQUAN_SQLITE_PATH``; settings make the SQLite test database a file). An
in-memory database, invisible to other processes, skips the test with that reason.

``Child`` runs a command in its own process group with stdout and stderr in a file, waits for a
line in that output with a deadline, and kills exactly the processes it started.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

def child_env(**extra: str) -> dict[str, str]:
    from django.db import connection

    s = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("SHUIQUAN_FAULT", "DATABASE_URL", "SHUIQUAN_SQLITE_PATH")}
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or "5432"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}:{port}/{s['NAME']}"
    elif connection.vendor == "sqlite" and not connection.is_in_memory_db():
        env["SHUIQUAN_SQLITE_PATH"] = str(s["NAME"])
    else:
        pytest.skip("the SQLite test database is in memory, invisible to a second process: the crash-safety tests "
                    "run on the PostgreSQL stage of `make test` (required in CI)")
    env.update(PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="shuiquan.settings", SHUIQUAN_LOG_LEVEL="INFO", **extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Child:
    """One subprocess (its own process group), output in ``log_path``."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=settings.BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    @classmethod
    def manage(cls, *args: str, env: dict[str, str], log_path: Path) -> Child:
        return cls([sys.executable, str(settings.BASE_DIR / "manage.py"), *args], env, log_path)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: re.Pattern | str, timeout: float, *, after: int = 0) -> re.Match:
        """The first match of ``pattern`` in the output past character ``after``; fails at the deadline
        or if the process exits first."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.output(), after)
            if m:
                return m
            assert self.alive(), f"the child exited ({self.proc.returncode}) before {rx.pattern!r}:\n{self.output()[-3000:]}"
            assert time.monotonic() < end, f"no {rx.pattern!r} within {timeout} s:\n{self.output()[-3000:]}"
            time.sleep(0.05)

    def wait_fault(self, point: str, timeout: float = 60) -> int:
        """Wait until the child reports it sleeps at fault point ``point``; return the sleeping pid."""
        m = self.wait_for(re.compile(rf"SHUIQUAN_FAULT reached {re.escape(point)} pid=(\d+)"), timeout)
        return int(m.group(1))

    def kill9(self, pid: int | None = None) -> None:
        """``kill -9`` the child (or one of its processes, e.g. a gunicorn worker, by pid)."""
        os.kill(pid or self.proc.pid, signal.SIGKILL)

    def wait_exit(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait (a clean stop)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def close(self) -> None:
        """Kill whatever is left of this child's process group (teardown)."""
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        self._log.close()


def poll(fn, timeout: float, message: str, interval: float = 0.1):
    """Call ``fn`` until it returns something truthy; fail with ``message`` at the deadline."""
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < end, message() if callable(message) else message
        time.sleep(interval)

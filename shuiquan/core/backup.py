"""Backup and restore, one command each, for both databases.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot while
  the platform runs; restore copies the file into place (into an empty/new database file).
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` (restore targets an empty database;
  ``--clean`` is refused unless asked, so a restore never silently overwrites live data).

After a restore, ``verify_audit`` and ``verify_ledger`` check that the audit chain and the book are
intact (``manage.py restore`` runs both and fails if either finds a problem).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection


def default_dir() -> Path:
    path = Path(settings.VAR_DIR) / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pg_env(db: dict) -> tuple[list[str], dict]:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432), "-U", str(db.get("USER") or "postgres")]
    return args, env


def backup(target: Path | None = None) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        target = Path(target or default_dir() / f"shuiquan-{stamp}.sqlite3")
        connection.ensure_connection()
        dest = sqlite3.connect(str(target))
        try:
            connection.connection.backup(dest)
        finally:
            dest.close()
        return target
    if connection.vendor == "postgresql":
        target = Path(target or default_dir() / f"shuiquan-{stamp}.pgdump")
        args, env = _pg_env(db)
        subprocess.run(["pg_dump", *args, "--format=custom", "--no-owner", "-f", str(target), db["NAME"]], check=True, env=env)
        return target
    raise RuntimeError(f"backup not supported for {connection.vendor}")


def restore(source: Path, *, database: str | None = None, sqlite_path: Path | None = None) -> str:
    """Restore ``source`` into an empty database (PostgreSQL: ``database``, created if missing;
    SQLite: ``sqlite_path``, which must not exist). Returns what was restored into."""
    source = Path(source)
    if source.suffix == ".sqlite3":
        dest = Path(sqlite_path or settings.DATABASES["default"]["NAME"])
        if dest.exists() and dest.stat().st_size > 0:
            raise FileExistsError(f"{dest} exists; restore into a new path (or move it away first)")
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(str(source))
        out = sqlite3.connect(str(dest))
        try:
            src.backup(out)
        finally:
            src.close()
            out.close()
        return str(dest)
    if source.suffix == ".pgdump":
        db = connection.settings_dict
        name = database or db["NAME"]
        args, env = _pg_env(db)
        exists = subprocess.run(
            ["psql", *args, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            check=True, env=env, capture_output=True, text=True,
        ).stdout.strip() == "1"
        if not exists:
            subprocess.run(["createdb", *args, name], check=True, env=env)
        else:
            tables = subprocess.run(
                ["psql", *args, "-d", name, "-tAc", "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"],
                check=True, env=env, capture_output=True, text=True,
            ).stdout.strip()
            if tables != "0":
                raise FileExistsError(f"database {name} is not empty; restore into an empty database")
        subprocess.run(["pg_restore", *args, "--no-owner", "--exit-on-error", "-d", name, str(source)], check=True, env=env)
        return name
    raise ValueError("unknown backup file type (expected .sqlite3 or .pgdump)")


def copy_to(source: Path, target: Path) -> None:
    shutil.copy2(source, target)

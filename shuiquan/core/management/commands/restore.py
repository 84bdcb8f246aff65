import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shuiquan.core.backup import restore


class Command(BaseCommand):
    help = (
        "Restore a backup into an EMPTY database (SQLite: --sqlite-path, default the configured file, must not exist; "
        "PostgreSQL: --database, default the configured one, must be empty), then verify the audit chain and the ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default=None, help="PostgreSQL database name to restore into")
        parser.add_argument("--sqlite-path", type=Path, default=None)
        parser.add_argument("--no-verify", action="store_true")

    def handle(self, *args, **opts):
        try:
            target = restore(opts["file"], database=opts["database"], sqlite_path=opts["sqlite_path"])
        except (FileExistsError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已恢复 Restored into: {target}")
        if opts["no_verify"]:
            return
        env = {**os.environ}
        if opts["file"].suffix == ".sqlite3":
            env.pop("DATABASE_URL", None)
            env["SHUIQUAN_SQLITE_PATH"] = str(target)
        else:
            db = settings.DATABASES["default"]
            env["DATABASE_URL"] = f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{target}"
        for command in ("verify_audit", "verify_ledger"):
            proc = subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), command], env=env,
                                  capture_output=True, text=True)
            self.stdout.write(proc.stdout.strip())
            if proc.returncode != 0:
                raise CommandError(f"{command} failed after restore: {proc.stderr.strip() or proc.stdout.strip()}")

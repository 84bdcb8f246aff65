from pathlib import Path

from django.core.management.base import BaseCommand

from shuiquan.core.backup import backup


class Command(BaseCommand):
    help = "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump -Fc) into var/backups/ or --output."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None)

    def handle(self, *args, **opts):
        path = backup(opts["output"])
        self.stdout.write(f"备份完成 Backup written: {path}")

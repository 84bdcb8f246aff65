"""Write an export batch for the national water-rights trading system to a file (or stdout).

    manage.py national_export --user city_admin [--all] [--out batch.json]
"""

import json

from django.core.management.base import BaseCommand, CommandError

from shuiquan.core.errors import DomainError
from shuiquan.core.models import User
from shuiquan.supervision import national


class Command(BaseCommand):
    help = "Export rights, certificates and trades in the national JSON format (validated against its schema)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="the city bureau account recorded as exporter")
        parser.add_argument("--all", action="store_true", help="include records already accepted and unchanged")
        parser.add_argument("--out", help="file to write (default: stdout)")

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"no such user: {opts['user']}")
        try:
            row = national.export(actor=user, only_changes=not opts["all"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        text = json.dumps(row.payload, ensure_ascii=False, indent=1)
        if opts["out"]:
            with open(opts["out"], "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stderr.write(f"{row.batch_id}: {row.counts} → {opts['out']}")
        else:
            self.stdout.write(text)

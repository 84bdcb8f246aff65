"""Import the national system's acknowledgement of an export batch (idempotent by ack_id).

    manage.py national_import_ack ack.json --user city_admin
"""

import json

from django.core.management.base import BaseCommand, CommandError

from shuiquan.core.errors import DomainError
from shuiquan.core.models import User
from shuiquan.supervision import national


class Command(BaseCommand):
    help = "Import an acknowledgement file from the national water-rights trading system."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True)

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"no such user: {opts['user']}")
        try:
            with open(opts["file"], encoding="utf-8") as fh:
                document = json.load(fh)
            ack, created = national.import_acknowledgement(document, actor=user)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc}") from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{ack.ack_id}: accepted {ack.accepted}, rejected {ack.rejected}" + ("" if created else " (already imported)"))

"""Mark permits whose validity has ended (and that were not renewed) as expired — a nightly job.

Each one is written to the audit chain by ``services.expire_lapsed_permits`` (actor: system)."""

import datetime as dt

from django.core.management.base import BaseCommand

from shuiquan.registry import services


class Command(BaseCommand):
    help = "Cancel (注销) permits whose validity ended before today and that were not renewed. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today, Asia/Shanghai)")

    def handle(self, *args, **opts):
        done = services.expire_lapsed_permits(actor=None, today=opts["today"])
        for permit in done:
            self.stdout.write(f"{permit.number} {permit.holder} 有效期止 {permit.valid_to} → expired")
        self.stdout.write(f"已注销 {len(done)} 张到期未延续的取水许可证 / {len(done)} lapsed permit(s) marked expired")

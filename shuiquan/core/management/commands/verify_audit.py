from django.core.management.base import BaseCommand, CommandError

from shuiquan.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit chain; report the first broken link. Exits non-zero if broken."

    def handle(self, *args, **opts):
        report = verify_chain()
        if report.ok:
            self.stdout.write(f"审计链完整 Audit chain intact: {report.checked} events verified.")
            return
        raise CommandError(
            f"审计链断开 Audit chain broken at event #{report.first_broken_id} "
            f"(after {report.checked} intact events): {report.reason}"
        )

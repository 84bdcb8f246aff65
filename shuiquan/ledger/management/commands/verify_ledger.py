from django.core.management.base import BaseCommand, CommandError

from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import JournalEntry, RightBalance


class Command(BaseCommand):
    help = "Recompute the whole book and report every invariant violation. Exits non-zero if any."

    def handle(self, *args, **opts):
        problems = verify_ledger()
        if problems:
            for p in problems[:100]:
                self.stderr.write(str(p))
            raise CommandError(f"账目校验失败 Ledger verification failed: {len(problems)} problem(s)")
        self.stdout.write(
            f"账目平衡 Ledger verified: {JournalEntry.objects.count()} entries, {RightBalance.objects.count()} balances, no problems."
        )

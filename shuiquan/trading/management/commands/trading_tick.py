"""The trading scheduler's job (run every minute by cron or a task queue; safe in several workers,
every step locks its rows and is idempotent): close notice periods and auctions that have ended,
run order-book draws and close ended sessions, and expire trades whose term has ended (T8)."""

from django.core.management.base import BaseCommand

from shuiquan.trading import orderbook, services


class Command(BaseCommand):
    help = "Close due listings and auctions, run order-book draws and closes, expire ended trades."

    def handle(self, *args, **opts):
        closed = services.close_due()
        book = orderbook.tick()
        expired = services.expire_due()
        self.stdout.write(f"notices closed: {len(closed['notices'])}; auctions closed: {len(closed['auctions'])}; "
                          f"draws: {len(book['drawn'])}; sessions closed: {len(book['closed'])}; trades expired: {len(expired)}")

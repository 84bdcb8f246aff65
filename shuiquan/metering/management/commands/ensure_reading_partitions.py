"""Create the monthly partitions of metering_reading ahead of time (PostgreSQL; no-op on SQLite).

Run it daily (cron or the platform's scheduler); ``migrate`` also runs it. Readings that arrived
before their month's partition existed sit in the DEFAULT partition and are moved into the new
partition when it is created.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from shuiquan.metering import partitions


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"not a month (YYYY-MM): {text}") from None


class Command(BaseCommand):
    help = "Create monthly partitions of metering_reading (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="first month, YYYY-MM (default: January of last year)")
        parser.add_argument("--to", dest="last", help="last month, YYYY-MM (default: 3 months ahead)")
        parser.add_argument("--list", action="store_true", help="list the partitions afterwards")

    def handle(self, *args, first=None, last=None, list=False, **options):
        if not partitions.is_partitioned():
            self.stdout.write("metering_reading is not partitioned on this database (SQLite): nothing to do.")
            return
        d_first, d_last = partitions.default_window()
        created = partitions.ensure_partitions(_month(first) if first else d_first, _month(last) if last else d_last)
        self.stdout.write(f"created {len(created)} partition(s): {', '.join(created) or '—'}")
        self.stdout.write(f"rows in the DEFAULT partition: {partitions.default_rows()}")
        if list:
            for info in partitions.describe(with_counts=True):
                self.stdout.write(f"{info.name:32} {info.bounds}  ~{info.rows} rows")

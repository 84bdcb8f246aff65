"""Recompute use from the raw readings, or verify that what is stored is what the readings give.

    manage.py recompute_use --year 2026            # recompute every device's 2026
    manage.py recompute_use --year 2026 --verify   # recompute in memory and list differences (exit 1 if any)
    manage.py recompute_use --device NY00001 --year 2026
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shuiquan.metering import services
from shuiquan.registry.models import MeteringDevice


class Command(BaseCommand):
    help = "Recompute (or verify) daily/monthly/annual use of devices from their readings."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="year(s); default this year")
        parser.add_argument("--device", action="append", help="device serial(s); default all")
        parser.add_argument("--verify", action="store_true", help="compare only; store nothing")

    def handle(self, *args, year=None, device=None, verify=False, **options):
        years = year or [timezone.localdate().year]
        devices = MeteringDevice.objects.all().order_by("serial")
        if device:
            devices = devices.filter(serial__in=device)
            missing = set(device) - set(devices.values_list("serial", flat=True))
            if missing:
                raise CommandError(f"unknown device(s): {', '.join(sorted(missing))}")
        if verify:
            diffs = services.verify_usage(devices, years)
            for d in diffs:
                self.stdout.write(f"{d['device']} {d['period']} {d['start']}: stored {d['stored']} recomputed {d['recomputed']}")
            self.stdout.write(f"checked {devices.count()} device(s) × {len(years)} year(s): {len(diffs)} difference(s)")
            if diffs:
                raise SystemExit(1)
            return
        started = dt.datetime.now()
        n = 0
        for y in years:
            n += services.recompute_bulk(dt.date(y, 1, 1), dt.date(y, 12, 31), devices)
        self.stdout.write(f"recomputed {n} device-year(s) in {(dt.datetime.now() - started).total_seconds():.1f} s")

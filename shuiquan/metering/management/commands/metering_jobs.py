"""The metering capability's periodic job: create reading partitions ahead (PostgreSQL), run
uploads that are queued or were abandoned by a crashed web process, recompute the use of device-years
that received readings, and evaluate alarms (use against rights and plans, silent devices, M1).

    manage.py metering_jobs --once          # one round (cron)
    manage.py metering_jobs --interval 300  # forever, every 5 minutes (systemd service)
"""

import time

from django.core.management.base import BaseCommand

from shuiquan.metering.jobs import run_pending


class Command(BaseCommand):
    help = "Run the metering jobs (uploads, use recomputation, alarms) once or in a loop."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=int, default=300, help="seconds between rounds (default 300)")
        parser.add_argument("--no-alarms", action="store_true", help="skip the alarm evaluation")

    def handle(self, *args, once=False, interval=300, no_alarms=False, **options):
        while True:
            result = run_pending(evaluate=not no_alarms)
            self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
            if once:
                return
            time.sleep(max(5, interval))

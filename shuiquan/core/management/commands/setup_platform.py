import logging

from django.core.management.base import BaseCommand

from shuiquan.core.loading import load_demo, load_reference


class Command(BaseCommand):
    help = "Load the Nanyang reference data and (with --demo) the labelled demo data. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="also load the demo data (演示数据)")
        parser.add_argument("--size", choices=["full", "small"], default="full")

    def handle(self, *args, **opts):
        counts = load_reference()
        self.stdout.write("南阳市基础数据 Nanyang reference data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        if opts["demo"]:
            # The demo replays hundreds of trade and metering events; their per-event INFO lines
            # (useful when serving) would bury the summary below. Warnings still show.
            events = logging.getLogger("shuiquan.trading")
            level = events.level
            events.setLevel(max(level, logging.WARNING))
            try:
                done = load_demo(opts["size"])
            finally:
                events.setLevel(level)
            if not done:
                self.stdout.write("演示数据已加载，未作改动 Demo data already loaded; nothing changed.")
            for app, c in done.items():
                self.stdout.write(f"演示数据 demo.{app}: " + ", ".join(f"{k}={v}" for k, v in c.items()))

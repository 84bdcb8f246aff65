from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shuiquan.core.access import render_markdown


class Command(BaseCommand):
    help = "Write docs/access-control.md from the access-control matrix (shuiquan/core/access.py)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only check that the committed file is current")

    def handle(self, *args, **opts):
        path = settings.BASE_DIR / "docs" / "access-control.md"
        text = render_markdown()
        if opts["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is out of date: run manage.py access_matrix")
            self.stdout.write(f"{path} is current")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")

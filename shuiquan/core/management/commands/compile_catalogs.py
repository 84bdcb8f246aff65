"""Compile the translation catalogues (``locale/`` and each app's ``shuiquan/<app>/locale/``, ``.po`` →
``.mo``) with polib, so
no GNU gettext is needed on the machine. The ``.mo`` files are build output and are not in git."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile .po translation catalogues to .mo (pure Python, via polib)."

    def handle(self, *args, **opts):
        n = 0
        dirs = [Path(d) for d in settings.LOCALE_PATHS] + sorted((settings.BASE_DIR / "shuiquan").glob("*/locale"))
        for locale_dir in dirs:
            for po_path in locale_dir.glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                n += 1
        self.stdout.write(f"compiled {n} catalogue(s)")

"""Run a sibling ``.sql`` file from a migration on PostgreSQL only (SQLite gets the service-layer
checks and the portable CHECK constraints)."""

from pathlib import Path

from django.db import migrations


def run_sql_file(app_dir: Path, forward: str, reverse: str) -> migrations.RunPython:
    def _run(name):
        def inner(apps, schema_editor):
            if schema_editor.connection.vendor != "postgresql":
                return
            with schema_editor.connection.cursor() as cursor:
                # No parameters: the SQL's own % signs (RAISE formats) are passed through as-is.
                cursor.execute((app_dir / "sql" / name).read_text(encoding="utf-8"))

        return inner

    return migrations.RunPython(_run(forward), _run(reverse))

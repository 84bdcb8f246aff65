from pathlib import Path

from django.db import migrations

from shuiquan.core.migrations_sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        run_sql_file(Path(__file__).resolve().parent.parent, "audit_append_only_pg.sql", "audit_append_only_pg_reverse.sql"),
    ]

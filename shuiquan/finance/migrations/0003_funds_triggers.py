from pathlib import Path

from django.db import migrations

from shuiquan.core.migrations_sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_funds_ledger")]

    operations = [
        run_sql_file(Path(__file__).resolve().parent.parent, "funds_triggers_pg.sql", "funds_triggers_pg_reverse.sql"),
    ]

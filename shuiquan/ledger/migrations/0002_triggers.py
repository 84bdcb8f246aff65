from pathlib import Path

from django.db import migrations

from shuiquan.core.migrations_sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        run_sql_file(Path(__file__).resolve().parent.parent, "ledger_triggers_pg.sql", "ledger_triggers_pg_reverse.sql"),
    ]

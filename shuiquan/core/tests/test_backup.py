"""Backup and restore: a backup restored into an empty database verifies (audit chain and ledger)."""

import os
import subprocess
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from shuiquan.core.backup import backup, restore


@pytest.fixture
def some_history(seeded_transactional_db, city_admin):
    """Committed ledger entries and audit events to back up."""
    import datetime as dt

    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.choices import EntryKind, RightKind

    src = ledger.open_right(actor=city_admin, kind=RightKind.ISSUANCE, name="备份测试来源", holder_name="测试",
                            valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    dst = ledger.open_right(actor=city_admin, kind=RightKind.RESERVE, name="备份测试", holder_name="测试收储",
                            valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    ledger.transfer(actor=city_admin, kind=EntryKind.ISSUANCE, memo="备份测试", source=src, target=dst, years=[2026], amount=12345)


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_an_empty_database_and_verifies(some_history, tmp_path):
    path = backup(tmp_path / ("b.sqlite3" if connection.vendor == "sqlite" else "b.pgdump"))
    assert path.exists() and path.stat().st_size > 0
    env = {**os.environ}
    if connection.vendor == "sqlite":
        target = restore(path, sqlite_path=tmp_path / "restored.sqlite3")
        env.pop("DATABASE_URL", None)
        env["SHUIQUAN_SQLITE_PATH"] = target
        cleanup = None
    else:
        name = f"sq_restore_{uuid.uuid4().hex[:8]}"
        target = restore(path, database=name)
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{target}"
        cleanup = name
    try:
        for command in ("verify_audit", "verify_ledger"):
            proc = subprocess.run([".venv/bin/python" if os.path.exists(".venv/bin/python") else "python", "manage.py", command],
                                  env=env, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr + proc.stdout
        proc = subprocess.run(
            [".venv/bin/python" if os.path.exists(".venv/bin/python") else "python", "manage.py", "shell", "-c",
             "from shuiquan.ledger.models import WaterRight; from shuiquan.ledger.services import balance;"
             "print(balance(WaterRight.objects.get(name='备份测试'), 2026))"],
            env=env, capture_output=True, text=True,
        )
        assert proc.stdout.strip().endswith("12345"), proc.stderr
    finally:
        if cleanup:
            subprocess.run(["dropdb", "-h", connection.settings_dict["HOST"], "-U", connection.settings_dict["USER"], cleanup], check=False)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_non_empty_target(some_history, tmp_path):
    path = backup(tmp_path / ("b.sqlite3" if connection.vendor == "sqlite" else "b.pgdump"))
    if connection.vendor == "sqlite":
        occupied = tmp_path / "occupied.sqlite3"
        occupied.write_bytes(b"not empty")
        with pytest.raises(FileExistsError):
            restore(path, sqlite_path=occupied)
    else:
        with pytest.raises(FileExistsError):
            restore(path, database=connection.settings_dict["NAME"])


def test_verify_commands_pass_on_the_seeded_database(db):
    call_command("verify_audit")
    call_command("verify_ledger")

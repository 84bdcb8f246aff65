"""Shared test fixtures.

The test database is created once per run, migrated, and loaded with the Nanyang reference data
and the *small* demo set (``core.loading``). Ordinary ``db`` tests run inside a transaction that is
rolled back, so they all see that data unchanged. Tests that need real commits (concurrency, the
live server for browser tests) use ``seeded_transactional_db``, which reloads the data after
pytest-django has flushed the database.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings


def pytest_configure(config):
    # Fast password hashing in tests only (production uses Django's default PBKDF2).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _load():
    from shuiquan.core.loading import load_demo, load_reference

    load_reference()
    load_demo("small")


class _Snapshot:
    """A copy of the loaded test database, so tests with real commits (which pytest-django empties
    afterwards) get the seeded data back in about a second instead of reloading it all.

    SQLite (in-memory test database): the online backup API into a second in-memory database and
    back. PostgreSQL: a copy of every table in a ``sq_snapshot`` schema (which ``flush`` does not
    touch), restored with foreign-key triggers suspended for the copy, then sequences reset.
    """

    schema = "sq_snapshot"

    def __init__(self):
        self.sqlite = None
        self.tables: list[str] = []

    def take(self):
        from django.db import connection

        if connection.vendor == "sqlite":
            import sqlite3

            connection.ensure_connection()
            self.sqlite = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(self.sqlite)
            return
        self.tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE; CREATE SCHEMA {self.schema}")
            for table in self.tables:
                cursor.execute(f'CREATE TABLE {self.schema}."{table}" AS TABLE public."{table}"')

    def restore(self):
        from django.apps import apps
        from django.core.management.color import no_style
        from django.db import connection, transaction

        if connection.vendor == "sqlite":
            self.sqlite.backup(connection.connection)
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("TRUNCATE " + ", ".join(f'public."{t}"' for t in self.tables) + " CASCADE")
            for table in self.tables:
                cursor.execute(f'INSERT INTO public."{table}" SELECT * FROM {self.schema}."{table}"')
            cursor.execute("SET LOCAL session_replication_role = origin")
            for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
                cursor.execute(sql)


_snapshot = _Snapshot()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _load()
        _snapshot.take()


@pytest.fixture
def seeded_transactional_db(transactional_db):
    """A database whose commits are real (for threads, processes and the live server), holding
    the reference and small demo data (restored from the session's snapshot after a flush)."""
    from shuiquan.core.models import DataLoad

    if not DataLoad.objects.filter(name="demo.core").exists():
        _snapshot.restore()
    yield


@pytest.fixture
def users(db):
    """Demo accounts by username (see ``core.demo``)."""
    from shuiquan.core.models import User

    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def city_admin(users):
    return users["city_admin"]


@pytest.fixture
def neixiang_officer(users):
    return users["neixiang_officer"]


@pytest.fixture
def tanghe_officer(users):
    return users["tanghe_officer"]


@pytest.fixture
def api():
    """``api(user)`` → a DRF test client authenticated as ``user`` (or anonymous with None)."""
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def page():
    """``page(user)`` → a Django test client logged in as ``user`` (or anonymous with None)."""
    from django.test import Client

    def make(user=None):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL (DATABASE_URL=postgres://…)"
)


# --- Browser tests (Playwright for Python driving Debian's /usr/bin/chromium) ------------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
SCREENSHOT_DIR = settings.BASE_DIR / "docs" / "guide" / "img"


@pytest.fixture(scope="session")
def chromium_browser():
    from pathlib import Path

    exe = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(exe).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {exe} does not exist")
        pytest.skip(f"no Chromium at {exe}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium_browser, seeded_transactional_db, live_server):
    """A fresh page (own cookies) on the live server; ``browser.goto_path("/x/")`` navigates."""
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20000)
    pg.base = live_server.url
    pg.goto_path = lambda path: pg.goto(live_server.url + path)
    yield pg
    context.close()


def login(pg, username: str, password: str | None = None) -> None:
    """Log in through the real login form."""
    from shuiquan.core.demo import DEMO_PASSWORD

    pg.goto(pg.base + "/accounts/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password or DEMO_PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url("**/workbench/**")


def screenshot(pg, name: str) -> None:
    """Save a screenshot for the user guide (docs/guide/img/<name>.png)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=False)

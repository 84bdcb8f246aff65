"""Security settings: deploy check, CSRF, login throttling, hashing, secrets, headers, uploads."""

import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from shuiquan.core.errors import ValidationFailed
from shuiquan.core.models import LoginFailure
from shuiquan.core.uploads import check_upload

PROD_ENV = {
    "SHUIQUAN_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-prod-secret-for-the-check-" + "y" * 30,
    "ALLOWED_HOSTS": "water.nanyang.example",
    "CSRF_TRUSTED_ORIGINS": "https://water.nanyang.example",
}


def _manage(*args, env=None):
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set only by the test harness
    return subprocess.run([sys.executable, "manage.py", *args], env={**base, **(env or {})}, capture_output=True, text=True)


def test_check_deploy_is_clean_with_production_settings():
    proc = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}
    proc = subprocess.run([sys.executable, "manage.py", "check"], env={**{k: v for k, v in os.environ.items() if k != "SECRET_KEY"}, **env},
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "SECRET_KEY must be set" in proc.stderr


def test_passwords_use_djangos_default_hasher():
    import shuiquan.settings as project_settings

    # The project does not override PASSWORD_HASHERS: Django's default (PBKDF2-SHA256) applies.
    assert not hasattr(project_settings, "PASSWORD_HASHERS")
    from django.conf import global_settings

    assert global_settings.PASSWORD_HASHERS[0].endswith("PBKDF2PasswordHasher")


@pytest.mark.django_db
def test_csrf_is_enforced_on_forms(city_admin):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "city_admin", "password": "x"})
    assert response.status_code == 403
    client.force_login(city_admin)
    assert client.post("/settings/parameters/", {"key": "x", "value": "1"}).status_code == 403


@pytest.mark.django_db
def test_every_template_form_that_posts_carries_a_csrf_token():
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR, "shuiquan").rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        lowered = text.lower()
        start = 0
        while (i := lowered.find('method="post"', start)) != -1:
            form_end = lowered.find("</form>", i)
            if "csrf_token" not in text[i:form_end if form_end != -1 else None]:
                offenders.append(str(path.relative_to(settings.BASE_DIR)))
            start = i + 1
    assert offenders == []


@pytest.mark.django_db
@override_settings(SHUIQUAN_LOGIN_MAX_FAILURES=3)
def test_login_is_throttled_after_repeated_failures(users):
    client = Client()
    for _ in range(3):
        r = client.post("/accounts/login/", {"username": "city_admin", "password": "wrong-password"})
        assert r.status_code == 400
    # Even the right password is refused while locked out.
    from shuiquan.core.demo import DEMO_PASSWORD

    r = client.post("/accounts/login/", {"username": "city_admin", "password": DEMO_PASSWORD})
    assert r.status_code == 400
    assert "登录失败次数过多" in r.content.decode()
    assert LoginFailure.objects.filter(username="city_admin").count() == 3


@pytest.mark.django_db
def test_security_headers_are_sent(page):
    response = page(None).get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "X-Request-ID" in response


def test_uploads_are_size_limited_and_type_checked():
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n...", content_type="application/pdf")
    assert check_upload(pdf, kinds=("pdf",)) == "pdf"
    fake = SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationFailed) as exc:
        check_upload(fake, kinds=("pdf",))
    assert exc.value.code == "bad_file_type"
    exe = SimpleUploadedFile("a.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    with pytest.raises(ValidationFailed):
        check_upload(exe)
    big = SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 2000, content_type="application/pdf")
    with pytest.raises(ValidationFailed) as exc:
        check_upload(big, kinds=("pdf",), max_bytes=1000)
    assert exc.value.code == "file_too_large"


def test_openapi_schema_is_generated_once_per_language(client):
    """The schema is public and only changes with the code: generated once, then served from memory."""
    from unittest import mock

    from drf_spectacular.generators import SchemaGenerator

    from shuiquan.core.api import schema as schema_module

    schema_module._cache.clear()
    with mock.patch.object(SchemaGenerator, "get_schema", autospec=True, side_effect=SchemaGenerator.get_schema) as spy:
        first = client.get("/api/openapi.json").json()
        second = client.get("/api/openapi.json").json()
    assert first == second and first["openapi"].startswith("3.")
    assert spy.call_count == 1

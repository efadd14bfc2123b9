"""The real services CI runs against. Locally, without them, these skip; under CI=true a
missing or unreachable service fails (tests.conftest.require_service)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest
from django.conf import settings
from django.db import connection

from settlements.models import Township
from tests.conftest import require_service

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://")


def database_url() -> str:
    # What the settings were built from; the test database is derived from it.
    return os.environ.get("DATABASE_URL", "")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_test_database_is_postgresql_when_configured():
    require_service(
        "PostgreSQL",
        database_url().startswith(POSTGRES_SCHEMES),
        "DATABASE_URL does not point at PostgreSQL",
    )
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 150000  # type: ignore[attr-defined]  # set by the PostgreSQL backend only
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_database(), pg_encoding_to_char(encoding) FROM pg_database"
            " WHERE datname = current_database()"
        )
        name, encoding = cursor.fetchone()
    assert name.startswith("test_")  # pytest-django's own database, not the real one
    assert encoding == "UTF8"
    # Chinese text round-trips through the real server.
    Township.objects.create(code="PG-1", name="锦屏镇")
    assert Township.objects.get(code="PG-1").name == "锦屏镇"


@pytest.mark.redis
def test_redis_answers_and_is_the_celery_broker_when_configured():
    require_service("Redis", bool(settings.REDIS_URL), "REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    assert client.ping() is True
    key = f"ci-check:{uuid.uuid4()}"
    try:
        client.set(key, "聚居点", ex=60)
        assert client.get(key) == "聚居点".encode()
    finally:
        client.delete(key)
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL


@pytest.mark.browser
def test_chromium_is_installed():
    require_service(
        "Chromium", shutil.which("/usr/bin/chromium") is not None, "/usr/bin/chromium is missing"
    )
    result = subprocess.run(
        ["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Chromium" in result.stdout


def test_chinese_pdf_stack_renders_and_reads_back(tmp_path):
    """WeasyPrint (Pango/HarfBuzz), a CJK font and pdftotext: what certificates need."""
    require_service("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None)
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    require_service(
        "a Chinese font (fonts-noto-cjk)", fonts.returncode == 0 and "Noto" in fonts.stdout
    )
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Python package is installed; its system libraries may not be
        require_service("WeasyPrint's system libraries", False, str(exc))

    pdf = tmp_path / "check.pdf"
    HTML(string="<html lang='zh'><body><p>五星聚居点 锦屏镇</p></body></html>").write_pdf(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    assert "五星聚居点" in text.stdout and "锦屏镇" in text.stdout

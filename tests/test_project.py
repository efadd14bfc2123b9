"""The project's set-up: production settings, local defaults, the compose file, the two
commands. Settings are read at import, so anything that depends on the environment runs
in a subprocess with exactly that environment."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from settlements.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
# Only what a process needs to run at all passes through: the test process's own
# environment carries settings and test-only switches (e.g. DJANGO_ALLOW_ASYNC_UNSAFE,
# set for the browser tests) that a production check must not see.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}
    env.update(
        ENV_FILE="/dev/null",  # a developer's .env must not leak into these checks
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="stars.example.gov.cn",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_as_json(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ production settings


def test_check_deploy_passes_with_production_settings():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_hardened():
    values = settings_as_json(
        production_env(),
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "ALLOWED_HOSTS",
    )
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "ALLOWED_HOSTS": ["stars.example.gov.cn"],
    }


@pytest.mark.parametrize(
    ("overrides", "mentions"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short-for-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-only-not-secret-" + "x" * 40}, "SECRET_KEY"),
        # Django's security.W009: long is not enough, it must not be repetitive or insecure.
        ({"SECRET_KEY": "a" * 50}, "SECRET_KEY"),
        ({"SECRET_KEY": "abcd" * 20}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(48)}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
    ],
    ids=[
        "no-secret-key",
        "short-secret-key",
        "dev-secret-key",
        "50-times-a",
        "four-distinct-characters",
        "django-insecure",
        "no-allowed-hosts",
        "empty-allowed-hosts",
    ],
)
def test_missing_or_bad_production_value_refuses_to_start(overrides, mentions):
    result = run_python("import config.settings", production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert mentions in result.stderr


def test_debug_runs_without_production_values():
    values = settings_as_json(
        production_env(DEBUG="true", SECRET_KEY=None, ALLOWED_HOSTS=None), "DEBUG", "ALLOWED_HOSTS"
    )
    assert values["DEBUG"] is True
    assert "127.0.0.1" in values["ALLOWED_HOSTS"]


def test_local_defaults_need_no_services():
    values = settings_as_json(
        production_env(DEBUG="true", DATABASE_URL=None, REDIS_URL=None),
        "DATABASES",
        "CELERY_BROKER_URL",
        "CELERY_BROKER_TRANSPORT_OPTIONS",
    )
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DATABASES"]["default"]["NAME"] == str(ROOT / "var" / "db.sqlite3")
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    broker_dirs = values["CELERY_BROKER_TRANSPORT_OPTIONS"].values()
    assert all(str(d).startswith(str(ROOT / "var" / "broker")) for d in broker_dirs)


def test_services_come_from_the_environment():
    values = settings_as_json(
        production_env(
            DATABASE_URL="postgres://stars:pw@db.internal:5432/stars",
            REDIS_URL="redis://cache:6379/0",
        ),
        "DATABASES",
        "CELERY_BROKER_URL",
    )
    db = values["DATABASES"]["default"]
    assert (db["ENGINE"], db["HOST"], db["PORT"], db["NAME"]) == (
        "django.db.backends.postgresql",
        "db.internal",
        5432,
        "stars",
    )
    assert values["CELERY_BROKER_URL"] == "redis://cache:6379/0"


def test_language_and_time():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert {"zh-hans", "en"} <= dict(settings.LANGUAGES).keys()
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.USE_I18N is True
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


# ------------------------------------------------------------------ production layout


def compose() -> dict:
    with (ROOT / "docker-compose.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def command_of(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_compose_file_has_web_worker_beat_db_and_redis():
    services = compose()["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= services.keys()

    web, worker, beat = services["web"], services["worker"], services["beat"]
    assert command_of(web).startswith("gunicorn config.wsgi")
    assert command_of(worker).startswith("celery -A config worker")
    assert command_of(beat).startswith("celery -A config beat")
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")

    for app in (web, worker, beat):
        env = app["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"} <= env.keys()
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        # Secrets come from the operator, never from the file.
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert {"db", "redis"} <= app["depends_on"].keys()
        assert "media:/data/media" in app["volumes"]
        assert "build" in app or "image" in app

    assert "db:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert {"db", "media"} <= compose()["volumes"].keys()


def test_compose_image_never_copies_secrets_or_local_state():
    dockerfile = compose()["services"]["web"]["build"]["dockerfile_inline"]
    copies = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    sources = {src for srcs in copies for src in srcs}
    assert sources and not sources & {".", ".env", ".venv", "var", ".git"}
    for src in sources:
        assert (ROOT / src).exists(), f"COPY {src}: not in the repository"


def test_compose_image_copies_every_package_and_the_catalogue():
    """An app left out of the image fails at its first import in production, never here."""
    import tomllib

    dockerfile = compose()["services"]["web"]["build"]["dockerfile_inline"]
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    with (ROOT / "pyproject.toml").open("rb") as fh:
        find = tomllib.load(fh)["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in find}
    local_apps = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    }
    assert local_apps <= packages, "an installed app pyproject.toml does not package"
    missing = (packages | {"templates", "static", "locale", "manage.py"}) - copied
    assert not missing, f"not copied into the image: {sorted(missing)}"
    assert list((ROOT / "locale").glob("*/LC_MESSAGES/django.mo")), "no compiled catalogue"


# ------------------------------------------------------------------ the two commands


def test_make_run_migrates_seeds_and_starts_web_worker_and_beat():
    result = subprocess.run(
        ["make", "-n", "run", "-o", ".venv/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    plan = result.stdout
    assert (
        plan.index("manage.py migrate")
        < plan.index("manage.py seed_demo")
        < plan.index("runserver")
    )
    assert "runserver 127.0.0.1:8000" in plan
    assert "celery -A config worker -B" in plan
    assert "DEBUG=true" in plan
    assert "trap" in plan and "kill -TERM -- -$web" in plan


def test_ci_script_is_valid_bash_and_stops_on_errors():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    assert "trap cleanup EXIT" in script and "make test" in script
    result = subprocess.run(
        ["bash", "-n", str(ROOT / ".ci" / "run")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_readme_gives_the_commands_and_the_demo_password():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for needed in (
        "make run",
        "make test",
        DEMO_PASSWORD,
        "official",
        "assessor",
        "secretary",
        "DATABASE_URL",
        "REDIS_URL",
        "docker-compose.yml",
        "python bench/run.py",
    ):
        assert needed in readme, needed


def test_the_served_application_freezes_what_it_loaded():
    """config.wsgi moves the loaded project out of the collector's way (gc.freeze)."""
    code = (
        "import gc, config.wsgi; "
        "assert callable(config.wsgi.application); "
        "print(gc.get_freeze_count())"
    )
    env = {**os.environ, "TESTING": "true", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 10_000

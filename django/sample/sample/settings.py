"""Settings of the sample origin, from environment variables.

DJAZZKIT_RELAY_SECRET   shared HMAC secret with the relay (unset: every relay call is refused)
DJAZZKIT_RELAY_URL      the relay's base URL for pokes, e.g. http://127.0.0.1:8787 (unset: no pokes)
DJAZZKIT_RELAY_SCHEMA_SALT  mixed into schema_version (simulates a schema change)
DJAZZKIT_SAMPLE_SALT_FILE   file whose content is the salt, re-read on every request (default
                        <db path>.salt; written by `manage.py set_schema_salt`)
DJAZZKIT_SAMPLE_DB      SQLite file (default db.sqlite3 next to manage.py)
DJAZZKIT_SAMPLE_DB_ENGINE  sqlite (default) or postgresql
DJAZZKIT_SAMPLE_PG_NAME    PostgreSQL database name (default djazzkit_sample); the server is the
                        local one over its Unix socket (PGHOST/PGPORT/PGUSER are honoured)
DJAZZKIT_SAMPLE_TEST_HOOKS=1  enables /sample/schema-salt and /sample/dump (tests only)
DJAZZKIT_SAMPLE_EXTRA_APPS  comma list of more apps to install (tests: a freshly made app)
DEBUG, ALLOWED_HOSTS (comma list; 127.0.0.1, localhost and [::1] are always allowed), SECRET_KEY
"""
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR.parent) not in sys.path:
    sys.path.insert(0, str(BASE_DIR.parent))


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


SECRET_KEY = os.environ.get("SECRET_KEY", "sample-insecure-key-do-not-use-in-production")
DEBUG = _bool("DEBUG", False)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"] + [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "djazzkit",
    "notes",
] + [a.strip() for a in os.environ.get("DJAZZKIT_SAMPLE_EXTRA_APPS", "").split(",") if a.strip()]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "notes.faults.FaultMiddleware",  # inert unless DJAZZKIT_SAMPLE_TEST_HOOKS=1
]

ROOT_URLCONF = "sample.urls"
WSGI_APPLICATION = "sample.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DB_PATH = os.environ.get("DJAZZKIT_SAMPLE_DB") or str(BASE_DIR / "db.sqlite3")
DB_ENGINE = os.environ.get("DJAZZKIT_SAMPLE_DB_ENGINE", "sqlite").strip().lower() or "sqlite"
if DB_ENGINE == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DB_PATH,
            "OPTIONS": {"timeout": 30},
        }
    }
elif DB_ENGINE in ("postgresql", "postgres"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("DJAZZKIT_SAMPLE_PG_NAME") or "djazzkit_sample",
            # empty HOST/USER: libpq's defaults (the local socket, the OS user, PG* variables)
            "HOST": os.environ.get("PGHOST", ""),
            "PORT": os.environ.get("PGPORT", ""),
            "USER": os.environ.get("PGUSER", ""),
        }
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJAZZKIT_SAMPLE_DB_ENGINE must be sqlite or postgresql, not %r" % DB_ENGINE)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"

# --- djazzkit relay -----------------------------------------------------------------------
DJAZZKIT_RELAY_SECRET = os.environ.get("DJAZZKIT_RELAY_SECRET", "")
DJAZZKIT_RELAY_URL = os.environ.get("DJAZZKIT_RELAY_URL", "")
SALT_FILE = os.environ.get("DJAZZKIT_SAMPLE_SALT_FILE") or (DB_PATH + ".salt")
_ENV_SALT = os.environ.get("DJAZZKIT_RELAY_SCHEMA_SALT", "")


def _schema_salt():
    """Env salt plus the salt file's content, re-read per request (tests bump it at runtime)."""
    try:
        with open(SALT_FILE, encoding="utf-8") as fh:
            file_salt = fh.read().strip()
    except OSError:
        file_salt = ""
    return "+".join(s for s in (_ENV_SALT, file_salt) if s)


DJAZZKIT_RELAY_SCHEMA_SALT = _schema_salt
if os.environ.get("DJAZZKIT_RELAY_POKE_RETRIES"):
    DJAZZKIT_RELAY_POKE_RETRIES = int(os.environ["DJAZZKIT_RELAY_POKE_RETRIES"])

DJAZZKIT_SAMPLE_TEST_HOOKS = _bool("DJAZZKIT_SAMPLE_TEST_HOOKS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"djazzkit": {"handlers": ["console"], "level": os.environ.get("DJAZZKIT_LOG_LEVEL", "WARNING")}},
}

TESTING = len(sys.argv) > 1 and sys.argv[1] == "test"
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
    LOGGING["loggers"]["djazzkit"]["level"] = "CRITICAL"

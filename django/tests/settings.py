"""Settings of djazzkit's own test suite (``runtests.py``): djazzkit plus a test app.

DJAZZKIT_TEST_DB_ENGINE  sqlite (default, in memory) or postgresql (the local server over its
                         socket; PGHOST/PGPORT/PGUSER honoured; database DJAZZKIT_TEST_PG_NAME)
"""
import os

from django.core.exceptions import ImproperlyConfigured
SECRET_KEY = "djazzkit-tests-insecure-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djazzkit",
    "tests.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DB_ENGINE = os.environ.get("DJAZZKIT_TEST_DB_ENGINE", "sqlite").strip().lower() or "sqlite"
if DB_ENGINE == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
elif DB_ENGINE in ("postgresql", "postgres"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("DJAZZKIT_TEST_PG_NAME") or "djazzkit_pkg_tests",
            "HOST": os.environ.get("PGHOST", ""),
            "PORT": os.environ.get("PGPORT", ""),
            "USER": os.environ.get("PGUSER", ""),
        }
    }
else:
    raise ImproperlyConfigured("DJAZZKIT_TEST_DB_ENGINE must be sqlite or postgresql, not %r" % DB_ENGINE)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"djazzkit": {"handlers": ["null"], "level": "CRITICAL", "propagate": False}},
}

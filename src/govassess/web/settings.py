"""The one settings module of the web platform, read from the environment.

Environment variables:
- ``GOVASSESS_ENV``: ``development`` (default) or ``production``.
- ``GOVASSESS_DATA_DIR``: where the SQLite database, evidence files and the dev secret live
  (default ``./var`` beside the working directory). Evidence is never under the web root.
- ``DATABASE_URL``: e.g. ``postgres://user:pass@host:5432/db``; default SQLite in the data dir.
- ``SECRET_KEY``, ``ALLOWED_HOSTS`` (comma separated), ``CSRF_TRUSTED_ORIGINS``: required in production.
- ``DB_CONN_MAX_AGE``: seconds a database connection is kept open (default 60).
- ``GOVASSESS_JOBS``: ``thread`` (default: long jobs in a thread of the web process) or ``worker``
  (jobs wait in django-tasks-db's table for `govassess web worker`; for several processes, see docs/web.md).
- ``SESSION_HOURS`` (default 8), ``EVIDENCE_MAX_MB`` (default 20), ``DOCUMENT_LOGO_MAX_MB`` (default 2),
  ``GOVASSESS_REPORT_READER_MAX_UNITS`` (default 1000: above it a 评估报告 is not published to the units).
- The login throttle (see accounts/throttle.py): ``LOGIN_MAX_FAILURES`` (5, per account),
  ``LOGIN_MAX_FAILURES_PER_IP`` (20 different accounts from one address), ``LOGIN_BACKOFF_SECONDS`` (30, the
  first wait, doubled each failure), ``LOGIN_LOCK_MINUTES`` (15, the longest wait), ``LOGIN_ACCOUNT_WINDOW_HOURS``
  (24), ``LOGIN_ADDRESS_WINDOW_MINUTES`` (60), ``LOGIN_SHARED_ADDRESSES`` (CIDR list without address limit).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("GOVASSESS_ENV", "development").strip().lower()
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("GOVASSESS_DATA_DIR") or Path.cwd() / "var").resolve()
EVIDENCE_DIR = DATA_DIR / "evidence"
# Evidence removed before a round's lock (by its uploader or in admin) is moved here, never unlinked.
EVIDENCE_RETAINED_DIR = DATA_DIR / "evidence-retained"
GOVASSESS_JOBS = os.environ.get("GOVASSESS_JOBS", "thread").strip().lower()


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"生产模式（GOVASSESS_ENV=production）必须设置环境变量 {name}")
    return value


def _networks(text: str) -> list:
    """CIDR networks or single addresses, comma or space separated."""
    nets = []
    for part in text.replace(",", " ").split():
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError as err:
            raise ImproperlyConfigured(
                f"环境变量 LOGIN_SHARED_ADDRESSES 中的「{part}」不是有效的地址或网段（应如 10.1.0.0/16 或 203.0.113.7）"
            ) from err
    return nets


def _dev_secret() -> str:
    # A dev key kept in the data dir so sessions survive restarts; never used in production.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


if PRODUCTION:
    SECRET_KEY = _required("SECRET_KEY")
    ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
    _required("DATABASE_URL")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_secret()
    ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "*").split(",") if h.strip()]
    DEBUG = os.environ.get("DEBUG", "0") == "1"

CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_otp",  # TOTP second factor (accounts/otp.py); its verified marker is enforced (accounts/middleware.py)
    "django_otp.plugins.otp_totp",
    "govassess.web.accounts",
    "govassess.web.organisation",
    "govassess.web.systems",
    "govassess.web.rounds",
    "govassess.web.audit",
    "govassess.web.api",
    "govassess.web.survey",
    "govassess.web.feeds",
    "govassess.web.weighting",
    "django_tasks",  # background jobs (jobs.py): the backport of Django 6's tasks API
    "django_tasks_db",  # its database backend, for GOVASSESS_JOBS=worker
    "govassess.web.ops",
    "govassess.web.documents",
    "govassess.web.rectification",
    "govassess.web.visits",
    "govassess.web.questionnaires",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() from the session's verified marker
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "govassess.web.audit.middleware.RequestContextMiddleware",
    "govassess.web.audit.middleware.SecurityHeadersMiddleware",
    # First-login / post-reset password change. Needs auth (request.user) and messages (its notice); last, so
    # its redirect still passes through the security-header middlewares above.
    # A session of an account with a 动态口令 device that was not verified with a code is logged out.
    "govassess.web.accounts.middleware.OtpVerifiedMiddleware",
    "govassess.web.accounts.middleware.ForcePasswordChangeMiddleware",
]

ROOT_URLCONF = "govassess.web.urls"
WSGI_APPLICATION = "govassess.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "govassess.web.accounts.context.role",
            ],
        },
    }
]

_sqlite_path = DATA_DIR / "govassess.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{_sqlite_path}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not :memory:, so background scoring threads and the live server share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-govassess.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (jobs.py): GOVASSESS_JOBS picks the backend per job; both are always configured.
TASKS = {
    "default": {"BACKEND": "govassess.web.ops.backends.ThreadBackend"},
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence is stored here, outside any served directory; only a view with permission checks streams it.
MEDIA_ROOT = EVIDENCE_DIR

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "8")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "govassess.web.accounts.views.csrf_failure"  # Chinese page, templates/403_csrf.html
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = os.environ.get("SECURE_COOKIES", "1") == "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

EVIDENCE_MAX_BYTES = int(float(os.environ.get("EVIDENCE_MAX_MB", "20")) * 1024 * 1024)
# The logo of a 文档模板 (PNG / JPEG printed in the header and on the cover).
DOCUMENT_LOGO_MAX_BYTES = int(float(os.environ.get("DOCUMENT_LOGO_MAX_MB", "2")) * 1024 * 1024)


def _positive_int(name: str, default: str) -> int:
    text = os.environ.get(name, default).strip()
    if not text.isdecimal() or int(text) < 1:
        raise ImproperlyConfigured(f"环境变量 {name} 应为正整数，现在是「{text}」")
    return int(text)


# 评估报告 向被评估单位公开 is refused above this many units (documents/services.py: each unit's version is
# built by a job and carries the whole ranking; past it, 通报 and each unit's 成绩单 are the units' documents).
GOVASSESS_REPORT_READER_MAX_UNITS = _positive_int("GOVASSESS_REPORT_READER_MAX_UNITS", "1000")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The login throttle (accounts/throttle.py, docs/web.md): exponential back-off, by account and by address.
AUTHENTICATION_BACKENDS = ["govassess.web.accounts.backends.ThrottledModelBackend"]
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_ACCOUNT_WINDOW_HOURS = int(os.environ.get("LOGIN_ACCOUNT_WINDOW_HOURS", "24"))
# Across accounts from one address (behind a proxy, REMOTE_ADDR must be the client's: see docs/web.md).
LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "20"))
LOGIN_ADDRESS_WINDOW_MINUTES = int(os.environ.get("LOGIN_ADDRESS_WINDOW_MINUTES", "60"))
LOGIN_BACKOFF_SECONDS = int(os.environ.get("LOGIN_BACKOFF_SECONDS", "30"))
LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))  # the longest wait
# Known shared exit addresses (a unit's NAT, the e-government network's proxy): no address limit for them.
LOGIN_SHARED_ADDRESSES = _networks(os.environ.get("LOGIN_SHARED_ADDRESSES", ""))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "govassess.web.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"user": "6000/hour"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "govassess 数据报送接口",
    "DESCRIPTION": "数据提供部门以令牌（Authorization: Token <令牌>）推送评估输入数据。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

"""Fixtures of the web tests. Settings come from the environment, set here before Django starts."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govassess.web.settings")
# Threads of the live server and of scoring jobs must not keep connections past the test database.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
# Every process gets its own data folder (evidence, documents, job lock files), always: a value inherited from
# the xdist controller (which imports this conftest when run on tests/web) would make both workers share one,
# and their job locks collide ("already running elsewhere"); an operator's real GOVASSESS_DATA_DIR is never used.
os.environ["GOVASSESS_DATA_DIR"] = tempfile.mkdtemp(
    prefix=f"govassess-web-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")

# pytest-django reads DJANGO_SETTINGS_MODULE before this conftest is imported; load the apps now so test
# modules can import models at collection time.
import django  # noqa: E402

django.setup()

from django.db.backends.signals import connection_created  # noqa: E402
from webtools import Org  # noqa: E402


def pytest_configure(config):
    # The xdist controller imports this conftest when run on tests/web and would hand its environment to the
    # workers, whose pytest-django then starts Django with the controller's data folder before this module runs
    # there: both workers would share one folder. Workers start clean instead and choose their own.
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        for name in ("GOVASSESS_DATA_DIR", "DJANGO_SETTINGS_MODULE"):
            os.environ.pop(name, None)


def _sqlite_without_fsync(sender, connection, **kwargs):
    # Every transactional test ends with a flush that recreates the content types and permissions in ~40
    # commits, and each commit of the file database waited for an fsync (about 1 s a test). The test database
    # is thrown away, so the tests' connections skip the fsync; locking and journal behaviour are unchanged
    # (the production settings keep SQLite's default).
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA synchronous=OFF")


connection_created.connect(_sqlite_without_fsync)


def _quicker_flush() -> None:
    """Every web test is transactional, so each ends with Django's `flush` of all tables, followed by the
    post_migrate signal that recreates every content type and permission. Two changes to that flush, tests only:
    - the content type and permission tables are left as they are: post_migrate would recreate the same rows
      (it still runs, finds them all and adds nothing), so each test starts from the same state as before;
    - on PostgreSQL the tables are emptied with DELETE in one transaction instead of one TRUNCATE: TRUNCATE
      replaces the files of ~55 tables and their indexes (about 0.4 s a test), DELETE of a few rows is
      immediate, and Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so they are checked at commit,
      when every table is empty. Sequences are not reset, as with Django's flush without reset_sequences."""
    from django.db import connection

    kept = {"django_content_type", "auth_permission"}

    def patch(ops_class, by_delete: bool) -> None:  # the backend in use (SQLite or PostgreSQL)
        original = ops_class.sql_flush

        def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
            tables = [t for t in tables if t not in kept]
            if by_delete and not reset_sequences:
                return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(t))};" for t in tables]
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)

        ops_class.sql_flush = sql_flush

    patch(type(connection.ops), by_delete=connection.vendor == "postgresql")


_quicker_flush()


def pytest_collection_modifyitems(config, items):
    # Every web test talks to the database in transactional mode (background threads, live server), except the
    # few marked nodb (run in the SQLite phase only: on PostgreSQL they would repeat the same thing).
    for item in items:
        if "tests/web/" in str(item.fspath).replace(os.sep, "/") and not item.get_closest_marker("django_db") \
                and not item.get_closest_marker("nodb"):
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture
def org(db):
    return Org()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # PBKDF2's deliberate slowness only slows the suite; production keeps Django's default hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

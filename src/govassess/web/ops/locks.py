"""Owner locks of running jobs: held by the process that runs a job for as long as it runs.

The operating system (a file lock) or PostgreSQL (a session advisory lock, released when the holder's
connection ends) drops the lock the moment its process dies, however it dies (kill -9, power cut, OOM
killer). So "RUNNING and nobody holds its lock" means the job's process is gone, at once and without guessing
from heartbeat ages. On PostgreSQL the lock is visible to every machine that reaches the database (workers on
several hosts); on SQLite, which lives on one machine, a lock file in the data directory is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

# The first key of the two-key advisory lock: this application's namespace, one per job kind.
_PG_NAMESPACE = 0x6741_0000  # "gA"


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _keys(kind_index: int, pk: int) -> tuple[int, int]:
    return _PG_NAMESPACE + kind_index, int(pk) % 2**31


def _lock_path(kind_name: str, pk: int) -> Path:
    folder = Path(settings.DATA_DIR) / "job-locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind_name}-{int(pk)}.lock"


class JobHeld(Exception):
    """Another process (or thread) holds the job's owner lock: it is running the job."""


class OwnerLock:
    """`with OwnerLock(name, index, pk):` — held until the block ends (or the process dies). Never waits:
    raises JobHeld if someone else holds it (a job delivered twice runs once)."""

    def __init__(self, kind_name: str, kind_index: int, pk: int):
        self.kind_name, self.kind_index, self.pk = kind_name, kind_index, pk
        self._fd: int | None = None
        self._conn = None

    def __enter__(self) -> OwnerLock:
        held = self._fd is not None or self._conn is not None
        return self if held else self.acquire()  # `acquire()` then `with lock:` is fine

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> OwnerLock:
        if _pg():
            # A connection of its own: the job's connections are closed and reopened freely (errors,
            # CONN_MAX_AGE), and closing one must not release the lock while the job still runs.
            self._conn = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s, %s)", _keys(self.kind_index, self.pk))
                got = cur.fetchone()[0]
            if not got:
                self._conn.close()
                self._conn = None
                raise JobHeld(self.pk)
        else:
            fd = os.open(_lock_path(self.kind_name, self.pk), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise JobHeld(self.pk) from None
            self._fd = fd
        return self

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing the session releases the lock in any case
                self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                _lock_path(self.kind_name, self.pk).unlink()
            os.close(self._fd)
            self._fd = None


def owner_alive(kind_name: str, kind_index: int, pk: int) -> bool:
    """True while some process (this one included) holds the owner lock of job `pk`."""
    if _pg():
        keys = _keys(kind_index, pk)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", keys)
            got = cur.fetchone()[0]
            if got:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", keys)
        return not got
    path = _lock_path(kind_name, pk)
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:  # released (and removed) just now
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock if we got it
    return False

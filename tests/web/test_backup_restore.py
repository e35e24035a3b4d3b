"""scripts/backup.sh and scripts/restore.sh on real PostgreSQL (issue 15; docs/deployment.md).

Data with evidence files is created through the services, backed up, and restored into a fresh database
(createdb govassess_restore_<pid>) and an empty data directory; the restored platform must hold the same
rows and byte-identical evidence files. Skipped on SQLite (the PG phase of scripts/test.sh runs it)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from webtools import fill_all

from govassess.web.audit.models import AuditEntry
from govassess.web.organisation.models import Unit
from govassess.web.rounds import services
from govassess.web.rounds.models import Evidence, InputValue, Round

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# Two evidence files with distinct bytes (a PDF header, as the upload check requires).
FILES = {"证明材料.pdf": b"%PDF-1.4 backup test one\n" + bytes(range(256)), "说明.pdf": b"%PDF-1.7 second\n" * 500}


def _url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    return {**os.environ, "PGHOST": s["HOST"] or "127.0.0.1", "PGPORT": str(s["PORT"] or 5432),
            "PGUSER": s["USER"], "PGPASSWORD": s["PASSWORD"]}


def _script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / name), *args], env=env, capture_output=True,
                          text=True, timeout=300)


def _snapshot(cur) -> dict:
    """What must survive: the rows of the main tables, compared as values."""
    out = {}
    for model, cols in (
        (Unit, "code, name, unit_class"),
        (InputValue, "unit_id, indicator, input, value, note, version"),
        (Evidence, "id, unit_id, indicator, original_name, stored_path, sha256, size"),
        (Round, "id, name, state"),
        (AuditEntry, "id, action, object_type, object_id"),
    ):
        cur.execute(f"SELECT {cols} FROM {model._meta.db_table} ORDER BY 1, 2")  # noqa: S608 - fixed names
        out[model.__name__] = [tuple(str(v) for v in row) for row in cur.fetchall()]
    return out


def test_backup_then_restore_into_a_fresh_database(org, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("备份与恢复脚本的测试需要 PostgreSQL（scripts/test.sh 的 PostgreSQL 阶段）")
    fill_all(org)
    for name, data in FILES.items():
        services.evidence_add(user=org.filler1, round=org.round, unit=org.d1, indicator="1",
                              upload=SimpleUploadedFile(name, data))
    with connection.cursor() as cur:
        before = _snapshot(cur)
    assert len(before["Evidence"]) == 2 and before["InputValue"]

    dest = tmp_path / "backups"
    dest.mkdir()
    env = {**_pg_env(), "DATABASE_URL": _url(connection.settings_dict["NAME"]),
           "GOVASSESS_DATA_DIR": str(settings.DATA_DIR)}
    done = _script("backup.sh", str(dest), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    (backup,) = [p for p in dest.iterdir()]
    assert backup.name.startswith("govassess-") and "备份完成" in done.stdout
    assert sorted(p.name for p in backup.iterdir()) == ["SHA256SUMS", "database.dump", "files.tar.gz", "info.txt"]

    name = f"govassess_restore_{os.getpid()}"
    made = subprocess.run(["createdb", name], env=_pg_env(), capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    try:
        restored_dir = tmp_path / "restored-data"
        renv = {**_pg_env(), "DATABASE_URL": _url(name), "GOVASSESS_DATA_DIR": str(restored_dir),
                "PYTHON": sys.executable, "PYTHONPATH": str(ROOT / "src")}
        back = _script("restore.sh", str(backup), env=renv)
        assert back.returncode == 0, back.stdout + back.stderr
        assert "恢复完成" in back.stdout and f":{connection.settings_dict['PASSWORD']}@" not in back.stdout

        with psycopg.connect(_url(name)) as restored, restored.cursor() as cur:
            after = _snapshot(cur)
            cur.execute(
                f"SELECT i.value FROM {InputValue._meta.db_table} i JOIN {Unit._meta.db_table} u "  # noqa: S608
                "ON u.id = i.unit_id WHERE u.code = 'D01' AND i.input = '网上办理率'"
            )
            assert cur.fetchone() == ("90%",)  # webtools.fill_all's value for D01
        assert after == before
        # every evidence file is back, byte for byte, where its row says
        for _id, _unit, _ind, original, stored, sha, size in after["Evidence"]:
            data = (restored_dir / "evidence" / stored).read_bytes()
            assert data == FILES[original] and hashlib.sha256(data).hexdigest() == sha and len(data) == int(size)

        # a second restore into the now filled database is refused, and changes nothing
        again = _script("restore.sh", str(backup), env={**renv, "GOVASSESS_DATA_DIR": str(tmp_path / "other")})
        assert again.returncode == 2 and "未做任何恢复" in again.stderr
        with psycopg.connect(_url(name)) as restored, restored.cursor() as cur:
            assert _snapshot(cur) == before
        # a damaged backup is refused before anything is touched
        (backup / "files.tar.gz").write_bytes(b"damaged")
        bad = _script("restore.sh", str(backup), env={**renv, "DATABASE_URL": _url(name + "_none")})
        assert bad.returncode == 2 and "校验失败" in bad.stderr
    finally:
        subprocess.run(["dropdb", "--if-exists", name], env=_pg_env(), capture_output=True)

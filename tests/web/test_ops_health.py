"""/healthz: public JSON for monitoring — database reachable, migrations applied, evidence folder writable."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client


def test_healthy(org):
    resp = Client().get("/healthz")  # no login
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/json")
    assert "no-cache" in resp["Cache-Control"] or "max-age=0" in resp["Cache-Control"]
    assert resp.json() == {
        "status": "ok",
        "checks": {
            "database": {"ok": True, "detail": "可连接"},
            "migrations": {"ok": True, "detail": "已全部执行"},
            "media": {"ok": True, "detail": "可写"},
        },
    }
    assert Client().post("/healthz").status_code == 405


def test_a_missing_migration_is_reported(org):
    # Forget the record of one applied migration: for Django it is then pending, as after an upgrade
    # whose `migrate` was not run.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, app, name, applied FROM django_migrations WHERE app = %s ORDER BY id DESC LIMIT 1",
            ["django_tasks_database"],
        )
        row = cur.fetchone()
        cur.execute("DELETE FROM django_migrations WHERE id = %s", [row[0]])
    try:
        resp = Client().get("/healthz")
        assert resp.status_code == 503
        body = resp.json()
        assert body["status"] == "error" and body["checks"]["database"]["ok"] is True
        assert body["checks"]["migrations"] == {
            "ok": False,
            "detail": "有 1 个数据库迁移未执行（运行 govassess web manage migrate）",
        }
    finally:
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO django_migrations (id, app, name, applied) VALUES (%s, %s, %s, %s)", list(row)
            )


def test_an_unwritable_evidence_folder_is_reported(org, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    settings.MEDIA_ROOT = blocker / "evidence"  # its parent is a file: nothing can be created there
    resp = Client().get("/healthz")
    assert resp.status_code == 503
    media = resp.json()["checks"]["media"]
    assert media["ok"] is False and media["detail"].startswith("佐证材料目录不可写")
    assert str(tmp_path) not in resp.content.decode()  # no paths in a public answer


def test_the_migrations_describe_the_models(org):
    # A model changed without its migration would leave installed databases behind the code (the squashed
    # migrations of each app were made from the models, so they must stay in step with them as well).
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as stop:
        pytest.fail(f"models changed without a migration (exit {stop.code}):\n{out.getvalue()}")

"""/healthz: for the load balancer, systemd watchdog scripts and monitoring (no login, no data)."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except DatabaseError as err:
        return False, f"无法连接数据库：{type(err).__name__}"
    return True, "可连接"


def _migrations() -> tuple[bool, str]:
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as err:
        return False, f"无法读取迁移记录：{type(err).__name__}"
    if pending:
        return False, f"有 {len(pending)} 个数据库迁移未执行（运行 govassess web manage migrate）"
    return True, "已全部执行"


def _media() -> tuple[bool, str]:
    folder = Path(settings.MEDIA_ROOT)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".healthz-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        code = errno.errorcode.get(err.errno or 0, type(err).__name__)
        return False, f"佐证材料目录不可写（系统错误 {code}），请检查 GOVASSESS_DATA_DIR 的权限和磁盘空间"
    return True, "可写"


@never_cache
@require_GET
def healthz(request):
    """200 with every check "ok", or 503 naming the failed ones. Says nothing about the data or the
    configuration beyond these three facts (no paths, no versions): it is public."""
    checks = {}
    for name, check in (("database", _database), ("migrations", _migrations), ("media", _media)):
        if name == "migrations" and not checks["database"]["ok"]:
            checks[name] = {"ok": False, "detail": "数据库不可用，未检查"}
            continue
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
        json_dumps_params={"ensure_ascii": False},
    )

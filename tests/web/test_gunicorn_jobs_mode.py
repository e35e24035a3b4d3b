"""gunicorn with the in-process job threads (GOVASSESS_JOBS=thread, the demo's default) is refused at start with
one Chinese line saying what to set (a job in a worker's thread dies when gunicorn ends the worker); with
GOVASSESS_JOBS=worker, as docs/deployment.md and deploy/govassess.env.example say, the same command serves."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

if importlib.util.find_spec("gunicorn") is None:  # not imported here: the app refuses thread mode under gunicorn
    pytest.skip("gunicorn 未安装", allow_module_level=True)

pytestmark = pytest.mark.nodb  # gunicorn runs in its own process on its own SQLite file

ROOT = Path(__file__).resolve().parents[2]


def _gunicorn(tmp_path: Path, jobs: str, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "GOVASSESS_ENV", "DJANGO_SETTINGS_MODULE", "SERVER_SOFTWARE")}
    env.update(PYTHONPATH=str(ROOT / "src"), GOVASSESS_JOBS=jobs, GOVASSESS_WARM_UP="0",
               GOVASSESS_DATA_DIR=str(tmp_path / "data"))
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "govassess.web.ops.wsgi:application", "--preload", "--workers", "1",
         "--bind", f"127.0.0.1:{port}"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_thread_mode_is_refused_under_gunicorn(tmp_path):
    proc = _gunicorn(tmp_path, "thread", _free_port())
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "GOVASSESS_JOBS=thread（默认值）不能用于 gunicorn" in err, err
    assert "请设置 GOVASSESS_JOBS=worker" in err and "Traceback" not in err, err


def test_importing_gunicorn_is_not_running_under_it():
    import gunicorn  # noqa: F401

    from govassess.web import wsgi

    wsgi._refuse_thread_jobs_under_gunicorn()  # thread mode (the test default), gunicorn imported: no refusal


def test_worker_mode_serves_under_gunicorn(tmp_path):
    port = _free_port()
    proc = _gunicorn(tmp_path, "worker", port)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)

"""`govassess serve` stops completely on SIGTERM and SIGINT: no reloader child keeps the port (issue 15)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# `serve` runs on its own SQLite file (or refuses before opening a database): nothing here touches the test
# database, so the PostgreSQL phase leaves the file out.
pytestmark = [pytest.mark.slow, pytest.mark.nodb]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "GOVASSESS_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'serve.sqlite3'}",  # its own database, never the test one
        "GOVASSESS_ENV": "development",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "govassess", "serve", "--no-demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_up(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 150  # the first start migrates a new SQLite database
    while not _listening(port):
        if proc.poll() is not None:
            pytest.fail(f"serve ended: {proc.stdout.read()}{proc.stderr.read()}")
        assert time.monotonic() < deadline, "serve did not start listening"
        time.sleep(0.3)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_on_signal(tmp_path_factory, sig):
    data_dir = tmp_path_factory.getbasetemp() / "serve-data"  # shared by both runs: migrated once
    data_dir.mkdir(exist_ok=True)
    port = _free_port()
    proc = _serve(data_dir, port)
    try:
        _wait_up(proc, port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
            assert resp.status == 200 and json.load(resp)["status"] == "ok"
        assert _children(proc.pid) == []  # no auto-reloader child serving beside it
        sent = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=5)
        assert code == 0
        while _listening(port):
            assert time.monotonic() - sent < 5, "the port is still served after the process ended"
            time.sleep(0.1)
        out = proc.stdout.read()
        assert "平台地址" in out and out.rstrip().endswith("平台已停止")
        assert "Starting development server" not in out  # Django's English banner is not shown
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_serve_refuses_a_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "govassess", "serve", "--no-demo", "--port", str(port)],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "GOVASSESS_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert f"端口 {port} 已被占用" in proc.stderr and "Traceback" not in proc.stderr

"""Load scenario: 200 simulated fillers save inputs and upload small evidence files on PostgreSQL.

    python benchmarks/load_fillers.py [--users 200] [--seconds 60] [--workers 3] [--wait 3,8] [--keep-logs DIR]

Needs DATABASE_URL pointing at PostgreSQL (default: `bash scripts/start-postgres.sh`), locust and gunicorn.
Creates a fresh database `<name>_load`, loads the 阳江 dept system, 200 departments and 200 filler accounts,
starts gunicorn on loopback, runs locust headless for a bounded time, then counts stored values and evidence
files against what the simulated users saw accepted (lost writes). Prints one JSON line last, with the
failures grouped by cause (HTTP status vs. no answer at all) and the CPU seconds of the load generator and of
the server, so that a saturated client can be told apart from a failing server.

--keep-logs DIR copies the gunicorn log (Django's tracebacks of 5xx answers go there), the PostgreSQL log lines
written during the run, and locust's failure / exception tables into DIR.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_database(base_url: str) -> str:
    import psycopg

    name = base_url.rsplit("/", 1)[1].split("?")[0] + "_load"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def prepare(users: int, users_file: Path) -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from govassess.web.accounts.models import Profile, Role
    from govassess.web.organisation.models import Unit
    from govassess.web.rounds.services import round_create, round_transition
    from govassess.web.systems.selectors import system_fields
    from govassess.web.systems.services import system_import

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    office = User.objects.create_user(
        "office", password=secrets.token_urlsafe(12), is_superuser=True, is_staff=True
    )
    Profile.objects.create(user=office, role=Role.OFFICE)
    system = system_import(user=office, source="yangjiang-2021-dept")
    rnd = round_create(
        user=office, system=system, name="负载测试", deadline=timezone.now() + timedelta(days=1)
    )
    round_transition(user=office, round=rnd, to_state="collecting")
    keys = [f.key for f in system_fields(system) if f.owner == "unit"]
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    hashed = make_password(secrets.token_urlsafe(12))
    entries = []
    for i in range(1, users + 1):
        code = f"L{i:03d}"
        unit = Unit.objects.create(
            code=code,
            name=f"负载测试部门{i}",
            unit_class="市级部门",
            attributes={"has_license_items": 1, "has_application_items": 1},
        )
        user = User.objects.create(username=f"filler{i:03d}", password=hashed)
        Profile.objects.create(user=user, role=Role.FILLER, unit=unit)
        # Signed in before the rush: the scenario measures saving and uploading, not PBKDF2 at login.
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        entries.append(
            {
                "username": user.username,
                "session": session.session_key,
                "unit": code,
                "round": rnd.pk,
                "keys": keys,
            }
        )
    users_file.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")


def check(results_dir: Path) -> dict:
    from govassess.web.rounds.models import Evidence, InputValue

    expected_values = expected_uploads = attempted_uploads = lost = 0
    stored = {
        (u, f"{i}::{n}"): v
        for u, i, n, v in InputValue.objects.values_list("unit__code", "indicator", "input", "value")
    }
    for f in results_dir.glob("*.json"):
        r = json.loads(f.read_text(encoding="utf-8"))
        for key, value in r["saved"].items():
            expected_values += 1
            # lost: the stored value is neither the last one the client saw accepted nor a later attempt whose
            # answer it never got
            if stored.get((r["unit"], key)) not in (value, *r.get("unconfirmed", {}).get(key, [])):
                lost += 1
        expected_uploads += r["uploads"]
        attempted_uploads += r.get("upload_attempts", r["uploads"])
    evidence = Evidence.objects.count()
    files = sum(1 for p in (Path(os.environ["GOVASSESS_DATA_DIR"]) / "evidence").rglob("*") if p.is_file())
    return {
        "values_expected": expected_values,
        "values_stored": len(stored),
        "lost_writes": lost,
        "uploads_accepted": expected_uploads,
        "upload_attempts": attempted_uploads,
        "evidence_rows": evidence,
        "evidence_files": files,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    # Longer than any think time: behind nginx (docs/web.md) browsers keep their connection to nginx, not to
    # gunicorn. With gunicorn's own default of 2 s, a client that waits about 2 s reuses a connection the server
    # is closing at that moment and its POST gets no answer (the stress failures: docs/performance.md).
    ap.add_argument("--keep-alive", type=int, default=10, help="gunicorn --keep-alive, seconds")
    ap.add_argument("--wait", default="3,8", help="think time of a filler between actions, seconds: MIN,MAX")
    ap.add_argument("--keep-logs", type=Path, help="copy server, database and locust logs into this folder")
    ap.add_argument(
        "--pg-log",
        type=Path,
        default=Path(os.environ.get("PGDATA_DIR", "/tmp/govassess-pg")) / "server.log",
        help="PostgreSQL's log file (default: the one scripts/start-postgres.sh writes)",
    )
    args = ap.parse_args()
    if args.keep_logs:
        args.keep_logs = args.keep_logs.resolve()
    base = (
        os.environ.get("DATABASE_URL")
        or subprocess.check_output(["bash", str(ROOT / "scripts/start-postgres.sh")], text=True).strip()
    )
    if not base.startswith("postgres"):
        print("DATABASE_URL 必须指向 PostgreSQL", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="govassess-load-"))
    env = dict(
        os.environ,
        DATABASE_URL=load_database(base),
        GOVASSESS_DATA_DIR=str(work / "data"),
        DJANGO_SETTINGS_MODULE="govassess.web.settings",
        LOAD_USERS_FILE=str(work / "users.json"),
        LOAD_RESULTS_DIR=str(work / "results"),
        LOAD_WAIT_MIN=args.wait.split(",")[0],
        LOAD_WAIT_MAX=args.wait.split(",")[1],
        DB_CONN_MAX_AGE="60",
        LOG_LEVEL="ERROR",
    )
    (work / "results").mkdir()
    os.environ.update(env)
    prepare(args.users, work / "users.json")
    port = free_port()
    pg_log_start = args.pg_log.stat().st_size if args.pg_log.is_file() else 0
    server_log = open(work / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "govassess.web.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--preload",
            "--keep-alive",
            str(args.keep_alive),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=work,
        start_new_session=True,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "benchmarks/locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(max(args.users // 10, 1)),
                "-t",
                f"{args.seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(work / "stats"),
                "--only-summary",
                "--stop-timeout",
                "10",
                "--loglevel",
                "ERROR",
            ],
            env=env,
            cwd=work,
            check=False,
            timeout=args.seconds + 120,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server_log.close()
    # Reaped children count with their own reaped children: the master has waited for its workers.
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = done.ru_utime + done.ru_stime - after.ru_utime - after.ru_stime
    failure_causes: dict[str, int] = {}
    for row in csv.DictReader(open(work / "stats_failures.csv", encoding="utf-8")):
        error = row["Error"].removeprefix("CatchResponseError(").removesuffix(")").strip("'\"")
        cause = f"{row['Method']} {row['Name']}: {error}"
        failure_causes[cause] = failure_causes.get(cause, 0) + int(row["Occurrences"])
    server_log_counts: dict[str, int] = {}
    for line in open(work / "gunicorn.log", encoding="utf-8", errors="replace"):
        # Django's 5xx lines ("Internal Server Error: /path") and gunicorn's own errors and worker timeouts
        for marker in ("Internal Server Error", "[ERROR]", "[CRITICAL]"):
            if marker in line[:60]:
                server_log_counts[marker] = server_log_counts.get(marker, 0) + 1
    if args.keep_logs:
        args.keep_logs.mkdir(parents=True, exist_ok=True)
        for name in ("gunicorn.log", "stats_failures.csv", "stats_exceptions.csv", "stats_stats.csv"):
            if (work / name).exists():
                shutil.copy(work / name, args.keep_logs / name)
        if args.pg_log.is_file():
            with open(args.pg_log, "rb") as src:
                src.seek(pg_log_start)
                (args.keep_logs / "postgresql.log").write_bytes(src.read())
    stats = {row["Name"]: row for row in csv.DictReader(open(work / "stats_stats.csv", encoding="utf-8"))}
    # The "Aggregated" row already sums the others.
    failures = int(stats["Aggregated"]["Failure Count"])

    def p95(name):
        r = stats.get(name)
        return float(r["95%"]) if r and r["95%"] not in ("", "N/A") else None

    def p50(name):
        r = stats.get(name)
        return float(r["50%"]) if r and r["50%"] not in ("", "N/A") else None

    counts = check(work / "results")
    out = {
        "benchmark": "load_fillers",
        "database": "postgresql",
        "users": args.users,
        "seconds": args.seconds,
        "server": f"gunicorn {args.workers} workers × {args.threads} threads, keep-alive {args.keep_alive} s",
        "think_time_s": args.wait,
        "requests": int(stats["Aggregated"]["Request Count"]),
        "failures": failures,
        "rps": round(float(stats["Aggregated"]["Requests/s"]), 1),
        "p95_ms_save": p95("save input"),
        "p95_ms_upload": p95("upload evidence"),
        "p95_ms_all": p95("Aggregated"),
        "p95_ms_form": p95("fill form"),
        "p50_ms_all": p50("Aggregated"),
        "failure_causes": failure_causes,
        "server_log": server_log_counts,
        "cpu_s_client": round(client_cpu, 1),
        "cpu_s_server": round(server_cpu, 1),
        **counts,
        "ok": failures == 0
        and counts["lost_writes"] == 0
        # an upload whose answer never arrived may still have been stored
        and counts["uploads_accepted"] <= counts["evidence_rows"] <= counts["upload_attempts"]
        and (p95("save input") or 0) <= 300
        and (p95("upload evidence") or 0) <= 300,
    }
    # The data folder holds thousands of evidence files; --keep-logs has copied what is worth keeping.
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load scenario: 500 respondents answer the public questionnaire within a minute, on PostgreSQL (issue 14).

    python benchmarks/load_questionnaire.py [--respondents 500] [--seconds 60] [--units 20] [--workers 3]

Needs DATABASE_URL pointing at PostgreSQL (default: `bash scripts/start-postgres.sh`) and gunicorn. Creates a
fresh database `<name>_qload`, the 阳江 dept system, N units and a round with the built-in 政务服务满意度
questionnaire open for collection, starts gunicorn on loopback, and lets the respondents arrive evenly over the
given time (each one a phone of its own: own cookies, so its own device token). A respondent opens its unit's
link (GET: the page, the CSRF cookie, the signed start time) and submits a valid answer (POST). Afterwards the
stored responses are counted against the submissions the respondents saw accepted (lost = accepted − stored).
Prints one JSON line: p50/p95/max of the POSTs and of the GETs, failures, lost.

All respondents come from 127.0.0.1, so the per-address limit is raised for the run (a real hall's NAT is the
same case: docs/web-questionnaire.md); the per-link limit stays at its default.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_database(base_url: str) -> str:
    import psycopg

    name = base_url.rsplit("/", 1)[1].split("?")[0] + "_qload"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def prepare(units: int) -> list[str]:
    import django

    django.setup()
    import secrets
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from govassess.web.accounts.models import Profile, Role
    from govassess.web.organisation.models import Unit
    from govassess.web.questionnaires import services
    from govassess.web.questionnaires.models import Link
    from govassess.web.rounds.services import round_create, round_transition
    from govassess.web.systems.services import system_import

    call_command("migrate", verbosity=0)
    office = get_user_model().objects.create_user("office", password=secrets.token_urlsafe(12))
    Profile.objects.create(user=office, role=Role.OFFICE)
    system = system_import(user=office, source="yangjiang-2021-dept")
    for i in range(1, units + 1):
        Unit.objects.create(code=f"Q{i:03d}", name=f"负载测试部门{i}", unit_class="市级部门")
    rnd = round_create(user=office, system=system, name="问卷负载测试", deadline=timezone.now() + timedelta(days=1))
    round_transition(user=office, round=rnd, to_state="collecting")
    q = services.questionnaire_attach(user=office, round=rnd, builtin="satisfaction")
    services.settings_update(user=office, q=q, min_seconds=0, office_name="评估办")
    services.collection_set(user=office, q=q, open=True)
    return list(Link.objects.filter(questionnaire=q).values_list("token", flat=True))


def answers(rng: random.Random) -> dict[str, str]:
    """A valid answer of the built-in form, through one of the two channels (each with its own questions)."""
    a = {"事项类型": rng.choice(["个人", "企业"]), "跑动次数": rng.choice(["1", "2", "3"]),
         "办事指南清晰度": str(rng.randint(1, 5)), "不合理收费": "否", "总体满意度": str(rng.randint(1, 5))}
    if rng.random() < 0.5:
        a |= {"办理渠道": "窗口", "等候时间": str(rng.randint(1, 5)), "工作人员态度": str(rng.randint(1, 5)),
              "实际等候分钟": str(rng.randint(0, 60))}
    else:
        a |= {"办理渠道": "网上", "网上办理便利度": str(rng.randint(1, 5))}
    if rng.random() < 0.2:
        a["一次办成"] = "否"
        a["未办成原因"] = rng.choice(["材料", "系统", "其他"])
    else:
        a["一次办成"] = "是"
    if rng.random() < 0.3:
        a["意见建议"] = f"第{rng.randint(1, 10**9)}号意见：希望{rng.choice(['窗口', '网站', '指引'])}再改进"
    return a


def respondent(base: str, token: str, seed: int) -> dict:
    rng = random.Random(seed)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{base}/q/{token}/"
    out: dict = {"token": token}
    try:
        t0 = time.perf_counter()
        html = opener.open(url, timeout=30).read().decode()
        out["get_ms"] = (time.perf_counter() - t0) * 1000
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        started = re.search(r'name="started" value="([^"]+)"', html)[1]
        data = {"csrfmiddlewaretoken": csrf, "started": started, **answers(rng)}
        req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), headers={"Referer": url})
        t1 = time.perf_counter()
        with opener.open(req, timeout=30) as resp:
            body = resp.read().decode()
            out["post_ms"] = (time.perf_counter() - t1) * 1000
            out["status"] = resp.status
        out["accepted"] = "提交成功" in body
        if not out["accepted"]:
            out["error"] = "提交未被接受：" + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))[:200]
    except Exception as e:  # noqa: BLE001  (every failure is counted and shown, not raised)
        out["accepted"] = False
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--respondents", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--units", type=int, default=20)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    base_url = (os.environ.get("DATABASE_URL")
                or subprocess.check_output(["bash", str(ROOT / "scripts/start-postgres.sh")], text=True).strip())
    if not base_url.startswith("postgres"):
        print("DATABASE_URL 必须指向 PostgreSQL", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="govassess-qload-"))
    env = dict(os.environ, DATABASE_URL=load_database(base_url), GOVASSESS_DATA_DIR=str(work / "data"),
               DJANGO_SETTINGS_MODULE="govassess.web.settings", DB_CONN_MAX_AGE="60", LOG_LEVEL="ERROR",
               QUESTIONNAIRE_ADDRESS_PER_HOUR="1000000")
    os.environ.update(env)
    tokens = prepare(args.units)
    port = free_port()
    log = open(work / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "govassess.web.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(args.workers), "--threads", str(args.threads), "--preload", "--keep-alive", "10",
         "--log-level", "warning"],
        env=env, cwd=work, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    results: list[dict] = []
    lock = threading.Lock()
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        gap = args.seconds / args.respondents
        start = time.perf_counter()

        def one(i: int) -> None:
            delay = start + i * gap - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            r = respondent(base, tokens[i % len(tokens)], i)
            with lock:
                results.append(r)

        with ThreadPoolExecutor(max_workers=64) as pool:
            list(pool.map(one, range(args.respondents)))
        elapsed = time.perf_counter() - start
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    from govassess.web.questionnaires.models import QResponse

    stored = QResponse.objects.count()
    accepted = sum(1 for r in results if r["accepted"])
    posts = [r["post_ms"] for r in results if "post_ms" in r]
    gets = [r["get_ms"] for r in results if "get_ms" in r]
    errors: dict[str, int] = {}
    for r in results:
        if "error" in r:
            errors[r["error"][:120]] = errors.get(r["error"][:120], 0) + 1
    print(json.dumps({
        "respondents": args.respondents, "seconds": round(elapsed, 1), "units": args.units,
        "gunicorn": f"{args.workers}x{args.threads}", "accepted": accepted, "stored": stored,
        "lost": accepted - stored if stored <= accepted else 0, "extra_stored": max(0, stored - accepted),
        "failures": args.respondents - accepted, "errors": errors,
        "post_ms": {"p50": pct(posts, 50), "p95": pct(posts, 95), "max": pct(posts, 100)},
        "get_ms": {"p50": pct(gets, 50), "p95": pct(gets, 95), "max": pct(gets, 100)},
        "load_average": os.getloadavg()[0],
    }, ensure_ascii=False))
    return 0 if accepted == args.respondents and stored == accepted else 1


if __name__ == "__main__":
    sys.exit(main())

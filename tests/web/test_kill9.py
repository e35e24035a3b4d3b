"""kill -9 during an import, a scoring job and a metrics run (issue 15): all or nothing, and a re-run works.

Each operation runs as a real `govassess` subprocess (kill9_driver.py) against the test database (SQLite, or
PostgreSQL in the PG phase). It is SIGKILLed at seeded random delays after markers placed at the harmful
points (between rows of one import; after the results are computed but before they are stored; after the
job row is stored but before the task row is) and once at a random moment of its start. Then the worker is
started again, as systemd would, and the database must hold all of the operation or none of it; a job left
by the killed process must be failed (not "running" forever), and starting it again must succeed with the
numbers computed by hand.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult
from webtools import fill_all

from govassess.web import jobs
from govassess.web.audit.models import AuditEntry
from govassess.web.feeds import services as feeds_services
from govassess.web.feeds.models import MetricsRun, RecordSet
from govassess.web.organisation.models import Unit
from govassess.web.rounds import services
from govassess.web.rounds.models import JobStatus, ScoringRun

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("kill9_driver.py")
SEED = 15  # issue 15
PAUSE = 0.4  # the driver's pause at each marker; kills land at a seeded moment inside it

pytestmark = pytest.mark.slow


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_database_url(),
        GOVASSESS_JOBS="worker",
        DB_CONN_MAX_AGE="0",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(DRIVER.parent)]),
        KILL9_PAUSE=str(PAUSE),
    )
    env.update(extra)
    return env


def _run(*argv: str, **extra: str) -> subprocess.CompletedProcess:
    """The command to its end (a restart after a kill, or a re-run)."""
    proc = subprocess.run(
        [sys.executable, str(DRIVER), *argv],
        env=_env(KILL9_PAUSE="0", **extra),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _kill_at(marker: str | None, delay: float, *argv: str, **extra: str) -> str:
    """Start the command, SIGKILL it `delay` s after the line @@marker (or after its start if None).
    Returns what it printed. Fails if it ended by itself before the kill point."""
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), *argv],
        env=_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        if marker is not None:
            deadline = time.monotonic() + 120
            for line in proc.stdout:
                seen.append(line)
                if line.strip() == f"@@{marker}":
                    break
                assert time.monotonic() < deadline, "".join(seen)
            else:
                pytest.fail(f"ended before @@{marker}: {''.join(seen)}{proc.stderr.read()}")
        time.sleep(delay)
        assert proc.poll() is None, f"ended before the kill: {''.join(seen)}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return "".join(seen)


def _points(markers: list[str], rng: random.Random) -> list[tuple[str | None, float]]:
    # One kill during start-up (Django, polars, … loading: before anything is written), then one after each
    # marker, each at a seeded moment of the driver's pause there.
    return [(None, rng.uniform(0.2, 1.5))] + [(m, rng.uniform(0.0, PAUSE * 0.9)) for m in markers]


@pytest.fixture
def reviewing(org, settings):
    settings.GOVASSESS_JOBS = "worker"
    fill_all(org)
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    return org


def _scores(run: ScoringRun) -> dict[str, float]:
    return {u["unit"]: u["score"] for u in run.results["units"] if u["unit"] in EXPECTED}


# D01: 90%×60 = 54; 是 → 20; 8/10×10 = 8; manual 7 → 89. D02: 50%×60 = 30; 否 → 5; 5/10×10 = 5; manual 6 → 46
# (tests/web/fixtures/web-mini.yaml, the inputs of webtools.fill_all; the same numbers as test_job_worker.py).
EXPECTED = {"D01": 89.0, "D02": 46.0}


def test_kill9_scoring_job(reviewing):
    rng = random.Random(SEED)
    for marker, delay in _points(["scoring-begin", "scoring-computed", "job-stored"], rng):
        run = services.scoring_start(user=reviewing.office, round=reviewing.round)
        assert run.status == JobStatus.QUEUED
        _kill_at(marker, delay, "web", "worker", "--once")
        run.refresh_from_db()
        # all or nothing: no results unless the job row says done, and then all of them
        if run.status == JobStatus.DONE:
            assert marker in (None, "job-stored") and _scores(run) == pytest.approx(EXPECTED)
        else:
            assert run.results is None and run.status in (JobStatus.QUEUED, JobStatus.RUNNING), (marker, run.status)
        if marker in ("scoring-begin", "scoring-computed"):
            assert run.status == JobStatus.RUNNING  # the kill hit the job itself

        # restart: a job the killed worker had is failed at once (nobody holds its owner lock) ...
        killed_running = run.status == JobStatus.RUNNING
        restart = _run("web", "worker", "--once")
        run.refresh_from_db()
        if killed_running:
            assert run.status == JobStatus.FAILED and run.message == jobs.STALE_MESSAGE
            assert f"评分任务 #{run.pk}：{jobs.STALE_MESSAGE}" in restart.stdout
            assert AuditEntry.objects.filter(action="job_recover", object_id=str(run.pk)).count() == 1
        else:  # ... and one it had not started (or had finished) is run or left done
            assert run.status == JobStatus.DONE and _scores(run) == pytest.approx(EXPECTED)
        assert not DBTaskResult.objects.filter(status="RUNNING").exists()  # no task row "running" forever

        if killed_running:  # a re-run is accepted (the dead job blocks nothing) and gives the hand-computed scores
            again = services.scoring_start(user=reviewing.office, round=reviewing.round)
            _run("web", "worker", "--once")
            again.refresh_from_db()
            assert again.status == JobStatus.DONE and _scores(again) == pytest.approx(EXPECTED)
    assert not ScoringRun.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists()


# Hand-built records (as in test_feeds_web.py). Ratings: D01 r1 非常满意, r2 不满意; D02 r3 非常不满意, r4 满意,
# r6 满意; r5 is unit ZZZ, unknown to the platform. 好评率 = (非常满意 + 满意) / 评价数: D01 1/2, D02 2/3.
RATINGS = """rating_id,unit,level,active,rated_at,rectified,deadline
r1,D01,非常满意,是,2021-03-01 10:00,,
r2,D01,不满意,是,2021-03-02 10:00,否,
r3,D02,非常不满意,否,2021-03-03 10:00,否,2021-04-10
r4,D02,满意,是,2021-03-04 10:00,,
r5,ZZZ,满意,是,2021-03-05 10:00,,
r6,D02,满意,是,2021-03-08 10:00,,
"""
CASES = """case_id,unit,item_code,item_type,channel,accepted_at
c1,D01,X1,行政许可,网上,2021-01-05 09:00
c2,D01,X1,行政许可,窗口,2021-01-06 09:00
c3,D02,Y1,公共服务,移动端,2021-02-01 09:00
"""
METRIC_MAP = "inputs:\n  - {metric: good_rating_rate, indicator: M1, input: 好评率}\n"
EXPECTED_ROWS = {("D01", "0.5"), ("D02", "0.666667")}


def test_kill9_metrics_run(org, settings, tmp_path):
    settings.GOVASSESS_JOBS = "worker"
    folder = tmp_path / "记录"
    folder.mkdir()
    (folder / "ratings.csv").write_text(RATINGS, encoding="utf-8")
    (folder / "cases.csv").write_text(CASES, encoding="utf-8")
    rs = RecordSet.objects.create(name="2021上半年", path=str(folder), uploaded=False)

    def start() -> MetricsRun:
        return feeds_services.metrics_start(
            user=org.office,
            record_set=rs,
            period_from=dt.date(2021, 1, 1),
            period_to=dt.date(2021, 6, 30),
            map_ref="upload",
            map_text=METRIC_MAP,
        )

    rng = random.Random(SEED + 1)
    for marker, delay in _points(["metrics-begin", "metrics-computed", "job-stored"], rng):
        run = start()
        _kill_at(marker, delay, "web", "worker", "--once")
        run.refresh_from_db()
        if run.status == JobStatus.DONE:
            assert {(r["unit"], r["value"]) for r in run.rows} == EXPECTED_ROWS
        else:
            assert run.rows in (None, []) and not run.problems and not run.summary, (marker, run.status)
        if marker in ("metrics-begin", "metrics-computed"):
            assert run.status == JobStatus.RUNNING
        killed_running = run.status == JobStatus.RUNNING
        _run("web", "worker", "--once")
        run.refresh_from_db()
        assert run.status in (JobStatus.DONE, JobStatus.FAILED)
        if killed_running:
            assert run.status == JobStatus.FAILED and run.message == jobs.STALE_MESSAGE
        else:
            assert run.status == JobStatus.DONE and {(r["unit"], r["value"]) for r in run.rows} == EXPECTED_ROWS
        assert not DBTaskResult.objects.filter(status="RUNNING").exists()
        if killed_running:
            again = start()
            _run("web", "worker", "--once")
            again.refresh_from_db()
            assert again.status == JobStatus.DONE, again.message
            assert {(r["unit"], r["value"]) for r in again.rows} == EXPECTED_ROWS


UNITS = 400


def test_kill9_units_import(org, tmp_path):
    path = tmp_path / "units.csv"
    lines = ["unit,name,class"] + [f"K{i:04d},测试部门{i},市级部门" for i in range(UNITS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = Unit.objects.count()
    audits = AuditEntry.objects.filter(action="unit_save").count()

    def imported() -> int:
        return Unit.objects.filter(code__startswith="K").count()

    rng = random.Random(SEED + 2)
    for marker, delay in _points(["import-row-first", "import-row-half"], rng):
        out = _kill_at(marker, delay, "web", "import-units", str(path), KILL9_HALF=str(UNITS // 2))
        # one transaction: none of the rows (and none of their audit entries), never half of them
        assert imported() == 0, (marker, imported(), out)
        assert AuditEntry.objects.filter(action="unit_save").count() == audits
    proc = _run("web", "import-units", str(path))
    assert f"已导入 {UNITS} 个评估对象" in proc.stdout
    assert imported() == UNITS and Unit.objects.count() == before + UNITS
    assert Unit.objects.get(code="K0123").name == "测试部门123"
    assert AuditEntry.objects.filter(action="unit_save").count() == audits + UNITS

"""GOVASSESS_JOBS=worker: jobs wait QUEUED in the database and `govassess web worker` runs them."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from webtools import fill_all

from govassess.cli import main
from govassess.web import jobs
from govassess.web.audit.models import AuditEntry
from govassess.web.feeds import services as feeds_services
from govassess.web.feeds.models import InspectionReport, UnitSite
from govassess.web.rounds import services
from govassess.web.rounds.models import JobStatus, ScoringRun

SCORING = next(k for k in jobs.KINDS if k.name == "scoring")
INSPECTION = next(k for k in jobs.KINDS if k.name == "inspection")


@pytest.fixture
def reviewing(org):
    fill_all(org)
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    return org


@pytest.fixture
def threads(monkeypatch):
    """Every thread the job runner would start, recorded instead of started."""
    started = []

    class Recorder:
        def __init__(self, *, target, daemon):
            started.append(target)

        def start(self):
            pass

    monkeypatch.setattr(jobs.threading, "Thread", Recorder)
    return started


def _units(run: ScoringRun) -> dict:
    return {u["unit"]: u for u in run.results["units"]}


def test_worker_mode_queues_the_job_and_starts_no_thread(reviewing, settings, threads):
    settings.GOVASSESS_JOBS = "thread"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert len(threads) == 1  # the recorder sees the thread mode's thread
    ScoringRun.objects.filter(pk=run.pk).update(status=JobStatus.FAILED)

    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert len(threads) == 1
    run.refresh_from_db()
    assert run.status == JobStatus.QUEUED and run.results is None
    # a queued job counts as running for the start function: no second one
    with pytest.raises(Exception, match="已有评分任务"):
        services.scoring_start(user=reviewing.office, round=reviewing.round)


def test_thread_mode_claims_and_runs_in_a_thread(reviewing, settings, monkeypatch):
    settings.GOVASSESS_JOBS = "thread"
    started = []

    class Joinable(jobs.threading.Thread):
        def start(self):
            started.append(self)
            super().start()

    monkeypatch.setattr(jobs.threading, "Thread", Joinable)
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    for t in started:
        t.join()
    run.refresh_from_db()
    assert len(started) == 1 and run.status == JobStatus.DONE, run.message
    assert _units(run)["D02"]["score"] == pytest.approx(46)  # 30 + 5 + 5 + 6, as below
    assert not AuditEntry.objects.filter(action="job_claim").exists()

    # a worker beside thread-mode processes got to the job first: the thread leaves it alone
    called = []

    def scoring_execute(pk, own_thread=False):
        called.append(pk)

    monkeypatch.setattr(services, "scoring_execute", scoring_execute)
    monkeypatch.setattr(jobs, "job_claim", lambda kind, pk, audit=True: False)
    services.scoring_start(user=reviewing.office, round=reviewing.round)
    for t in started:
        t.join()
    assert len(started) == 2 and called == []


def test_worker_once_runs_the_queued_job_like_the_synchronous_path(reviewing, settings, capsys):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert main(["web", "worker", "--once"]) == 0
    run.refresh_from_db()
    assert run.status == JobStatus.DONE, run.message
    units = _units(run)
    # D01: 90%×60 = 54; 是 → 20; 8/10×10 = 8; manual 7 → 89
    # D02: 50%×60 = 30; 否 → 5;  5/10×10 = 5; manual 6 → 46
    assert units["D01"]["score"] == pytest.approx(89)
    assert units["D02"]["score"] == pytest.approx(46)
    assert f"评分任务 #{run.pk}" in capsys.readouterr().out
    claim = AuditEntry.objects.get(action="job_claim", object_id=str(run.pk))
    assert claim.username == jobs.WORKER_NAME and claim.round_id == reviewing.round.pk

    sync = services.scoring_start(user=reviewing.office, round=reviewing.round, background=False)
    assert sync.status == JobStatus.DONE
    assert _units(sync) == units


def test_a_job_is_claimed_once(reviewing, settings, monkeypatch):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert jobs.job_claim(SCORING, run.pk) is True
    # the claim itself, repeated: the conditional update matches no row
    assert ScoringRun.objects.filter(pk=run.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING) == 0
    assert jobs.job_claim(SCORING, run.pk) is False
    real, called = services.scoring_execute, []
    monkeypatch.setattr(services, "scoring_execute", lambda pk: called.append(pk))
    # the worker takes the job's task row, but the job is someone else's: the task ends without running it
    assert jobs.worker_main(once=True) == 0
    assert called == []
    task_row = DBTaskResult.objects.get()
    assert task_row.status == "SUCCESSFUL" and task_row.return_value == "claimed elsewhere"
    # the execute function still runs a row that is already RUNNING
    real(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and _units(run)["D01"]["score"] == pytest.approx(89)


def test_stale_running_jobs_are_failed_on_start(reviewing, settings):
    settings.GOVASSESS_JOBS = "worker"
    three_hours_ago = timezone.now() - dt.timedelta(hours=3)

    def claimed_three_hours_ago(heartbeat_at):
        run = services.scoring_start(user=reviewing.office, round=reviewing.round)
        assert jobs.job_claim(SCORING, run.pk)
        ScoringRun.objects.filter(pk=run.pk).update(created_at=three_hours_ago, heartbeat_at=heartbeat_at)
        AuditEntry.objects.filter(action="job_claim", object_id=str(run.pk)).update(at=three_hours_ago)
        return run

    # silent for three hours: its process is gone
    old = claimed_three_hours_ago(heartbeat_at=three_hours_ago)
    assert main(["web", "worker", "--once", "--stale-minutes", "10"]) == 0
    old.refresh_from_db()
    assert old.status == JobStatus.FAILED and old.message == "任务所在进程已停止，请重新运行"
    entry = AuditEntry.objects.get(action="job_recover", object_id=str(old.pk))
    assert entry.after["status"] == "failed" and entry.round_id == reviewing.round.pk

    # a long job of a live process (it holds the job's owner lock): claimed three hours ago too, but it beat
    # a minute ago -> kept; the same job without a holder (its process died a second ago) -> failed at once
    long = claimed_three_hours_ago(heartbeat_at=timezone.now() - dt.timedelta(minutes=1))
    with SCORING.owner_lock(long.pk):
        assert SCORING.owner_alive(long.pk)
        assert main(["web", "worker", "--once", "--stale-minutes", "10"]) == 0
        long.refresh_from_db()
        assert long.status == JobStatus.RUNNING
        # --recover: the operator knows no other worker runs
        assert main(["web", "worker", "--once", "--recover"]) == 0
        long.refresh_from_db()
        assert long.status == JobStatus.FAILED and long.message == jobs.STALE_MESSAGE
    dead = claimed_three_hours_ago(heartbeat_at=timezone.now() - dt.timedelta(seconds=1))
    assert not SCORING.owner_alive(dead.pk)
    assert main(["web", "worker", "--once", "--stale-minutes", "10"]) == 0
    dead.refresh_from_db()
    assert dead.status == JobStatus.FAILED and dead.message == jobs.STALE_MESSAGE

    # a holder that stopped beating (a frozen process) is failed after the stale limit although it holds
    frozen = claimed_three_hours_ago(heartbeat_at=three_hours_ago)
    with SCORING.owner_lock(frozen.pk):
        assert main(["web", "worker", "--once", "--stale-minutes", "10"]) == 0
    frozen.refresh_from_db()
    assert frozen.status == JobStatus.FAILED


def test_a_crashing_job_is_failed_and_the_worker_goes_on(reviewing, settings, monkeypatch):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    ScoringRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    site = UnitSite.objects.create(unit=reviewing.d1, url="http://127.0.0.1:9/")
    rep = feeds_services.inspection_start(user=reviewing.office, site=site)
    assert rep.status == JobStatus.QUEUED

    def crash(pk):
        raise RuntimeError("boom")

    def inspected(pk):
        InspectionReport.objects.filter(pk=pk).update(status=JobStatus.DONE, message="完成")

    monkeypatch.setattr(services, "scoring_execute", crash)
    monkeypatch.setattr(feeds_services, "inspection_execute", inspected)
    assert main(["web", "worker", "--once"]) == 0
    run.refresh_from_db()
    rep.refresh_from_db()
    assert run.status == JobStatus.FAILED and run.message == jobs.CRASH_MESSAGE
    assert rep.status == JobStatus.DONE  # the next job (newer, another kind) still ran
    assert AuditEntry.objects.filter(action="job_fail", object_id=str(run.pk)).count() == 1
    # django-tasks-db keeps the escaped exception on the job's task row, for the operator
    crashed = DBTaskResult.objects.get(args_kwargs__args=["scoring", run.pk])
    assert crashed.status == "FAILED" and crashed.exception_class_path == "builtins.RuntimeError"
    assert "boom" in crashed.traceback
    assert DBTaskResult.objects.get(args_kwargs__args=["inspection", rep.pk]).status == "SUCCESSFUL"


def test_sigterm_finishes_the_current_job_then_exits(reviewing, settings, monkeypatch):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    ScoringRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    site = UnitSite.objects.create(unit=reviewing.d1, url="http://127.0.0.1:9/")
    rep = feeds_services.inspection_start(user=reviewing.office, site=site)
    real = services.scoring_execute

    def stopped_midway(pk):
        os.kill(os.getpid(), signal.SIGTERM)
        real(pk)

    monkeypatch.setattr(services, "scoring_execute", stopped_midway)
    before = signal.getsignal(signal.SIGTERM)
    # not --once: only the signal ends the loop
    assert jobs.worker_main(interval=60) == 0
    run.refresh_from_db()
    rep.refresh_from_db()
    assert run.status == JobStatus.DONE
    assert rep.status == JobStatus.QUEUED  # left for the next worker
    assert signal.getsignal(signal.SIGTERM) == before


def test_unknown_mode_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.GOVASSESS_JOBS = "celery"
    with pytest.raises(ImproperlyConfigured, match="thread 或 worker"):
        jobs.job_mode()


def test_worker_options(capsys):
    # Refused by the option's own type (finite, positive), before anything starts.
    for argv, needle in (
        (["web", "worker", "--interval", "0", "--once"], "参数 --interval 的值无效：应大于 0"),
        (["web", "worker", "--stale-minutes", "-5", "--once"], "参数 --stale-minutes 的值无效"),
        (["web", "worker", "--interval", "nan", "--once"], "不能是 NaN 或无穷大"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert needle in capsys.readouterr().err


def test_a_running_job_beats(reviewing, settings, monkeypatch):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert run.heartbeat_at is None
    assert jobs.job_claim(SCORING, run.pk)  # the claim is the first beat
    run.refresh_from_db()
    first = run.heartbeat_at
    assert first is not None
    assert jobs.beat(SCORING, run.pk) is True
    run.refresh_from_db()
    assert run.heartbeat_at >= first
    ScoringRun.objects.filter(pk=run.pk).update(status=JobStatus.DONE)
    assert jobs.beat(SCORING, run.pk) is False  # a finished job is not kept alive

    # while a job runs, the heartbeat thread beats until the job ends, then stops
    import threading

    beats, twice = [], threading.Event()

    def fake_beat(kind, pk):
        beats.append(pk)
        if len(beats) >= 2:
            twice.set()
        return True

    monkeypatch.setattr(jobs, "beat", fake_beat)
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.01)
    with jobs.heartbeat(SCORING, 7) as hb:
        assert twice.wait(30)
    assert not hb.thread.is_alive()  # joined: no beat after the job
    assert set(beats) == {7}


def test_worker_mode_writes_one_task_row_per_job(reviewing, settings):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    row = DBTaskResult.objects.get()
    assert row.task_path == "govassess.web.jobs.run_job" and row.backend_name == "database"
    assert row.args_kwargs == {"args": ["scoring", run.pk], "kwargs": {}} and row.status == "READY"


def test_a_queued_job_without_task_row_is_adopted_by_the_worker(reviewing, settings, threads):
    # Queued by a thread-mode process that stopped before its thread started: no task row exists.
    settings.GOVASSESS_JOBS = "thread"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert len(threads) == 1 and not DBTaskResult.objects.exists()
    assert main(["web", "worker", "--once"]) == 0
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and _units(run)["D02"]["score"] == pytest.approx(46)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    # a second worker start adopts nothing more: the job is done
    assert main(["web", "worker", "--once"]) == 0
    assert DBTaskResult.objects.count() == 1


def test_task_rows_of_a_killed_worker_are_closed_with_their_job(reviewing, settings):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    # as a worker leaves it when killed mid-job: task row RUNNING, job row RUNNING and silent for hours
    assert jobs.job_claim(SCORING, run.pk)
    DBTaskResult.objects.update(status="RUNNING")
    long_ago = timezone.now() - dt.timedelta(hours=3)
    ScoringRun.objects.filter(pk=run.pk).update(created_at=long_ago, heartbeat_at=long_ago)
    AuditEntry.objects.filter(action="job_claim").update(at=long_ago)
    assert main(["web", "worker", "--once"]) == 0
    run.refresh_from_db()
    row = DBTaskResult.objects.get()
    assert run.status == JobStatus.FAILED and run.message == jobs.STALE_MESSAGE
    assert row.status == "FAILED" and row.traceback == jobs.STALE_MESSAGE
    # the office starts it again; the next worker runs it
    again = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert main(["web", "worker", "--once"]) == 0
    again.refresh_from_db()
    assert again.status == JobStatus.DONE and _units(again)["D01"]["score"] == pytest.approx(89)


def test_a_long_running_worker_fails_dead_jobs_while_it_runs(reviewing, settings, monkeypatch):
    settings.GOVASSESS_JOBS = "worker"
    run = services.scoring_start(user=reviewing.office, round=reviewing.round)
    assert jobs.job_claim(SCORING, run.pk)  # RUNNING, and nobody holds its owner lock: its process died
    lines = []
    monkeypatch.setattr(jobs, "REAP_SECONDS", 0.05)
    with jobs.reaper(stale_minutes=10, say=lines.append):
        for _ in range(400):
            run.refresh_from_db()
            if run.status != JobStatus.RUNNING:
                break
            time.sleep(0.05)
    assert run.status == JobStatus.FAILED and run.message == jobs.STALE_MESSAGE
    assert lines == [f"评分任务 #{run.pk}：{jobs.STALE_MESSAGE}（已标记为失败）"]

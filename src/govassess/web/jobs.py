"""Where the long jobs (scoring runs, metrics runs, website inspections) run: django-tasks.

Every background job is the one django-tasks task ``run_job(kind, pk)`` (the backport of Django 6's tasks
API; settings.TASKS). ``settings.GOVASSESS_JOBS`` picks its backend per submission:
- ``"thread"`` (default): ``govassess.web.ops.backends.ThreadBackend``, a daemon thread of the web process,
  started when the job row is committed. Right for one process (`govassess serve`); refused under gunicorn,
  whose worker restarts would kill the job (govassess.web.wsgi).
- ``"worker"``: django-tasks-db's database backend; the start functions leave the job row QUEUED and write a
  task row; `govassess web worker` (any number of them, on any machine that reaches the database) runs
  django-tasks-db's worker loop, which takes one task row at a time (``SELECT … FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, an exclusive transaction on SQLite). Needs nothing but the database.

The job rows stay the truth users see. ``run_job`` claims its row with ``UPDATE … SET status=RUNNING WHERE
pk=… AND status=QUEUED``: exactly one claimant sees one updated row, on SQLite (one writer at a time) as on
PostgreSQL (the second UPDATE waits for the first to commit, then re-checks the condition), so a job never
runs twice whatever the task rows say. The worker's claims are audited (action ``job_claim``). While a job
runs, a small thread of the process running it writes the row's ``heartbeat_at`` every HEARTBEAT_SECONDS; a
RUNNING job whose last sign of life (heartbeat, else claim, else creation) is older than the stale limit was
left by a dead process (kill -9, power cut), however long the job itself takes.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks import TaskContext, TaskResultStatus, task
from django_tasks_db.management.commands.db_worker import Worker as _DBWorker

from govassess.web.ops.locks import JobHeld

log = logging.getLogger(__name__)
_Thread = threading.Thread  # bound at import: the heartbeat is not one of the job threads tests look for

MODES = ("thread", "worker")
WORKER_NAME = "后台任务进程"  # the audit log's 账号 for what the worker does
STALE_MESSAGE = "任务所在进程已停止，请重新运行"
HEARTBEAT_SECONDS = 30.0
CRASH_MESSAGE = "任务出现内部错误，请查看服务器日志。"


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    model: str  # app_label.ModelName
    execute: str  # module:function, looked up at call time (tests replace it)
    object_type: str  # as in the start function's audit entry

    def model_class(self):  # noqa: ANN201
        from django.apps import apps

        return apps.get_model(self.model)

    def execute_function(self) -> Callable[[int], None]:
        module, name = self.execute.split(":")
        return getattr(importlib.import_module(module), name)

    def owner_lock(self, pk: int):  # noqa: ANN201
        """Held while job `pk` runs here (ops/locks.py): a RUNNING job nobody holds it for is dead."""
        from govassess.web.ops.locks import OwnerLock

        return OwnerLock(self.name, KINDS.index(self), pk)

    def owner_alive(self, pk: int) -> bool:
        from govassess.web.ops.locks import owner_alive

        return owner_alive(self.name, KINDS.index(self), pk)


KINDS = (
    JobKind(
        "scoring",
        "评分任务",
        "rounds.ScoringRun",
        "govassess.web.rounds.services:scoring_execute",
        "scoring_run",
    ),
    JobKind(
        "metrics",
        "指标计算",
        "feeds.MetricsRun",
        "govassess.web.feeds.services:metrics_execute",
        "metrics_run",
    ),
    JobKind(
        "inspection",
        "网站检查",
        "feeds.InspectionReport",
        "govassess.web.feeds.services:inspection_execute",
        "inspection_report",
    ),
    JobKind(
        "sensitivity",
        "名次敏感性分析",
        "weighting.SensitivityRun",
        "govassess.web.weighting.services:sensitivity_execute",
        "sensitivity_run",
    ),
    JobKind(
        "documents",
        "评估文档生成",
        "documents.Document",
        "govassess.web.documents.services:document_execute",
        "document",
    ),
    JobKind(
        "reader",
        "评估报告阅读版本生成",
        "documents.ReaderVersion",
        "govassess.web.documents.services:reader_version_execute",
        "document_version",
    ),
)


def job_mode() -> str:
    mode = str(getattr(settings, "GOVASSESS_JOBS", None) or "thread").strip().lower()
    if mode not in MODES:
        raise ImproperlyConfigured(f"GOVASSESS_JOBS 应为 thread 或 worker，现在是「{mode}」")
    return mode


def kind_get(name: str) -> JobKind:
    return next(k for k in KINDS if k.name == name)


# The django-tasks backends (settings.TASKS): the in-process one is the default; "database" is
# django-tasks-db's, whose rows `govassess web worker` runs. Both are always configured, and the mode picks
# one per submission, so a change of GOVASSESS_JOBS needs no other setting.
THREAD_BACKEND = "default"
DATABASE_BACKEND = "database"


@task(takes_context=True)
def run_job(context: TaskContext, kind_name: str, pk: int) -> str:
    """The one django-tasks task: claim job `pk` of `kind_name` (QUEUED → RUNNING, exactly once), run its
    execute function while beating, and return the job's final status. An exception escaping the execute
    function marks the job FAILED (CRASH_MESSAGE, audited) and is re-raised, so the task result records it."""
    kind = kind_get(kind_name)
    in_worker = context.task_result.backend == DATABASE_BACKEND
    # The owner lock first, then the claim: a job is never RUNNING without a live holder of its lock.
    lock = kind.owner_lock(pk)
    try:
        lock.acquire()
    except JobHeld:
        return "claimed elsewhere"
    with lock:
        try:
            # Claimed like the worker does, so a thread and a worker never both run one job. Claims by the
            # worker are audited (action job_claim); a thread's is part of the start the user made.
            claimed = job_claim(kind, pk, audit=in_worker)
        except DatabaseError:
            log.exception("%s job %s: claim failed, left queued", kind.name, pk)
            connection.close()
            return "unclaimed"
        if not claimed:
            return "claimed elsewhere"
        try:
            with heartbeat(kind, pk):
                kind.execute_function()(pk)
        except Exception:
            log.exception("%s job %s escaped its execute function", kind.name, pk)
            close_old_connections()
            try:
                job_fail(kind, pk, CRASH_MESSAGE, action="job_fail")
            except DatabaseError:
                log.exception("could not mark %s job %s failed", kind.name, pk)
            raise
    obj = kind.model_class().objects.filter(pk=pk).only("status").first()
    return obj.status if obj is not None else "gone"


def job_submit(kind_name: str, pk: int, background: bool) -> None:
    """Called by the start functions once the QUEUED row exists (inside or after their transaction), with
    the job's kind ("scoring", "metrics", "inspection", "sensitivity", "documents", "reader").

    `background=False` runs the job now, in this thread (tests, the CLI, scheduled jobs). Otherwise the job
    is enqueued on django-tasks: a thread of this process once the transaction commits (GOVASSESS_JOBS=thread),
    or a task row for `govassess web worker` (worker), written in the caller's transaction if there is one."""
    kind = kind_get(kind_name)
    if not background:
        try:
            with kind.owner_lock(pk):
                kind.execute_function()(pk)
        except JobHeld:
            log.warning("%s job %s is already running elsewhere", kind.name, pk)
        return
    backend = DATABASE_BACKEND if job_mode() == "worker" else THREAD_BACKEND
    run_job.using(backend=backend).enqueue(kind.name, pk)


def _audit(kind: JobKind, obj, *, action: str, before: Any, after: Any) -> None:
    from govassess.web.audit.services import audit_record

    extra: dict[str, Any] = {}
    if kind.name in ("scoring", "sensitivity"):
        extra["round"] = obj.round
    elif kind.name == "inspection":
        extra["unit_code"] = obj.unit.code
    audit_record(
        user=None,
        action=action,
        object_type=kind.object_type,
        object_id=obj.pk,
        before=before,
        after=after,
        username=WORKER_NAME,
        **extra,
    )


def job_claim(kind: JobKind, pk: int, *, audit: bool = True) -> bool:
    """QUEUED → RUNNING for exactly one caller; False when someone else has it (or it is gone)."""
    from govassess.web.rounds.models import JobStatus

    model = kind.model_class()
    with transaction.atomic():
        n = model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, message="开始执行", heartbeat_at=timezone.now()
        )
        if n == 1 and audit:
            _audit(
                kind, model.objects.get(pk=pk), action="job_claim", before={"status": "queued"}, after=None
            )
    return n == 1


def job_fail(kind: JobKind, pk: int, message: str, *, action: str) -> bool:
    """RUNNING → FAILED with `message`, audited; False if the job is no longer RUNNING."""
    from govassess.web.rounds.models import JobStatus

    model = kind.model_class()
    with transaction.atomic():
        n = model.objects.filter(pk=pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, message=message, finished_at=timezone.now()
        )
        if n == 1:
            _audit(
                kind,
                model.objects.get(pk=pk),
                action=action,
                before={"status": "running"},
                after={"status": "failed", "message": message},
            )
    return n == 1


def beat(kind: JobKind, pk: int) -> bool:
    """Record that job `pk` is alive; False once it is no longer RUNNING (finished, failed, recovered)."""
    from govassess.web.rounds.models import JobStatus

    return (
        kind.model_class().objects.filter(pk=pk, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())
        == 1
    )


class heartbeat:  # noqa: N801 - used as `with heartbeat(kind, pk):`
    """Beat for job `pk` every HEARTBEAT_SECONDS from a thread of its own (own DB connection) while the
    block runs. A failed beat (the database busy or restarting) is logged and tried again next time."""

    def __init__(self, kind: JobKind, pk: int):
        self.kind, self.pk = kind, pk
        self.done = threading.Event()
        self.thread = _Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.done.wait(HEARTBEAT_SECONDS):
                try:
                    if not beat(self.kind, self.pk):
                        return
                except DatabaseError:
                    log.warning("%s job %s: heartbeat failed", self.kind.name, self.pk, exc_info=True)
                    connection.close()
        finally:
            connection.close()

    def __enter__(self) -> heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def _last_alive(kind: JobKind, obj) -> dt.datetime:
    """A RUNNING job's last sign of life: its heartbeat, else its latest worker claim, else its creation."""
    from govassess.web.audit.models import AuditEntry

    claimed = (
        AuditEntry.objects.filter(action="job_claim", object_type=kind.object_type, object_id=str(obj.pk))
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return max(t for t in (obj.created_at, claimed, obj.heartbeat_at) if t is not None)


def jobs_recover(
    *, stale_minutes: float = 10, everything: bool = False, kinds: tuple[str, ...] | None = None
) -> list[tuple[JobKind, int]]:
    """Jobs left RUNNING by a stopped process → FAILED with STALE_MESSAGE (audited, action job_recover).

    A job is left when nobody holds its owner lock (its process died: found at once, see ops/locks.py) or
    when it has been silent for more than `stale_minutes` (a live process beats every HEARTBEAT_SECONDS, so a
    holder that stopped beating is frozen). `everything`: every RUNNING job (the operator knows no job runs).
    `kinds`: only jobs of these kinds (a start function looking at its own kind)."""
    from govassess.web.rounds.models import JobStatus

    limit = timezone.now() - dt.timedelta(minutes=stale_minutes)
    failed = []
    for kind in KINDS:
        if kinds is not None and kind.name not in kinds:
            continue
        for obj in kind.model_class().objects.filter(status=JobStatus.RUNNING).order_by("created_at", "id"):
            left = everything or not kind.owner_alive(obj.pk) or _last_alive(kind, obj) < limit
            if left and job_fail(kind, obj.pk, STALE_MESSAGE, action="job_recover"):
                failed.append((kind, obj.pk))
    return failed


def jobs_queued() -> list[tuple[JobKind, int]]:
    """Every QUEUED job of every kind, oldest first."""
    from govassess.web.rounds.models import JobStatus

    found = []
    for kind in KINDS:
        rows = kind.model_class().objects.filter(status=JobStatus.QUEUED).values_list("created_at", "pk")
        found += [(created, kind.name, pk, kind) for created, pk in rows]
    found.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(kind, pk) for _, _, pk, kind in found]


def _job_of(db_result) -> tuple[JobKind, int] | None:
    """The (kind, pk) a django-tasks-db row runs, or None for a row of some other task."""
    if db_result.task_path != run_job.module_path:
        return None
    args = (db_result.args_kwargs or {}).get("args") or []
    try:
        return kind_get(str(args[0])), int(args[1])
    except (IndexError, StopIteration, TypeError, ValueError):
        return None


def jobs_adopt(backend: str = DATABASE_BACKEND) -> list[tuple[JobKind, int]]:
    """QUEUED job rows without a waiting task row get one on `backend`: left by a process killed between
    committing the row and starting its thread or writing its task row, by a worker killed between taking
    the task row and claiming the job, or queued while the mode was being changed. A second delivery of a job
    is harmless: only one run_job claims it."""
    from django_tasks_db.models import DBTaskResult

    waiting = {
        (job[0].name, job[1])
        for job in map(
            _job_of, DBTaskResult.objects.filter(task_path=run_job.module_path, status=TaskResultStatus.READY)
        )
        if job is not None
    }
    adopted = []
    for kind, pk in jobs_queued():
        if (kind.name, pk) not in waiting:
            run_job.using(backend=backend).enqueue(kind.name, pk)
            adopted.append((kind, pk))
    return adopted


def tasks_recover() -> int:
    """Task rows left RUNNING by a killed worker whose job is no longer running (recovered above, or
    finished) → FAILED, so the task table says what happened; the job rows are what users see."""
    from django_tasks_db.models import DBTaskResult

    from govassess.web.rounds.models import JobStatus

    n = 0
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, task_path=run_job.module_path):
        job = _job_of(row)
        alive = job is not None and job[0].model_class().objects.filter(
            pk=job[1], status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).exists()
        if not alive:
            n += DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path="govassess.web.jobs.StaleJob",
                traceback=STALE_MESSAGE,
            )
    return n


class Worker(_DBWorker):
    """The loop of `govassess web worker`: django-tasks-db's worker on the "database" backend, with Chinese
    progress lines and a stop that always lets the current job finish. A job's own errors are recorded by
    its execute function; an exception escaping it is recorded by run_job (job FAILED) and on the task row,
    and the loop goes on."""

    def __init__(self, *, interval: float = 2.0, once: bool = False, out: TextIO | None = None):
        super().__init__(
            queue_names=["default"],
            interval=interval,
            batch=once,
            backend_name=DATABASE_BACKEND,
            startup_delay=False,
            max_tasks=None,
            worker_id=f"govassess-{socket.gethostname()}-{os.getpid()}"[:64],
            excluded_queue_names=[],
        )
        self.out = out

    def say(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:  # noqa: ARG002
        if self.running:
            self.say("收到停止信号：当前任务完成后退出")
        self.running = False
        if not self.running_task:
            raise SystemExit(0)  # waiting between polls: nothing to finish

    def run_task(self, db_task_result) -> None:  # noqa: ANN001
        job = _job_of(db_task_result)
        if job is not None:
            self.say(f"开始：{job[0].label} #{job[1]}")
        try:
            super().run_task(db_task_result)
        finally:
            if job is not None:
                obj = job[0].model_class().objects.filter(pk=job[1]).first()
                if obj is not None:
                    self.say(f"结束：{job[0].label} #{job[1]}：{obj.get_status_display()}（{obj.message[:200]}）")


REAP_SECONDS = 60.0


class reaper:  # noqa: N801 - used as `with reaper(...):`
    """While a long-running worker waits and works, fail dead jobs every REAP_SECONDS (as at its start), so
    a job whose process was killed elsewhere (another worker, a web process) does not show "running" until
    the next restart. Own thread, own connection; a database error is logged and tried again next time."""

    def __init__(self, *, stale_minutes: float, say: Callable[[str], None]):
        self.stale_minutes, self.say = stale_minutes, say
        self.done = threading.Event()
        self.thread = _Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.done.wait(REAP_SECONDS):
                try:
                    for kind, pk in jobs_recover(stale_minutes=self.stale_minutes):
                        self.say(f"{kind.label} #{pk}：{STALE_MESSAGE}（已标记为失败）")
                except DatabaseError:
                    log.warning("job worker: recovery check failed", exc_info=True)
                    connection.close()
        finally:
            connection.close()

    def __enter__(self) -> reaper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def worker_main(
    *,
    interval: float = 2.0,
    once: bool = False,
    stale_minutes: float = 10,
    recover: bool = False,
    out: TextIO | None = None,
) -> int:
    """`govassess web worker`: recover stale jobs, give orphaned queued jobs a task row, then run the
    database backend's tasks until SIGTERM/SIGINT (exit 0), or until none is left (`once`)."""
    worker = Worker(interval=interval, once=once, out=out)
    for kind, pk in jobs_recover(stale_minutes=stale_minutes, everything=recover):
        worker.say(f"{kind.label} #{pk}：{STALE_MESSAGE}（已标记为失败）")
    tasks_recover()
    jobs_adopt()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, worker.shutdown)
    try:
        if once:
            worker.run()
        else:
            worker.say(f"任务进程已启动：每 {interval:g} 秒检查一次排队的任务（Ctrl+C 或 SIGTERM 停止）")
            with reaper(stale_minutes=stale_minutes, say=worker.say):
                worker.run()
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        connection.close()
    return 0

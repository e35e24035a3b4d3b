"""Where the long jobs (scoring runs, metrics runs, website inspections) run.

``settings.GOVASSESS_JOBS``:
- ``"thread"`` (default): a daemon thread of the web process, started when the job row is committed. Right
  for one process (`govassess serve`, a single gunicorn worker).
- ``"worker"``: the start functions only leave the row QUEUED; `govassess web worker` (any number of them,
  on any machine that reaches the database) claims queued rows with a conditional UPDATE and calls the same
  ``*_execute(pk)`` service function. Needs nothing but the database.

A claim is ``UPDATE … SET status=RUNNING WHERE pk=… AND status=QUEUED``: exactly one claimant sees one
updated row, on SQLite (one writer at a time) as on PostgreSQL (the second UPDATE waits for the first to
commit, then re-checks the condition). The worker's claims are audited (action ``job_claim``). While a job
runs, a small thread of the process running it writes the row's ``heartbeat_at`` every HEARTBEAT_SECONDS; a
RUNNING job whose last sign of life (heartbeat, else claim, else creation) is older than the stale limit was
left by a dead process, however long the job itself takes.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

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
)


def job_mode() -> str:
    mode = str(getattr(settings, "GOVASSESS_JOBS", None) or "thread").strip().lower()
    if mode not in MODES:
        raise ImproperlyConfigured(f"GOVASSESS_JOBS 应为 thread 或 worker，现在是「{mode}」")
    return mode


def job_submit(kind_name: str, pk: int, background: bool) -> None:
    """Called by the start functions once the QUEUED row exists (inside or after their transaction), with
    the job's kind ("scoring", "metrics", "inspection", "sensitivity").

    `background=False` runs the job now, in this thread (tests, the CLI, scheduled jobs)."""
    kind = next(k for k in KINDS if k.name == kind_name)
    execute = kind.execute_function()
    if not background:
        execute(pk)
        return
    if job_mode() == "worker":
        return  # the row stays QUEUED; a `govassess web worker` process claims it

    def run() -> None:
        # Claimed like the worker does, so a worker running beside thread-mode processes never doubles a job.
        try:
            claimed = job_claim(kind, pk, audit=False)
        except DatabaseError:
            log.exception("%s job %s: claim failed, left queued", kind.name, pk)
            claimed = False
        if claimed:
            with heartbeat(kind, pk):
                execute(pk, own_thread=True)  # closes this thread's connection
        else:
            connection.close()

    transaction.on_commit(lambda: threading.Thread(target=run, daemon=True).start())


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


def jobs_recover(*, stale_minutes: float = 10, everything: bool = False) -> list[tuple[JobKind, int]]:
    """Jobs left RUNNING by a stopped process → FAILED with STALE_MESSAGE. Without `everything`, only those
    silent for more than `stale_minutes` (a live process beats every HEARTBEAT_SECONDS)."""
    from govassess.web.rounds.models import JobStatus

    limit = timezone.now() - dt.timedelta(minutes=stale_minutes)
    failed = []
    for kind in KINDS:
        for obj in kind.model_class().objects.filter(status=JobStatus.RUNNING).order_by("created_at", "id"):
            if (everything or _last_alive(kind, obj) < limit) and job_fail(
                kind, obj.pk, STALE_MESSAGE, action="job_recover"
            ):
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


class Worker:
    """The loop of `govassess web worker`. A job's own errors are recorded by its execute function; an
    exception escaping it is logged and the job marked FAILED, and the loop goes on."""

    def __init__(self, *, interval: float = 2.0, out: TextIO | None = None):
        self.interval = interval
        self.out = out
        self.stopping = False

    def say(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def stop(self, signum=None, frame=None) -> None:  # noqa: ARG002
        if not self.stopping:
            self.say("收到停止信号：当前任务完成后退出")
        self.stopping = True

    def run_job(self, kind: JobKind, pk: int) -> bool:
        """Claim and run one job; False if another worker claimed it first."""
        if not job_claim(kind, pk):
            return False
        self.say(f"开始：{kind.label} #{pk}")
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
        obj = kind.model_class().objects.filter(pk=pk).first()
        if obj is not None:
            self.say(f"结束：{kind.label} #{pk}：{obj.get_status_display()}（{obj.message[:200]}）")
        return True

    def run_queued(self) -> int:
        """Run queued jobs until none is left (or a stop signal); returns how many this worker ran."""
        ran = 0
        skipped: set[tuple[str, int]] = set()
        while not self.stopping:
            close_old_connections()
            todo = [(k, pk) for k, pk in jobs_queued() if (k.name, pk) not in skipped]
            if not todo:
                break
            kind, pk = todo[0]
            if self.run_job(kind, pk):
                ran += 1
            else:
                skipped.add((kind.name, pk))
        return ran

    def run(self, *, once: bool = False) -> int:
        while True:
            try:
                self.run_queued()
            except DatabaseError:
                # The database restarting must not end the worker; it tries again after the interval.
                log.exception("job worker: database error while polling")
                connection.close()
            if once or self.stopping:
                return 0
            end = time.monotonic() + self.interval
            while not self.stopping and time.monotonic() < end:
                time.sleep(min(0.5, self.interval))


def worker_main(
    *,
    interval: float = 2.0,
    once: bool = False,
    stale_minutes: float = 10,
    recover: bool = False,
    out: TextIO | None = None,
) -> int:
    """`govassess web worker`: recover stale jobs, then run queued jobs until SIGTERM/SIGINT (exit 0)."""
    worker = Worker(interval=interval, out=out)
    for kind, pk in jobs_recover(stale_minutes=stale_minutes, everything=recover):
        worker.say(f"{kind.label} #{pk}：{STALE_MESSAGE}（已标记为失败）")
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, worker.stop)
    try:
        if not once:
            worker.say(f"任务进程已启动：每 {interval:g} 秒检查一次排队的任务（Ctrl+C 或 SIGTERM 停止）")
        return worker.run(once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        connection.close()

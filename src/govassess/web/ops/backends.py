"""The in-process task backend of django-tasks (GOVASSESS_JOBS=thread, the default).

django-tasks ships an immediate backend (runs the task in the caller's thread, before the response) and
django-tasks-db a database backend (a `db_worker` process runs it). The demo and a single web process need a
third kind: the task runs in a daemon thread of this process, started once the enqueuing transaction has
committed (so the thread sees the job row). Its outcome is kept on the returned TaskResult only, like the
immediate backend's; the job's own row (ScoringRun, MetricsRun, InspectionReport) is what pages read.
"""

from __future__ import annotations

import threading

from django.db import connection, transaction
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id


class ThreadBackend(ImmediateBackend):
    supports_async_task = False

    def enqueue(self, task, args, kwargs):  # noqa: ANN001, ANN201 - the base class's signature
        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )

        def run() -> None:
            try:
                self._execute_task(result)  # records an escaped exception on `result`, never raises it
            finally:
                connection.close()  # this thread's own connection must not outlive it

        # Looked up at call time (threading.Thread), so tests can record the threads instead of starting them.
        transaction.on_commit(lambda: threading.Thread(target=run, daemon=True).start())
        return result

"""WSGI entry point for production servers (gunicorn / uWSGI): ``govassess.web.wsgi:application``."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govassess.web.settings")
application = get_wsgi_application()


class ThreadJobsUnderGunicorn(ImproperlyConfigured, RuntimeError):
    """Refusal to serve with GOVASSESS_JOBS=thread under gunicorn (a RuntimeError too: gunicorn prints those as one
    line, "Error: …", when the app is loaded with --preload, instead of a traceback)."""


def _refuse_thread_jobs_under_gunicorn() -> None:
    # In thread mode a job runs in a thread of the worker process that took the request: gunicorn ends workers on
    # --timeout, --max-requests and every reload, and the job dies with them (found only later as failed by its
    # heartbeat); with several workers nothing coordinates them. The in-process default is for `govassess serve`.
    from django.conf import settings

    # gunicorn's arbiter sets SERVER_SOFTWARE before it loads the app (in the master with --preload, else in each
    # worker it forks); a mere import of gunicorn (a test, a tool) does not.
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/") and settings.GOVASSESS_JOBS == "thread":
        raise ThreadJobsUnderGunicorn(
            "GOVASSESS_JOBS=thread（默认值）不能用于 gunicorn：后台任务会在处理请求的工作进程里以线程运行，"
            "gunicorn 因超时、--max-requests 或重新加载而结束工作进程时任务随之中断。"
            "请设置 GOVASSESS_JOBS=worker 并启动任务进程（deploy/govassess-worker.service，见 docs/deployment.md）；"
            "演示与单机试用请用 govassess serve。"
        )


_refuse_thread_jobs_under_gunicorn()


def _warm_up() -> None:
    """Import the evaluation core and compile the main templates before the first request (no database
    access), so the first users after a (re)start do not wait for it. With `gunicorn --preload` this runs
    once in the master and is shared by the workers."""
    from django.template.loader import get_template

    import govassess.data  # noqa: F401
    import govassess.data.template  # noqa: F401
    import govassess.scoring  # noqa: F401

    for name in (
        "rounds/unit_form.html",
        "rounds/round_detail.html",
        "rounds/dashboard.html",
        "rounds/scorecard.html",
        "rounds/results.html",
        "accounts/login.html",
    ):
        get_template(name)


if os.environ.get("GOVASSESS_WARM_UP", "1") == "1":
    _warm_up()

"""WSGI entry point for production servers (gunicorn / uWSGI): ``govassess.web.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govassess.web.settings")
application = get_wsgi_application()


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

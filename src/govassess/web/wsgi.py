"""WSGI entry point for production servers (gunicorn / uWSGI): ``govassess.web.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govassess.web.settings")
application = get_wsgi_application()

"""The project's one authentication backend: Django's ModelBackend behind the login throttle.

Being the backend (not a form), the throttle applies to every caller of authenticate(): the login page,
/admin/login/, and anything added later.
"""

from __future__ import annotations

import contextvars

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from govassess.web.accounts import throttle
from govassess.web.audit.middleware import request_ip

# Set while authenticate() reports a refused (throttled) attempt, so the login_failed receiver records it as
# refused and does not count it as a failure (which would let refused attempts stretch the wait forever).
_refused: contextvars.ContextVar[throttle.Wait | None] = contextvars.ContextVar("login_refused", default=None)


def take_refusal() -> throttle.Wait | None:
    wait = _refused.get()
    _refused.set(None)
    return wait


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        ip = request_ip(request) if request is not None else None
        wait = throttle.login_wait(username=username, ip=ip)
        if wait is not None:
            _refused.set(wait)
            if request is not None:
                request.login_wait = wait  # for the form's message
            # PermissionDenied stops authenticate() at once; Django then sends user_login_failed.
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)

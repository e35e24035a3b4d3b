"""Logins, failed logins and logouts go to the audit log; failed ones also drive the login throttle."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from govassess.web.audit.services import audit_record


def _ip(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit_record(user=user, action="login", object_type="account", object_id=user.pk, ip=_ip(request))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(user=user, action="logout", object_type="account", object_id=user.pk, ip=_ip(request))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    from govassess.web.accounts.backends import take_refusal

    username = str((credentials or {}).get("username", ""))[:150]
    wait = take_refusal()
    if wait is not None:
        # Refused by the throttle, the password unchecked: recorded, but not counted as a failure.
        audit_record(
            user=None,
            username=username,
            action="login_throttled",
            object_type="account",
            object_id=username,
            ip=_ip(request),
            after={"wait_seconds": wait.seconds, "by": wait.by},
        )
        return
    audit_record(
        user=None,
        username=username,
        action="login_failed",
        object_type="account",
        object_id=username,
        ip=_ip(request),
    )

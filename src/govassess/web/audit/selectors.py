"""Reading the audit log (office only)."""

from __future__ import annotations

from django.db.models import QuerySet

from govassess.web.audit.models import AuditEntry


def audit_list(
    *, round=None, unit_code: str = "", indicator: str = "", action: str = ""
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("user")
    if round is not None:
        qs = qs.filter(round=round)
    if unit_code:
        qs = qs.filter(unit_code=unit_code)
    if indicator:
        qs = qs.filter(indicator=indicator)
    if action:
        qs = qs.filter(action=action)
    return qs


def login_failures_since(*, username: str, since) -> int:
    return AuditEntry.objects.filter(action="login_failed", username=username, at__gte=since).count()


def login_failures_from_ip(*, ip: str, since) -> int:
    """Failed logins from one address across all accounts (password spraying)."""
    return AuditEntry.objects.filter(action="login_failed", ip=ip, at__gte=since).count()


def login_failures(*, username: str, since) -> tuple[int, object]:
    """(failed logins of one account since `since`, the latest one's time)."""
    from django.db.models import Count, Max

    row = AuditEntry.objects.filter(action="login_failed", username=username, at__gte=since).aggregate(
        n=Count("id"), latest=Max("at")
    )
    return row["n"], row["latest"]


def login_failed_accounts_from_ip(*, ip: str, since) -> tuple[int, object]:
    """(different accounts that failed to log in from one address since `since`, the latest failure's time)."""
    from django.db.models import Count, Max

    row = AuditEntry.objects.filter(action="login_failed", ip=ip, at__gte=since).aggregate(
        n=Count("username", distinct=True), latest=Max("at")
    )
    return row["n"], row["latest"]


def last_login_at(*, username: str):
    from django.db.models import Max

    return AuditEntry.objects.filter(action="login", username=username).aggregate(t=Max("at"))["t"]

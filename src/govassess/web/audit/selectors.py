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


def audit_search(*, round, params) -> tuple[QuerySet[AuditEntry], list[str]]:
    """The round's audit log filtered as a person asks: actor by account or name, unit by code or name,
    indicator by code or name, action (code from the page's list), dates (Beijing time, inclusive).
    Returns the entries and the Chinese messages of filters that could not be read (those are not applied)."""
    from datetime import datetime, time, timedelta

    from django.db.models import Q
    from django.utils import timezone

    from govassess.web.organisation.models import Unit
    from govassess.web.systems.selectors import system_fields

    qs = AuditEntry.objects.select_related("user", "round__system").filter(round=round)
    errors: list[str] = []
    actor = (params.get("actor") or "").strip()
    if actor:
        qs = qs.filter(Q(username__icontains=actor) | Q(user__first_name__icontains=actor))
    unit = (params.get("unit") or "").strip()
    if unit:
        codes = list(
            Unit.objects.filter(Q(code__iexact=unit) | Q(name__icontains=unit)).values_list("code", flat=True)
        )
        qs = qs.filter(unit_code__in=codes + [unit])
    indicator = (params.get("indicator") or "").strip()
    if indicator:
        codes = {f.indicator for f in system_fields(round.system) if indicator in (f.indicator_name or "")}
        qs = qs.filter(indicator__in=codes | {indicator})
    action = (params.get("action") or "").strip()
    if action:
        qs = qs.filter(action=action)
    for key, label, end in (("date_from", "起始日期", False), ("date_to", "截止日期", True)):
        text = (params.get(key) or "").strip()
        if not text:
            continue
        try:
            day = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            errors.append(f"{label}「{text}」无法识别，应为 年-月-日（如 2021-06-30）；未按该条件筛选。")
            continue
        moment = timezone.make_aware(datetime.combine(day + timedelta(days=1) if end else day, time.min))
        qs = qs.filter(at__lt=moment) if end else qs.filter(at__gte=moment)
    return qs, errors


def audit_actions(*, round) -> list[tuple[str, str]]:
    """(code, Chinese label) of the actions that occur in the round's log, for the filter's list."""
    from govassess.web.audit.display import ACTION_LABELS

    codes = AuditEntry.objects.filter(round=round).values_list("action", flat=True).distinct()
    return sorted(((c, ACTION_LABELS.get(c, c)) for c in set(codes)), key=lambda p: p[1])


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

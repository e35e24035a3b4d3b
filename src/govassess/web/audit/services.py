"""Writing the audit log. Every service that changes data calls `audit_record` in the same transaction."""

from __future__ import annotations

from typing import Any

from govassess.web.audit.middleware import current_ip
from govassess.web.audit.models import AuditEntry


def audit_entry(
    *,
    user,
    action: str,
    object_type: str,
    object_id: Any = "",
    round=None,
    unit_code: str = "",
    indicator: str = "",
    before: Any = None,
    after: Any = None,
    username: str | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """An unsaved entry, for a service that writes many at once (bulk_create in its transaction)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry(
        user=user if authenticated else None,
        username=username if username is not None else (user.get_username() if authenticated else ""),
        ip=ip or current_ip(),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        round=round,
        unit_code=unit_code or "",
        indicator=indicator or "",
        before=before,
        after=after,
    )


def audit_record(**kwargs: Any) -> AuditEntry:
    entry = audit_entry(**kwargs)
    entry.save()
    return entry

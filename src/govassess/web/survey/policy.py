"""Who may see and change a survey campaign (server-side; views and services both call these)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id


def is_office(user) -> bool:
    return user_role(user=user) == Role.OFFICE


def can_view_unit(user, unit) -> bool:
    """A unit's survey: the office, and the unit's own fillers. Nobody else (other units never see it)."""
    role = user_role(user=user)
    if role == Role.OFFICE:
        return True
    return role == Role.FILLER and unit is not None and user_unit_id(user=user) == unit.pk


def require_office(user) -> None:
    if not is_office(user):
        raise PermissionDenied("只有评估办可以执行此操作。")


def require_unit(user, unit) -> None:
    if not can_view_unit(user, unit):
        raise PermissionDenied("只能查看和填报本单位的调查表。")


def effective_deadline(campaign, unit):
    ext = campaign.extensions.filter(unit=unit).first()
    return ext.deadline if ext else campaign.deadline


def require_open(campaign, unit) -> None:
    deadline = effective_deadline(campaign, unit)
    if timezone.now() > deadline:
        raise UserError(
            f"本单位调查表已于 {timezone.localtime(deadline):%Y-%m-%d %H:%M} 截止填报（已锁定）；"
            "如需修改，请联系评估办延期。"
        )

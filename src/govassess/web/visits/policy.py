"""Who may record, see and change 暗访 visits. Built on govassess.web.rounds.policy (roles, the lock, states).

A mystery visit must stay a mystery: units never see visits before the preliminary publication; afterwards a
unit sees its own counted visits' outcomes — never the visitor, the evidence or the excluded ones. Visitors are
reviewers (评审/复核专家) the office assigns to the round's plan; the office may record visits too."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.rounds import policy
from govassess.web.rounds.models import Round, RoundState

NOT_PUBLISHED = "暗访结果在本轮初步结果公示后才向被评估单位公开。"
NOT_VISITOR = "您不是本轮的暗访人员（由评估办在暗访安排中指定）。"


def is_visitor(user, round: Round) -> bool:
    plan = getattr(round, "visit_plan", None)
    return plan is not None and plan.visitors.filter(pk=user.pk).exists()


def can_record(user, round: Round) -> bool:
    """Recording visits (and editing one's own): the office, and reviewers assigned to this round."""
    if not policy.can_view_round(user, round):
        return False
    role = user_role(user=user)
    return role == Role.OFFICE or (role == Role.REVIEWER and is_visitor(user, round))


def can_view_page(user, round: Round) -> bool:
    role = user_role(user=user)
    if can_record(user, round):
        return True
    return (role == Role.FILLER and policy.can_view_round(user, round)
            and policy.state_at_least(round, RoundState.PRELIMINARY))


def require_page(user, round: Round) -> None:
    if can_view_page(user, round):
        return
    if user_role(user=user) == Role.FILLER:
        raise PermissionDenied(NOT_PUBLISHED)
    raise PermissionDenied("您无权查看本轮暗访记录。")


def visible_visits(user, round: Round):
    """The visits this user may list: all (office), their own (visitors), the unit's counted ones after the
    publication (fillers, shown without visitor and evidence)."""
    from govassess.web.visits.models import Visit

    qs = Visit.objects.filter(round=round).select_related("unit", "visitor")
    role = user_role(user=user)
    if role == Role.OFFICE:
        return qs
    if role == Role.REVIEWER and can_record(user, round):
        return qs.filter(visitor=user)
    if role == Role.FILLER and can_view_page(user, round):
        return qs.filter(unit_id=user_unit_id(user=user), excluded=False)
    return qs.none()


def shows_visitor(user) -> bool:
    return user_role(user=user) in (Role.OFFICE, Role.REVIEWER)


def require_manage(user) -> None:
    policy.require(policy.can_manage(user), "只有评估办可以安排暗访、排除暗访记录和写入指标数据。")


def require_edit(user, visit) -> None:
    """Change a visit: its visitor (still assigned) or the office, while the round is not locked."""
    role = user_role(user=user)
    own = visit.visitor_id == user.pk and can_record(user, visit.round)
    policy.require(role == Role.OFFICE or own, "只能修改本人记录的暗访。")
    policy.require_unlocked(visit.round)


def can_download(user, vfile) -> bool:
    visit = vfile.visit
    if user_role(user=user) == Role.OFFICE:
        return policy.can_view_round(user, visit.round)
    return visit.visitor_id == user.pk and can_record(user, visit.round)

"""Who may use the evaluation methods (server-side; views and services both call these).

- AHP tasks, objective weights, applying weights, starting sensitivity: the office only.
- An invited expert (a reviewer account) sees and fills only the tasks they are invited to.
- Sensitivity results: the office and reviewers, from the moment they may see the round's results; on the
  appeal page only for the appealing unit. Units, providers and leaders get none of it: a unit would read
  other units' ranks and intervals in it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role
from govassess.web.rounds import policy as round_policy
from govassess.web.rounds.models import Round, RoundState


def is_office(user) -> bool:
    return user_role(user=user) == Role.OFFICE


def require_office(user) -> None:
    if not is_office(user):
        raise PermissionDenied("只有评估办可以执行此操作。")


def is_invited(user, task) -> bool:
    return user_role(user=user) == Role.REVIEWER and task.invitations.filter(expert=user).exists()


def can_view_task(user, task) -> bool:
    return is_office(user) or is_invited(user, task)


def require_view_task(user, task) -> None:
    if not can_view_task(user, task):
        raise PermissionDenied("您未受邀参加该赋权任务。")


def require_fill(user, task) -> None:
    """Only the invited expert fills their own matrix, and only while the system is still a draft."""
    if not is_invited(user, task):
        raise PermissionDenied("只有受邀专家可以填写判断矩阵。")
    require_draft_system(task.system)


def rounds_using(system):
    return Round.objects.filter(system=system).exclude(state=RoundState.DRAFT)


def is_draft_system(system) -> bool:
    """A system no round has started collecting with: its weights may still change."""
    return not rounds_using(system).exists()


def require_draft_system(system) -> None:
    used = list(rounds_using(system).values_list("name", flat=True)[:3])
    if used:
        raise UserError(
            f"指标体系「{system.name}」已被评估轮次（{'、'.join(used)}）使用，不能再修改权重；"
            "请在草稿体系（尚未开始填报的体系）上赋权，应用后会生成新的体系版本。"
        )


def can_view_sensitivity(user, round: Round) -> bool:
    return user_role(user=user) in (Role.OFFICE, Role.REVIEWER) and round_policy.can_view_results(user, round)


def require_view_sensitivity(user, round: Round) -> None:
    if not can_view_sensitivity(user, round):
        raise PermissionDenied("名次敏感性分析仅供评估办和评审专家在结果发布审核阶段查看。")


def require_start_sensitivity(user, round: Round) -> None:
    require_office(user)
    require_view_sensitivity(user, round)
    round_policy.require_unlocked(round)

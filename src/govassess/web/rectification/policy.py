"""Who may see and do what with 整改任务. Built on govassess.web.rounds.policy — the same rules as inputs: a unit's
own fillers see and answer its tasks, reviewers and the office see every task and review answers, the office
creates tasks and closes the list; providers and leaders see none. Tasks follow the lock: they are created
after the round is final (published), and worked on until the office closes the round's task list."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role
from govassess.web.rounds import policy
from govassess.web.rounds.models import Round, RoundState

NOT_PUBLISHED = "本轮评估结果尚未定稿发布：定稿（锁定）后才能下达整改任务。"
CLOSED = "本轮整改任务清单已关闭，不能再修改。"
DENIED = "您无权查看该单位的整改任务。"


def can_view_tasks(user, round: Round, unit) -> bool:
    """One unit's tasks: as its evidence (its own fillers, reviewers, the office; providers and leaders not)."""
    return policy.can_view_evidence(user, round, unit)


def can_view_all(user) -> bool:
    return policy.can_review(user)


def require_view(user, task) -> None:
    if not can_view_tasks(user, task.round, task.unit):
        raise PermissionDenied(DENIED)


def require_office(user) -> None:
    policy.require(policy.can_manage(user), "只有评估办可以下达和关闭整改任务。")


def require_open(task_list) -> None:
    if task_list is not None and task_list.closed:
        raise UserError(CLOSED)


def check_create(user, round: Round) -> None:
    from govassess.web.rectification.models import TaskList

    require_office(user)
    if round.state != RoundState.FINAL:
        raise UserError(NOT_PUBLISHED)
    require_open(TaskList.objects.filter(round=round).first())


def check_answer(user, task) -> None:
    from govassess.web.rectification.models import TaskStatus

    policy.require(user_role(user=user) == Role.FILLER and policy.is_own_unit(user, task.unit),
                   "只有被评估单位本单位的账号可以答复整改任务。")
    require_open(task.task_list)
    if task.status not in (TaskStatus.OPEN, TaskStatus.RETURNED):
        raise UserError(f"该整改任务当前状态为「{task.get_status_display()}」，不能再次提交。")


def can_answer(user, task) -> bool:
    try:
        check_answer(user, task)
    except (PermissionDenied, UserError):
        return False
    return True


def check_review(user, task) -> None:
    from govassess.web.rectification.models import TaskStatus

    policy.require(policy.can_review(user), "只有评审专家和评估办可以复核整改情况。")
    require_open(task.task_list)
    if task.status != TaskStatus.SUBMITTED:
        raise UserError(f"该整改任务当前状态为「{task.get_status_display()}」，没有待复核的整改情况。")


def can_review(user, task) -> bool:
    try:
        check_review(user, task)
    except (PermissionDenied, UserError):
        return False
    return True


def check_change(user, task) -> None:
    """Editing or withdrawing one task: the office, while the list is open, on a task not yet accepted (an
    accepted task is a closed case) nor withdrawn."""
    from govassess.web.rectification.models import TaskStatus

    policy.require(policy.can_manage(user), "只有评估办可以修改或撤销整改任务。")
    require_open(task.task_list)
    if task.status == TaskStatus.ACCEPTED:
        raise UserError("该整改任务已复核通过，不能再修改或撤销。")
    if task.status == TaskStatus.WITHDRAWN:
        raise UserError("该整改任务已撤销，不能再修改或撤销。")


def can_change(user, task) -> bool:
    try:
        check_change(user, task)
    except (PermissionDenied, UserError):
        return False
    return True

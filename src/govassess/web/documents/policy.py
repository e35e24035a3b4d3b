"""Who may generate, publish and download the round's documents. Built on govassess.web.rounds.policy: the
unit's 成绩单 follows can_view_scorecard (the same 403 as the scorecard page), everything needs a final round
(ranks and the lock time exist only then)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.rounds import policy
from govassess.web.rounds.models import JobStatus, Round, RoundState

NOT_FINAL = "本轮评估尚未定稿：定稿（锁定）后才能生成通报、评估报告和成绩单。"
NOT_PUBLISHED = "本轮结果尚未发布：定稿发布后才能下载成绩单。"


def require_office(user) -> None:
    policy.require(policy.can_manage(user), "只有评估办可以生成和发布评估文档。")


def require_final(round: Round) -> None:
    if round.state != RoundState.FINAL:
        raise UserError(NOT_FINAL)


def reader_is_unit(user) -> bool:
    return user_role(user=user) == Role.FILLER and user_unit_id(user=user) is not None


def can_download(user, document) -> bool:
    """The office: every finished document, published or not. A published 通报: anyone who may read the
    round's published results. A published 评估报告: the leaders; the evaluated units only once it is also
    published to them (向被评估单位公开), and then in their own anonymised version (services.reader_file)."""
    if document.status != JobStatus.DONE or not document.file_path:
        return False
    if policy.can_manage(user):
        return True
    if not document.published or document.round.state != RoundState.FINAL:
        return False
    if document.kind == "bulletin":
        return policy.can_view_results(user, document.round)
    role = user_role(user=user)
    if role == Role.LEADER:
        return True
    return document.units_published and reader_is_unit(user)


def require_scorecard_document(user, round: Round, unit) -> None:
    """A unit's 成绩单 document: who may see that unit's scorecard, once the round's results are published."""
    if not policy.can_view_scorecard(user, round, unit):
        raise PermissionDenied("您无权查看该单位的成绩单。")
    policy.require(round.state == RoundState.FINAL, NOT_PUBLISHED)

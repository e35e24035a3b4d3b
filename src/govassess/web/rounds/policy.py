"""Who may see and do what, per role, unit, indicator and round state. Server-side, used by every view,
the API and the services themselves (a service never trusts its caller)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.rounds.models import Round, RoundState, Submission, SubmissionStatus
from govassess.web.systems.selectors import InputField, assigned_indicators

LOCKED_MESSAGE = "本轮评估已定稿（已锁定），不能再修改任何数据；如需更正，请联系评估办。"
ORDER = [
    RoundState.DRAFT,
    RoundState.COLLECTING,
    RoundState.REVIEWING,
    RoundState.PRELIMINARY,
    RoundState.FINAL,
]


def state_at_least(round: Round, state: str) -> bool:
    return ORDER.index(round.state) >= ORDER.index(state)


def is_own_unit(user, unit) -> bool:
    return unit is not None and user_unit_id(user=user) == unit.pk


def require(allowed: bool, message: str = "您没有权限执行此操作。") -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_unlocked(round: Round) -> None:
    if round.locked:
        raise UserError(LOCKED_MESSAGE)


# ---- seeing -------------------------------------------------------------------------------------------


def can_view_round(user, round: Round) -> bool:
    role = user_role(user=user)
    if role == Role.OFFICE:
        return True
    if role == Role.LEADER:
        return round.state == RoundState.FINAL
    return role is not None and round.state != RoundState.DRAFT


def can_view_unit_data(user, round: Round, unit) -> bool:
    """Inputs and evidence of one unit (providers see inputs of their indicators only, filtered elsewhere)."""
    role = user_role(user=user)
    if not can_view_round(user, round):
        return False
    if role in (Role.OFFICE, Role.REVIEWER, Role.PROVIDER):
        return True
    if role == Role.FILLER:
        return is_own_unit(user, unit)
    return False


def can_view_evidence(user, round: Round, unit, kind: str = "unit") -> bool:
    """A unit's evidence: its unit, reviewers and the office (providers do not judge evidence). Review
    attachments (kind "review"): reviewers and the office only."""
    role = user_role(user=user)
    if role == Role.PROVIDER:
        return False
    if kind != "unit" and role not in (Role.OFFICE, Role.REVIEWER):
        return False
    return can_view_unit_data(user, round, unit)


def can_view_results(user, round: Round) -> bool:
    """The office's full preliminary results table and the ranking."""
    role = user_role(user=user)
    if role in (Role.OFFICE, Role.REVIEWER):
        return state_at_least(round, RoundState.REVIEWING)
    return round.state == RoundState.FINAL and role is not None


def can_view_scorecard(user, round: Round, unit) -> bool:
    """One unit's indicator-level scores: its own unit from the preliminary publication on; office and
    reviewers always; leaders once final. Other units' scorecards stay closed to fillers (totals only)."""
    role = user_role(user=user)
    if role in (Role.OFFICE, Role.REVIEWER):
        return state_at_least(round, RoundState.REVIEWING)
    if role == Role.FILLER:
        return is_own_unit(user, unit) and state_at_least(round, RoundState.PRELIMINARY)
    if role == Role.LEADER:
        return round.state == RoundState.FINAL
    return False


def can_manage(user) -> bool:
    return user_role(user=user) == Role.OFFICE


def can_review(user) -> bool:
    return user_role(user=user) in (Role.OFFICE, Role.REVIEWER)


# ---- editing ------------------------------------------------------------------------------------------


def effective_deadline(round: Round, unit):
    ext = round.extensions.filter(unit=unit).first() if unit is not None else None
    return ext.deadline if ext else round.deadline


def unit_may_fill(round: Round, unit) -> tuple[bool, str]:
    """Whether a unit's filler may change its own inputs now, and if not, why (Chinese)."""
    if round.locked:
        return False, LOCKED_MESSAGE
    sub = Submission.objects.filter(round=round, unit=unit).first()
    status = sub.status if sub else SubmissionStatus.DRAFT
    if round.state == RoundState.COLLECTING:
        if status in (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED):
            return False, "本单位数据已提交，审核退回后才能修改。"
        deadline = effective_deadline(round, unit)
        if deadline is not None and timezone.now() > deadline and status != SubmissionStatus.RETURNED:
            return False, f"填报已于 {timezone.localtime(deadline):%Y-%m-%d %H:%M} 截止。"
        return True, ""
    if round.state == RoundState.REVIEWING and status == SubmissionStatus.RETURNED:
        return True, ""
    return False, f"本轮评估当前状态为「{round.get_state_display()}」，不在填报期内。"


def check_edit_input(user, round: Round, unit, field: InputField, *, memo: dict | None = None) -> None:
    """Raise PermissionDenied (wrong role/unit/indicator) or UserError (wrong time) for one input.
    `memo`: a dict shared across calls of one request, so checking many inputs costs a few queries."""
    memo = {} if memo is None else memo
    if "role" not in memo:
        memo["role"] = user_role(user=user)
    role = memo["role"]
    if role == Role.OFFICE:
        require_unlocked(round)
        return
    if role == Role.FILLER:
        require(is_own_unit(user, unit) and field.owner == "unit", "只能填报本单位的自报指标。")
        key = ("fill", unit.pk)
        if key not in memo:
            memo[key] = unit_may_fill(round, unit)
        ok, why = memo[key]
        if not ok:
            raise UserError(why, indicator=field.indicator, field=field.input)
        return
    if role == Role.PROVIDER:
        if "assigned" not in memo:
            memo["assigned"] = assigned_indicators(system=round.system, user=user)
        require(
            field.indicator in memo["assigned"],
            f"指标 {field.indicator} 未分配给本部门。",
        )
        require_unlocked(round)
        if round.state not in (RoundState.COLLECTING, RoundState.REVIEWING):
            raise UserError(f"本轮评估当前状态为「{round.get_state_display()}」，不接受部门数据。")
        return
    if role == Role.REVIEWER:
        require(field.owner == "reviewer", "评审专家只能录入人工评分和加减分项。")
        require_unlocked(round)
        if round.state not in (RoundState.COLLECTING, RoundState.REVIEWING):
            raise UserError(f"本轮评估当前状态为「{round.get_state_display()}」，不能录入评分。")
        return
    raise PermissionDenied("您没有权限修改数据。")


def check_edit_internal_note(user, round: Round) -> None:
    """The reviewers' 内部意见 beside a stored value: reviewers and the office write it until the round is
    final (appeals are decided during the preliminary publication, so that state included)."""
    require(user_role(user=user) in (Role.OFFICE, Role.REVIEWER), "只有评审专家和评估办可以填写内部意见。")
    require_unlocked(round)
    if round.state == RoundState.DRAFT:
        raise UserError("本轮评估尚未开始填报，不能填写内部意见。")


def can_edit_internal_note(user, round: Round) -> bool:
    try:
        check_edit_internal_note(user, round)
    except (PermissionDenied, UserError):
        return False
    return True


def check_add_evidence(user, round: Round, unit) -> str:
    """Who may add a file to a unit's indicator, and as what (an EvidenceKind value): the unit's own
    fillers add its evidence while the unit may fill; reviewers (and the office) add review attachments,
    kept apart and never shown to the unit, while the round is collected or reviewed; providers and
    everyone else nothing. Raises PermissionDenied (wrong person) or UserError (wrong time)."""
    from govassess.web.rounds.models import EvidenceKind

    role = user_role(user=user)
    if role == Role.FILLER and is_own_unit(user, unit):
        ok, why = unit_may_fill(round, unit)
        if not ok:
            raise UserError(why)
        return EvidenceKind.UNIT
    if role in (Role.REVIEWER, Role.OFFICE):
        require_unlocked(round)
        if round.state not in (RoundState.COLLECTING, RoundState.REVIEWING):
            raise UserError(f"本轮评估当前状态为「{round.get_state_display()}」，不能上传评审附件。")
        return EvidenceKind.REVIEW
    raise PermissionDenied("只有被评估单位本单位的账号可以上传佐证材料。")


def check_delete_evidence(user, evidence) -> None:
    """Only the uploader deletes a file, and only while it could still have been added: a unit's evidence
    before the unit submits, a review attachment while the round is reviewed. Appeal files stay."""
    from govassess.web.rounds.models import EvidenceKind

    require(
        evidence.uploaded_by_id is not None and evidence.uploaded_by_id == getattr(user, "pk", None),
        "只有上传者本人可以删除该文件。",
    )
    require(evidence.appeal_id is None, "申诉材料提交后不能删除。")
    round = evidence.round
    require_unlocked(round)
    if evidence.kind == EvidenceKind.UNIT:
        ok, why = unit_may_fill(round, evidence.unit)
        if not ok:
            raise UserError(why)
    elif round.state not in (RoundState.COLLECTING, RoundState.REVIEWING):
        raise UserError(f"本轮评估当前状态为「{round.get_state_display()}」，不能删除评审附件。")


def can_delete_evidence(user, evidence) -> bool:
    try:
        check_delete_evidence(user, evidence)
    except (PermissionDenied, UserError):
        return False
    return True


def check_appeal(user, unit) -> None:
    require(user_role(user=user) == Role.FILLER and is_own_unit(user, unit), "只能为本单位提出申诉。")


def can_edit_field(user, round: Round, unit, field: InputField, *, memo: dict | None = None) -> bool:
    try:
        check_edit_input(user, round, unit, field, memo=memo)
    except (PermissionDenied, UserError):
        return False
    return True


def visible_fields(user, round: Round, fields: list[InputField]) -> list[InputField]:
    """Fields whose values a user may read for a unit it may see (providers: assigned indicators)."""
    role = user_role(user=user)
    if role == Role.PROVIDER:
        mine = assigned_indicators(system=round.system, user=user)
        return [f for f in fields if f.indicator in mine]
    return fields


@dataclass(frozen=True)
class Readable:
    """What one user may read of one input of one unit: the value, whether also its note, and whether the
    reviewers' private remark (内部意见) beside it."""

    field: InputField
    note: bool
    internal: bool = False


def readable_fields(user, round: Round, unit, fields: list[InputField]) -> dict[tuple[str, str], Readable]:
    """THE per-field read decision for one unit's stored inputs, used by the API, the pages and the exports.
    Keyed by (indicator, input); a field absent from the result must not be shown at all.

    - office and reviewers: everything;
    - providers: the inputs of the indicators assigned to them;
    - the unit's own fillers: their own inputs with notes; provider figures, expert scores and the
      reviewers' reasons beside them only from the publication of the preliminary results on: before, they
      are the evaluation's working; after, they are the explanation of every lost point that the unit
      reads on its scorecard and argues against in an appeal;
    - anyone else (other units, leaders): nothing.

    The reviewers' 内部意见 (`internal`): office and reviewers only, in every state of the round."""
    if not can_view_unit_data(user, round, unit):
        return {}
    role = user_role(user=user)
    if role in (Role.OFFICE, Role.REVIEWER):
        return {(f.indicator, f.input): Readable(f, True, internal=True) for f in fields}
    if role == Role.PROVIDER:
        mine = assigned_indicators(system=round.system, user=user)
        return {(f.indicator, f.input): Readable(f, True) for f in fields if f.indicator in mine}
    if role == Role.FILLER and is_own_unit(user, unit):
        published = state_at_least(round, RoundState.PRELIMINARY)
        out = {}
        for f in fields:
            if f.owner == "unit":
                out[(f.indicator, f.input)] = Readable(f, True)
            elif published:
                out[(f.indicator, f.input)] = Readable(f, True)
        return out
    return {}

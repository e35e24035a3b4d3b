"""Write-side workflow of a round: lifecycle, inputs, evidence, submissions, appeals, scoring, annual results.

Every function is keyword-only, checks permissions itself (rounds.policy), validates values through the
evaluation core and writes an audit entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from govassess.errors import Problem, UserError
from govassess.web.accounts.models import Profile, Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.audit.services import audit_record
from govassess.web.jobs import job_submit, jobs_recover
from govassess.web.organisation.models import Unit
from govassess.web.organisation.selectors import unit_list, units_frame
from govassess.web.rounds import policy
from govassess.web.rounds.models import (
    AnnualResult,
    Appeal,
    AppealStatus,
    Evidence,
    EvidenceKind,
    Extension,
    InputValue,
    JobStatus,
    Notification,
    Round,
    RoundState,
    ScoringRun,
    Submission,
    SubmissionStatus,
)
from govassess.web.systems.models import System
from govassess.web.systems.selectors import InputField, system_core, system_fields

log = logging.getLogger(__name__)

# ---- errors --------------------------------------------------------------------------------------------


class InputConflict(UserError):
    """Two users changed the same value: the later save is refused and shown both values."""

    def __init__(self, *, field: InputField, mine: str, theirs: str, by: str):
        self.mine, self.theirs, self.by = mine, theirs, by
        super().__init__(
            f"该值已被 {by or '其他用户'} 修改为「{theirs}」，您提交的是「{mine}」；请确认后重新保存。",
            indicator=field.indicator,
            field=field.input,
        )


# ---- notifications -------------------------------------------------------------------------------------


def notification_send(*, users, message: str, link: str = "") -> None:
    Notification.objects.bulk_create([Notification(user=u, message=message[:500], link=link) for u in users])


def unit_fillers(unit):
    return [p.user for p in Profile.objects.filter(role=Role.FILLER, unit=unit).select_related("user")]


def _round_users(rnd: Round, *roles):
    """The active accounts a round concerns: fillers of the units it evaluates, provider departments with an
    indicator of its system, reviewers, leaders — not the fillers of another class of units, nor a provider
    that has nothing to report in this system."""
    from govassess.web.rounds.selectors import round_units
    from govassess.web.systems.models import Assignment, AssignmentKind

    profiles = Profile.objects.filter(role__in=roles, user__is_active=True).select_related("user")
    out = []
    unit_ids = set(round_units(rnd).values_list("pk", flat=True)) if Role.FILLER in roles else set()
    providers = (
        set(
            Assignment.objects.filter(system=rnd.system, kind=AssignmentKind.PROVIDER).values_list(
                "user_id", flat=True
            )
        )
        if Role.PROVIDER in roles
        else set()
    )
    for p in profiles:
        if p.role == Role.FILLER and p.unit_id not in unit_ids:
            continue
        if p.role == Role.PROVIDER and p.user_id not in providers:
            continue
        out.append(p.user)
    return out


def _indicator_label(rnd: Round, code: str) -> str:
    """「2 接入方式」: the indicator's code with its name, as the unit knows it."""
    for f in system_fields(rnd.system):
        if f.indicator == code and f.indicator_name:
            return f"{code}「{f.indicator_name}」"
    return code


# ---- round lifecycle -----------------------------------------------------------------------------------

TRANSITIONS = {
    RoundState.DRAFT: {RoundState.COLLECTING},
    RoundState.COLLECTING: {RoundState.REVIEWING},
    RoundState.REVIEWING: {RoundState.COLLECTING, RoundState.PRELIMINARY},
    RoundState.PRELIMINARY: {RoundState.REVIEWING, RoundState.FINAL},
    RoundState.FINAL: set(),
}


def round_create(*, user, system: System, name: str, deadline: datetime | None = None) -> Round:
    policy.require(policy.can_manage(user))
    with transaction.atomic():
        rnd = Round.objects.create(system=system, name=name, deadline=deadline)
        audit_record(
            user=user,
            action="round_create",
            object_type="round",
            object_id=rnd.pk,
            round=rnd,
            after={
                "name": name,
                "system": system.slug,
                "deadline": deadline.isoformat() if deadline else None,
            },
        )
    return rnd


SYSTEM_LOCKED_MESSAGE = "本轮已有填报数据，不能更换指标体系；如需换用其他体系，请新建轮次。"


def round_update(
    *,
    user,
    round: Round,
    name: str,
    deadline: datetime | None,
    appeal_deadline=None,
    system: System | None = None,
) -> Round:
    """Change a round's settings. `system` None keeps the system; a different one is refused once the
    round holds inputs (they belong to the old system's indicators). The audit entry lists each changed
    field with its value read from the database before the change (not from a form's bound instance)."""
    policy.require(policy.can_manage(user))
    with transaction.atomic():
        current = Round.objects.select_for_update().select_related("system").get(pk=round.pk)
        policy.require_unlocked(current)
        new_system = system or current.system
        if new_system.pk != current.system_id and current.inputs.exists():
            raise UserError(SYSTEM_LOCKED_MESSAGE, field="指标体系")
        before = {
            "name": current.name,
            "system": current.system.slug,
            "deadline": _iso(current.deadline),
            "appeal_deadline": _iso(current.appeal_deadline),
        }
        after = {
            "name": name,
            "system": new_system.slug,
            "deadline": _iso(deadline),
            "appeal_deadline": _iso(appeal_deadline),
        }
        changed = [k for k in before if before[k] != after[k]]
        current.name, current.deadline, current.appeal_deadline = name, deadline, appeal_deadline
        current.system = new_system
        current.save()
        if changed:
            audit_record(
                user=user,
                action="round_update",
                object_type="round",
                object_id=current.pk,
                round=current,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    round.refresh_from_db()
    return round


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def round_latest_run(round: Round) -> ScoringRun | None:
    return round.runs.filter(status=JobStatus.DONE).order_by("-created_at", "-id").first()


def round_transition(*, user, round: Round, to_state: str, appeal_deadline: datetime | None = None) -> Round:
    policy.require(policy.can_manage(user))
    if to_state not in RoundState.values:
        raise UserError(f"未知的轮次状态「{to_state}」。")
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=round.pk)
        policy.require_unlocked(rnd)
        if to_state not in TRANSITIONS[rnd.state]:
            raise UserError(f"不能从「{rnd.get_state_display()}」转到「{RoundState(to_state).label}」。")
        if to_state in (RoundState.PRELIMINARY, RoundState.FINAL):
            latest = round_latest_run(rnd)
            if latest is None:
                raise UserError("尚未完成评分，请先运行评分。")
            changed_after = rnd.inputs.filter(updated_at__gt=latest.created_at).exists()
            if changed_after:
                raise UserError("评分后又有数据被修改，请重新运行评分后再发布。")
        if to_state == RoundState.FINAL:
            pending = rnd.appeals.filter(status=AppealStatus.PENDING).count()
            if pending:
                raise UserError(f"还有 {pending} 件申诉未处理，不能定稿。")
        before = rnd.state
        rnd.state = to_state
        if to_state == RoundState.PRELIMINARY:
            rnd.appeal_deadline = appeal_deadline or rnd.appeal_deadline
        if to_state == RoundState.FINAL:
            rnd.finalised_at = timezone.now()
        rnd.save()
        audit_record(
            user=user,
            action="round_state",
            object_type="round",
            object_id=rnd.pk,
            round=rnd,
            before={"state": before},
            after={"state": to_state},
        )
        label = RoundState(to_state).label
        roles = (Role.FILLER, Role.PROVIDER, Role.REVIEWER)
        notification_send(
            users=_round_users(rnd, *roles, *((Role.LEADER,) if to_state == RoundState.FINAL else ())),
            message=f"「{rnd.name}」进入「{label}」阶段。",
            link=f"/rounds/{rnd.pk}/",
        )
    round.refresh_from_db()
    return round


def extension_set(*, user, round: Round, unit: Unit, deadline: datetime, reason: str = "") -> Extension:
    policy.require(policy.can_manage(user))
    policy.require_unlocked(round)
    with transaction.atomic():
        ext = Extension.objects.filter(round=round, unit=unit).first()
        before = {"deadline": _iso(ext.deadline)} if ext else None
        if ext is None:
            ext = Extension(round=round, unit=unit)
        ext.deadline, ext.reason = deadline, reason
        ext.save()
        audit_record(
            user=user,
            action="extension_set",
            object_type="extension",
            object_id=ext.pk,
            round=round,
            unit_code=unit.code,
            before=before,
            after={"deadline": _iso(deadline), "reason": reason},
        )
        notification_send(
            users=unit_fillers(unit),
            message=f"「{round.name}」填报截止时间已延期至 {timezone.localtime(deadline):%Y-%m-%d %H:%M}。",
            link=f"/rounds/{round.pk}/",
        )
    return ext


# ---- inputs --------------------------------------------------------------------------------------------


def _field(round: Round, indicator: str, input: str) -> InputField:
    for f in system_fields(round.system):
        if f.indicator == indicator and f.input == input:
            return f
    raise UserError(f"指标体系中没有输入「{input}」", indicator=indicator)


def _validate(round: Round, unit: Unit, rows: list[dict[str, Any]], source: str):
    """Let the core check values (types, choices, ranges); its located UserError reaches the user as is."""
    from govassess.data import inputs_from_rows

    return inputs_from_rows(system_core(round.system), units_frame([unit]), rows, source=source)


def _source_for(user) -> str:
    return {
        Role.FILLER: "网页填报",
        Role.PROVIDER: "部门提供",
        Role.REVIEWER: "评审录入",
        Role.OFFICE: "评估办录入",
    }.get(user_role(user=user), "网页填报")


def input_value_set(
    *,
    user,
    round: Round,
    unit: Unit,
    indicator: str,
    input: str,
    value: str,
    note: str = "",
    expected_version: int | None = None,
    source: str | None = None,
    check: bool = True,
) -> InputValue | None:
    """Save one value. `expected_version` is the version the user's form was built from (optimistic lock);
    None means "no value existed". An empty value clears the input. Returns the stored row (None if cleared)."""
    field = _field(round, indicator, input)
    if check:
        policy.check_edit_input(user, round, unit, field)
    value = (value or "").strip()
    note = (note or "").strip()
    src = source or _source_for(user)
    # Manual scores and bonus / penalty entries always carry their reason.
    needs_reason = field.needs_note or field.kind == "score" or field.node_kind in ("bonus", "penalty")
    if needs_reason and value and not note:
        raise UserError("该项必须在说明中写明理由。", indicator=indicator, field=input)
    if value:
        _validate(
            round,
            unit,
            [
                {
                    "unit": unit.code,
                    "indicator": indicator,
                    "input": input,
                    "value": value,
                    "note": note or None,
                }
            ],
            src,
        )
    with transaction.atomic():
        current = (
            InputValue.objects.select_for_update()
            .filter(round=round, unit=unit, indicator=indicator, input=input)
            .first()
        )
        if current is not None and expected_version is not None and current.version != expected_version:
            raise InputConflict(
                field=field,
                mine=value,
                theirs=current.value,
                by=current.updated_by.get_username() if current.updated_by else "",
            )
        if current is not None and expected_version is None and check and current.value != value:
            # The form was built when there was no value; someone created one meanwhile.
            raise InputConflict(
                field=field,
                mine=value,
                theirs=current.value,
                by=current.updated_by.get_username() if current.updated_by else "",
            )
        before = {"value": current.value, "note": current.note} if current else None
        if not value:
            if current is not None:
                current.delete()
                # The reviewers' 内部意见 goes with the value: the (office-only) audit keeps it.
                cleared = {**before, "internal_note": current.internal_note} if current.internal_note else before
                audit_record(
                    user=user,
                    action="input_clear",
                    object_type="input",
                    object_id=f"{indicator}/{input}",
                    round=round,
                    unit_code=unit.code,
                    indicator=indicator,
                    before=cleared,
                    after=None,
                )
            return None
        after = {"value": value, "note": note}
        if before == after:
            return current
        if current is None:
            try:
                # A savepoint: SELECT … FOR UPDATE locked nothing while no value existed, so a simultaneous
                # first save (two clerks, a double click) may take the unique index first. Then this save
                # is decided like any save that finds a value: a conflict for a form, an overwrite for an
                # import or the API (check=False) — never a 500.
                with transaction.atomic():
                    current = InputValue.objects.create(
                        round=round,
                        unit=unit,
                        indicator=indicator,
                        input=input,
                        value=value,
                        note=note,
                        source=src,
                        updated_by=user if user and user.is_authenticated else None,
                    )
                    created = True
            except IntegrityError:
                created = False
                current = InputValue.objects.select_for_update().get(
                    round=round, unit=unit, indicator=indicator, input=input
                )
                before = {"value": current.value, "note": current.note}
                if before == after:
                    return current
                if check and current.value != value:
                    raise InputConflict(
                        field=field,
                        mine=value,
                        theirs=current.value,
                        by=current.updated_by.get_username() if current.updated_by else "",
                    ) from None
        else:
            created = False
        if not created:
            InputValue.objects.filter(pk=current.pk).update(
                value=value,
                note=note,
                source=src,
                version=F("version") + 1,
                updated_by=user if user and user.is_authenticated else None,
                updated_at=timezone.now(),
            )
            current.refresh_from_db()
        audit_record(
            user=user,
            action="input_set",
            object_type="input",
            object_id=f"{indicator}/{input}",
            round=round,
            unit_code=unit.code,
            indicator=indicator,
            before=before,
            after=after,
        )
    return current


def input_internal_note_set(
    *, user, round: Round, unit: Unit, indicator: str, input: str, text: str, expected: str | None = None
) -> InputValue:
    """Write the reviewers' 内部意见 beside a stored value (policy.check_edit_internal_note). It does not
    change the value, its version or `updated_at`: no score depends on it, so the results stay current.
    `expected`: the text the form was built from; another reviewer's change meanwhile is a conflict."""
    field = _field(round, indicator, input)
    policy.check_edit_internal_note(user, round)
    text = (text or "").strip()
    with transaction.atomic():
        current = (
            InputValue.objects.select_for_update()
            .filter(round=round, unit=unit, indicator=indicator, input=input)
            .first()
        )
        if current is None:
            raise UserError("该项尚未录入值，不能单独填写内部意见。", indicator=indicator, field=input)
        if expected is not None and current.internal_note != expected.strip():
            raise UserError(
                f"「{field.label}」的内部意见已被他人修改，请刷新页面后再改。", indicator=indicator, field=input
            )
        if current.internal_note == text:
            return current
        before = {"internal_note": current.internal_note}
        InputValue.objects.filter(pk=current.pk).update(internal_note=text)
        current.internal_note = text
        audit_record(
            user=user,
            action="input_internal_note",
            object_type="input",
            object_id=f"{indicator}/{input}",
            round=round,
            unit_code=unit.code,
            indicator=indicator,
            before=before,
            after={"internal_note": text},
        )
    return current


def input_values_save_form(
    *, user, round: Round, unit: Unit, entries: list[dict[str, Any]]
) -> tuple[int, list[UserError]]:
    """Save the changed entries of a fill form, each independently (a conflict on one value must not lose
    the others). entries: {indicator, input, value, note, version}. Returns (saved, problems)."""
    saved, problems = 0, []
    for e in entries:
        try:
            input_value_set(
                user=user,
                round=round,
                unit=unit,
                indicator=e["indicator"],
                input=e["input"],
                value=e.get("value", ""),
                note=e.get("note", ""),
                expected_version=e.get("version"),
            )
            saved += 1
        except UserError as err:
            problems.append(err)
    return saved, problems


def internal_notes_save_form(
    *, user, round: Round, unit: Unit, entries: list[dict[str, Any]]
) -> tuple[int, list[UserError]]:
    """Save the changed 内部意见 of a form (after its values: a remark needs a stored value).
    entries: {indicator, input, text, expected}."""
    saved, problems = 0, []
    for e in entries:
        try:
            input_internal_note_set(user=user, round=round, unit=unit, **e)
            saved += 1
        except UserError as err:
            problems.append(err)
    return saved, problems


def input_rows_check(
    *, user, round: Round, rows, scope_unit: Unit | None = None, unchanged=None, memo: dict | None = None
) -> list[dict]:
    """The permission screen of an import or an API push, run BEFORE any stored value is looked at on the
    user's behalf: a row is checked against the user's rights unless the user may read that value anyway and
    `unchanged(row)` says it repeats the stored one (a pre-filled template sent back). A filler's rows are
    scoped to its own unit first, so a row for another unit and one for a unit that does not exist get the
    same answer. Raises UserError (all problems, located) and returns the rows to store."""
    policy.require_unlocked(round)
    role = user_role(user=user)
    if role == Role.FILLER:
        own = Unit.objects.filter(pk=user_unit_id(user=user)).first()
        if own is None or (scope_unit is not None and scope_unit.pk != own.pk):
            raise PermissionDenied("只能填报本单位的数据。")
        # Decided on the codes as sent, before any lookup: one answer for every unit that is not its own.
        if any(str(row["unit"]) != own.code for row in rows):
            raise PermissionDenied(f"只能导入本单位（{own.code}）的数据。")
        scope_unit = own
    fields = {(f.indicator, f.input): f for f in system_fields(round.system)}
    units = {u.code: u for u in Unit.objects.all()}
    readable: dict[int, dict] = {}
    memo = {} if memo is None else memo
    problems: list[Problem] = []
    out = []
    for i, row in enumerate(rows, 1):
        where = {"row": row.get("_row") or i}
        code, ind, inp = str(row["unit"]), str(row["indicator"]), str(row["input"])
        if scope_unit is not None and code != scope_unit.code:
            problems.append(
                Problem(f"只能导入本单位（{scope_unit.code}）的数据。", indicator=ind, field=inp, **where)
            )
            continue
        unit = units.get(code)
        field = fields.get((ind, inp))
        if unit is None or field is None:
            problems.append(Problem("评估对象或输入不存在", indicator=ind, field=inp, **where))
            continue
        if unchanged is not None:
            if unit.pk not in readable:
                readable[unit.pk] = policy.readable_fields(user, round, unit, list(fields.values()))
            if (ind, inp) in readable[unit.pk] and unchanged(row):
                continue
        try:
            policy.check_edit_input(user, round, unit, field, memo=memo)
        except PermissionDenied as err:
            problems.append(Problem(f"{unit.code}：{err}", indicator=ind, field=inp, **where))
            continue
        except UserError as err:
            problems.extend(Problem(p.message, indicator=ind, field=inp, **where) for p in err.problems)
            continue
        out.append(row)
    if problems:
        raise UserError(problems=problems)
    return out


def input_values_import(
    *, user, round: Round, frame, scope_unit: Unit | None = None, source: str | None = None
) -> int:
    """Store a frame returned by the core's `read_inputs` (columns unit, indicator, input, value, note).
    All-or-nothing: every row is permission-checked first (input_rows_check); one refusal changes nothing.
    Returns how many values changed."""
    policy.require_unlocked(round)
    stored = {
        (code, ind, inp): (val, note or "")
        for code, ind, inp, val, note in InputValue.objects.filter(round=round).values_list(
            "unit__code", "indicator", "input", "value", "note"
        )
    }

    def unchanged(row) -> bool:
        value = "" if row["value"] is None else str(row["value"])
        key = (str(row["unit"]), str(row["indicator"]), str(row["input"]))
        return stored.get(key, ("", "")) == (value, str(row.get("note") or ""))

    rows = input_rows_check(
        user=user,
        round=round,
        rows=list(frame.iter_rows(named=True)),
        scope_unit=scope_unit,
        unchanged=unchanged,
    )
    src = source or _source_for(user)
    units = {u.code: u for u in Unit.objects.filter(code__in={str(r["unit"]) for r in rows})}
    with transaction.atomic():
        for row in rows:
            value = "" if row["value"] is None else str(row["value"])
            input_value_set(
                user=user,
                round=round,
                unit=units[str(row["unit"])],
                indicator=str(row["indicator"]),
                input=str(row["input"]),
                value=value,
                note=str(row.get("note") or ""),
                source=src,
                check=False,
            )
    return len(rows)


# ---- evidence ------------------------------------------------------------------------------------------

ALLOWED_EVIDENCE = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".png": ("image/png", (b"\x89PNG",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF8",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    ".ppt": ("application/vnd.ms-powerpoint", (b"\xd0\xcf\x11\xe0",)),
    ".wps": ("application/vnd.ms-works", (b"\xd0\xcf\x11\xe0",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
}


def check_evidence_file(upload) -> tuple[str, str]:
    name = Path(upload.name or "").name
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED_EVIDENCE:
        raise UserError(
            f"文件「{name}」类型不允许；允许：PDF、图片（PNG/JPG/GIF）、Office 文档"
            "（DOC/DOCX/XLS/XLSX/PPT/PPTX/WPS）、OFD。",
            field="佐证材料",
        )
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        limit = settings.EVIDENCE_MAX_BYTES / 1024 / 1024
        raise UserError(f"文件「{name}」超过大小上限 {limit:g} MB。", field="佐证材料")
    if upload.size == 0:
        raise UserError(f"文件「{name}」是空文件。", field="佐证材料")
    content_type, magics = ALLOWED_EVIDENCE[ext]
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(m) for m in magics):
        raise UserError(f"文件「{name}」的内容与扩展名 {ext} 不符。", field="佐证材料")
    return name, content_type


def evidence_add(
    *, user, round: Round, unit: Unit, indicator: str, upload, appeal: Appeal | None = None
) -> Evidence:
    # Rights first (they do not depend on the indicator), then the indicator and the file.
    kind = policy.check_add_evidence(user, round, unit) if appeal is None else EvidenceKind.UNIT
    if not any(f.indicator == indicator for f in system_fields(round.system)):
        raise UserError("指标体系中没有该指标", indicator=indicator)
    name, content_type = check_evidence_file(upload)
    digest = hashlib.sha256()
    rel_dir = Path(str(round.pk)) / unit.code
    target_dir = Path(settings.EVIDENCE_DIR) / rel_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    sweep_upload_leftovers(target_dir, {Path(p).name for p in Evidence.objects.filter(round=round, unit=unit)
                                        .values_list("stored_path", flat=True)})
    stored = rel_dir / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    final = Path(settings.EVIDENCE_DIR) / stored
    # The bytes go to a .part file first and get their final name only as the last step of the transaction that
    # stores the row: an error removes them, and a kill -9 leaves at most a .part file (or, in the instant of the
    # commit, an unreferenced file) that the next upload into the folder sweeps (sweep_upload_leftovers).
    part = final.with_name(f".{final.name}.part")
    size = 0
    try:
        with open(part, "wb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        with transaction.atomic():
            ev = Evidence.objects.create(
                round=round,
                unit=unit,
                indicator=indicator,
                kind=kind,
                appeal=appeal,
                original_name=name[:255],
                stored_path=str(stored),
                sha256=digest.hexdigest(),
                size=size,
                content_type=content_type,
                uploaded_by=user,
            )
            audit_record(
                user=user,
                action="evidence_add",
                object_type="evidence",
                object_id=ev.pk,
                round=round,
                unit_code=unit.code,
                indicator=indicator,
                after={"file": name, "sha256": ev.sha256, "size": size, "kind": kind},
            )
            part.replace(final)
    except BaseException:
        part.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    return ev


# A file younger than this may belong to an upload still in progress in another process.
EVIDENCE_LEFTOVER_AGE = 3600
_UPLOAD_NAME = re.compile(r"^\.?[0-9a-f]{32}\.[a-z0-9]+(\.part)?$")


def sweep_upload_leftovers(folder: Path, referenced: Collection[str]) -> list[Path]:
    """Remove what a killed upload left in `folder`, older than EVIDENCE_LEFTOVER_AGE: .part files, and stored
    files whose name is not in `referenced` (the kill came between the rename and the commit). Returns the
    files removed. Only the names such uploads get are touched: `<32 hex>.<ext>`, written first as
    `.<that>.part` and renamed as the last step of the transaction storing the row. The one sweep of uploaded
    files: evidence (evidence_add) and 文档模板 logos (documents.templating.template_save)."""
    cutoff = time.time() - EVIDENCE_LEFTOVER_AGE
    removed = []
    for path in folder.iterdir():
        if not path.is_file() or not _UPLOAD_NAME.match(path.name):
            continue
        if (path.name.endswith(".part") or path.name not in referenced) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def evidence_path(evidence: Evidence) -> Path:
    root = Path(settings.EVIDENCE_DIR).resolve()
    path = (root / evidence.stored_path).resolve()
    if root not in path.parents:
        raise PermissionDenied("非法的文件路径")
    return path


def evidence_delete(*, user, evidence: Evidence) -> None:
    """The uploader takes a file back (policy.check_delete_evidence)."""
    policy.check_delete_evidence(user, evidence)
    evidence_remove(user=user, evidence=evidence)


def evidence_remove(*, user, evidence: Evidence, action: str = "evidence_delete") -> Path:
    """Remove an evidence record on an unlocked round; its file is moved to the retained store
    (EVIDENCE_RETAINED_DIR, same relative path) and the audit entry says where. Returns the new path."""
    rnd = evidence.round
    policy.require_unlocked(rnd)
    source = evidence_path(evidence)
    retained_root = Path(settings.EVIDENCE_RETAINED_DIR)
    target = retained_root / evidence.stored_path
    with transaction.atomic():
        audit_record(
            user=user,
            action=action,
            object_type="evidence",
            object_id=evidence.pk,
            round=rnd,
            unit_code=evidence.unit.code,
            indicator=evidence.indicator,
            before={
                "file": evidence.original_name,
                "sha256": evidence.sha256,
                "kind": evidence.kind,
                "uploaded_by": evidence.uploaded_by.get_username() if evidence.uploaded_by else "",
            },
            after={"retained": str(Path("evidence-retained") / evidence.stored_path)},
        )
        evidence.delete()
        # Inside the transaction: if the move fails, the record and its audit entry are rolled back.
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    return target


# ---- submissions ---------------------------------------------------------------------------------------


def _submission(round: Round, unit: Unit) -> Submission:
    sub, _ = Submission.objects.get_or_create(round=round, unit=unit)
    return sub


def submission_submit(*, user, round: Round, unit: Unit) -> Submission:
    policy.require(
        user_role(user=user) == Role.FILLER and policy.is_own_unit(user, unit) or policy.can_manage(user)
    )
    ok, why = policy.unit_may_fill(round, unit)
    if not ok:
        raise UserError(why)
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=_submission(round, unit).pk)
        before = sub.status
        sub.status, sub.submitted_at = SubmissionStatus.SUBMITTED, timezone.now()
        sub.save()
        audit_record(
            user=user,
            action="submission_submit",
            object_type="submission",
            object_id=sub.pk,
            round=round,
            unit_code=unit.code,
            before={"status": before},
            after={"status": sub.status},
        )
        notification_send(
            users=_round_users(round, Role.REVIEWER),
            message=f"{unit.name} 已提交「{round.name}」的数据，待审核。",
            link=f"/rounds/{round.pk}/review/{unit.code}/",
        )
    return sub


def submission_review(
    *, user, round: Round, unit: Unit, accept: bool, reason: str = "", internal_note: str = ""
) -> Submission:
    """Accept or return a submitted unit. `reason` goes to the unit (notification, its form); the
    reviewer's `internal_note` (内部意见) stays with the reviewers and the office."""
    policy.require(policy.can_review(user))
    policy.require_unlocked(round)
    if round.state not in (RoundState.COLLECTING, RoundState.REVIEWING):
        raise UserError(f"本轮评估当前状态为「{round.get_state_display()}」，不能审核报送。")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise UserError("退回必须写明原因。", field="原因")
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=_submission(round, unit).pk)
        if sub.status != SubmissionStatus.SUBMITTED:
            raise UserError(f"该报送当前为「{sub.get_status_display()}」，只有已提交的报送可以审核。")
        before = {"status": sub.status, "reason": sub.reason, "internal_note": sub.internal_note}
        sub.status = SubmissionStatus.ACCEPTED if accept else SubmissionStatus.RETURNED
        sub.reason, sub.reviewed_by, sub.reviewed_at = reason, user, timezone.now()
        sub.internal_note = (internal_note or "").strip()
        sub.save()
        audit_record(
            user=user,
            action="submission_accept" if accept else "submission_return",
            object_type="submission",
            object_id=sub.pk,
            round=round,
            unit_code=unit.code,
            before=before,
            after={"status": sub.status, "reason": reason, "internal_note": sub.internal_note},
        )
        msg = (
            f"「{round.name}」的报送已审核通过。"
            if accept
            else f"「{round.name}」的报送被退回，原因：{reason}。请修改后重新提交。"
        )
        notification_send(
            users=unit_fillers(unit), message=msg, link=f"/rounds/{round.pk}/units/{unit.code}/"
        )
    return sub


# ---- appeals -------------------------------------------------------------------------------------------


def appeal_file(*, user, round: Round, unit: Unit, indicator: str, reason: str, uploads=()) -> Appeal:
    policy.check_appeal(user, unit)
    policy.require_unlocked(round)
    if round.state != RoundState.PRELIMINARY:
        raise UserError("只有在初步结果公示期间才能申诉。")
    if round.appeal_deadline and timezone.now() > round.appeal_deadline:
        raise UserError(f"申诉已于 {timezone.localtime(round.appeal_deadline):%Y-%m-%d %H:%M} 截止。")
    reason = (reason or "").strip()
    if not reason:
        raise UserError("请填写申诉理由。", field="申诉理由")
    if not any(f.indicator == indicator for f in system_fields(round.system)):
        raise UserError("指标体系中没有该指标", indicator=indicator)
    for up in uploads:
        check_evidence_file(up)
    with transaction.atomic():
        appeal = Appeal.objects.create(
            round=round, unit=unit, indicator=indicator, reason=reason, created_by=user
        )
        for up in uploads:
            evidence_add(user=user, round=round, unit=unit, indicator=indicator, upload=up, appeal=appeal)
        audit_record(
            user=user,
            action="appeal_file",
            object_type="appeal",
            object_id=appeal.pk,
            round=round,
            unit_code=unit.code,
            indicator=indicator,
            after={"reason": reason},
        )
        notification_send(
            users=_round_users(round, Role.REVIEWER, Role.OFFICE),
            message=f"{unit.name} 对「{round.name}」指标 {_indicator_label(round, indicator)}提出申诉，待处理。",
            link=f"/appeals/{appeal.pk}/",
        )
    return appeal


def appeal_decide(
    *,
    user,
    appeal: Appeal,
    upheld: bool,
    decision: str,
    changes: dict[str, str] | None = None,
    rescore: bool = True,
    background: bool = True,
) -> Appeal:
    """Rule on an appeal. Upheld: `changes` ({input name: new value}) correct the unit's inputs of that
    indicator and the round is re-scored."""
    policy.require(policy.can_review(user))
    rnd = appeal.round
    policy.require_unlocked(rnd)
    if rnd.state != RoundState.PRELIMINARY:
        raise UserError("只有在初步结果公示期间才能处理申诉。")
    decision = (decision or "").strip()
    if not decision:
        raise UserError("请填写处理意见。", field="处理意见")
    changes = {k: v for k, v in (changes or {}).items() if v is not None and str(v).strip() != ""}
    with transaction.atomic():
        ap = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if ap.status != AppealStatus.PENDING:
            raise UserError("该申诉已处理。")
        if upheld:
            for name, value in changes.items():
                input_value_set(
                    user=user,
                    round=rnd,
                    unit=ap.unit,
                    indicator=ap.indicator,
                    input=name,
                    value=str(value),
                    note=f"申诉更正（申诉 {ap.pk}）：{decision}",
                    source="申诉更正",
                    check=False,
                )
        ap.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
        ap.decision, ap.changes, ap.decided_by, ap.decided_at = decision, changes, user, timezone.now()
        ap.save()
        audit_record(
            user=user,
            action="appeal_decide",
            object_type="appeal",
            object_id=ap.pk,
            round=rnd,
            unit_code=ap.unit.code,
            indicator=ap.indicator,
            before={"status": AppealStatus.PENDING},
            after={"status": ap.status, "decision": decision, "changes": changes},
        )
    # The unit hears of the decision whatever happens to the rescore; "重新评分" only if one was started.
    run = None
    try:
        if upheld and changes and rescore:
            run = scoring_start(user=user, round=rnd, background=background)
    finally:
        outcome = "成立，相关数据已更正" if upheld and changes else "成立" if upheld else "不成立"
        label = _indicator_label(rnd, ap.indicator)
        message = f"「{rnd.name}」指标 {label}的申诉{outcome}。处理意见：{decision.rstrip('。')}。"
        if run is not None:
            message += "已按更正后的数据重新评分，请查看评分卡。"
        notification_send(
            users=unit_fillers(ap.unit),
            message=message,
            link=f"/rounds/{rnd.pk}/units/{ap.unit.code}/scorecard/",
        )
    appeal.refresh_from_db()
    appeal.rescore_run = run  # not a field: tells the caller (the appeal page) whether a rescore started
    return appeal


# ---- scoring -------------------------------------------------------------------------------------------


def round_inputs_frame(round: Round, units):
    """All stored inputs of a round as the core's inputs frame (validated by the core)."""
    from govassess.data import inputs_from_rows

    rows = [
        {"unit": code, "indicator": ind, "input": inp, "value": val, "note": note or None}
        for code, ind, inp, val, note in InputValue.objects.filter(round=round).values_list(
            "unit__code", "indicator", "input", "value", "note"
        )
    ]
    return inputs_from_rows(system_core(round.system), units, rows, source="平台汇总")


def scoring_start(*, user, round: Round, background: bool = True) -> ScoringRun:
    policy.require(policy.can_manage(user) or policy.can_review(user))
    policy.require_unlocked(round)
    if round.state not in (RoundState.REVIEWING, RoundState.PRELIMINARY):
        raise UserError("只有在「审核中」或「初步结果公示」阶段才能运行评分。")
    jobs_recover(kinds=("scoring",))  # a crashed process's run (kill -9, power cut) must not block this one
    with transaction.atomic():
        if round.runs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            raise UserError("已有评分任务在运行，请稍候。")
        run = ScoringRun.objects.create(round=round, created_by=user)
        audit_record(
            user=user, action="scoring_start", object_type="scoring_run", object_id=run.pk, round=round
        )
    # A thread of this process, or left QUEUED for `govassess web worker` (GOVASSESS_JOBS; docs/web.md).
    job_submit("scoring", run.pk, background)
    if not background:
        run.refresh_from_db()
    return run


def scoring_execute(run_id: int, *, own_thread: bool = False) -> None:
    """Run one scoring job. `own_thread`: called as the target of a job thread, whose DB connection is
    closed at the end (a persistent connection must not outlive its thread)."""
    from govassess.scoring import score_round

    close_old_connections()
    try:
        run = ScoringRun.objects.select_related("round__system").get(pk=run_id)
        rnd = run.round
        ScoringRun.objects.filter(pk=run_id).update(
            status=JobStatus.RUNNING, progress=0.05, message="读取数据"
        )
        core = system_core(rnd.system)
        classes = list(getattr(core, "classes", None) or [])
        units = units_frame(unit_list(classes=classes or None))
        inputs = round_inputs_frame(rnd, units)

        def progress(stage: str, done: int, total: int) -> None:
            frac = done / total if total else 0.0
            ScoringRun.objects.filter(pk=run_id).update(progress=0.1 + 0.85 * frac, message=str(stage)[:200])

        result = score_round(core, units, inputs, round_name=rnd.name, progress=progress)
        ScoringRun.objects.filter(pk=run_id).update(
            status=JobStatus.DONE,
            progress=1.0,
            message="完成",
            results=result.to_dict(),
            finished_at=timezone.now(),
        )
    except UserError as err:
        ScoringRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED, message=str(err)[:4000], finished_at=timezone.now()
        )
    except Exception:  # a failed job must be visible, not a silent dead thread
        log.exception("scoring run %s failed", run_id)
        ScoringRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED,
            message="评分出现内部错误，请查看服务器日志。",
            finished_at=timezone.now(),
        )
    finally:
        if own_thread:
            connection.close()
        else:
            close_old_connections()


# ---- annual results ------------------------------------------------------------------------------------


def annual_combine(*, user, name: str, rounds: list[tuple[Round, float]]) -> AnnualResult:
    """Combine final rounds with weights through the core (e.g. 上半年 0.4, 下半年 0.6)."""
    from govassess.scoring import combine_results

    policy.require(policy.can_manage(user))
    if len(rounds) < 2:
        raise UserError("至少选择两个轮次。")
    total = sum(w for _, w in rounds)
    if abs(total - 1) > 1e-6:
        raise UserError(f"权重之和应为 100%，现在是 {total * 100:g}%。")
    results = []
    for rnd, _ in rounds:
        if rnd.state != RoundState.FINAL:
            raise UserError(f"轮次「{rnd.name}」尚未定稿。")
        run = round_latest_run(rnd)
        if run is None:
            raise UserError(f"轮次「{rnd.name}」没有评分结果。")
        results.append(run.results)
    combined = combine_results(results, weights=[w for _, w in rounds])
    with transaction.atomic():
        ar = AnnualResult.objects.create(
            name=name,
            rounds=[{"round": r.pk, "weight": w} for r, w in rounds],
            results=combined if isinstance(combined, dict) else combined.to_dict(),
        )
        audit_record(
            user=user,
            action="annual_combine",
            object_type="annual_result",
            object_id=ar.pk,
            after={"name": name, "rounds": ar.rounds},
        )
    return ar

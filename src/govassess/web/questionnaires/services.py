"""Write side of a round's questionnaire: attach a form (built-in copy or an office's workbook), one public link
per evaluated unit, invitation codes, public submissions with the abuse guards, reinstating a response, closing
and reopening collection, and pushing the indices into the round's inputs.

The form, the answer checks and the indices are the core's (`govassess.questionnaire`): the web stores the
definition as the core's own workbook and computes exactly what `govassess questionnaire score` computes."""

from __future__ import annotations

import difflib
import hashlib
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from govassess.errors import UserError, shown_as
from govassess.questionnaire import Form, builtin_form, load_form, write_form
from govassess.questionnaire.responses import check_answers
from govassess.web.audit.services import audit_record
from govassess.web.organisation.models import Unit
from govassess.web.questionnaires.models import InviteCode, Link, QResponse, Questionnaire, ResponseStatus
from govassess.web.rounds import policy
from govassess.web.rounds.models import Round, RoundState
from govassess.web.rounds.selectors import round_units

# Invitation codes: no 0/O/1/I/L, so a code read aloud or typed from paper is not mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_CODES = 2000
# Free comments shorter than this (after normalising) are not compared: "无", "很好" are legitimately common.
DUPLICATE_MIN_CHARS = 8
DUPLICATE_RATIO = 0.9

_FORMS: dict[str, Form] = {}


def _office(user) -> None:
    policy.require(policy.can_manage(user), "只有评估办可以管理问卷。")


# ---- the form ------------------------------------------------------------------------------------------


def form_bytes(form: Form) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "问卷.xlsx"
        write_form(form, path)
        return path.read_bytes()


def form_of(q: Questionnaire) -> Form:
    """The core's Form of a stored definition (parsed once per process and definition)."""
    data = bytes(q.form_xlsx)
    key = hashlib.sha256(data).hexdigest()
    form = _FORMS.get(key)
    if form is None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "问卷定义.xlsx"
            path.write_bytes(data)
            with shown_as(path, "问卷定义.xlsx"):
                form = load_form(path)
        if len(_FORMS) > 64:
            _FORMS.clear()
        _FORMS[key] = form
    return form


def read_uploaded_form(upload) -> Form:
    """An office's workbook, checked by the core; problems name the uploaded file, sheet, row and column."""
    name = Path(upload.name or "问卷.xlsx").name
    if Path(name).suffix.lower() != ".xlsx":
        raise UserError(f"文件「{name}」不是 .xlsx 工作簿；问卷定义请用 Excel/WPS 保存为 .xlsx。", file=name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.xlsx"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        with shown_as(path, name):
            return load_form(path)


def questionnaire_attach(*, user, round: Round, builtin: str | None = None, upload=None) -> Questionnaire:
    """Give a round its questionnaire (a copy of a built-in one, or an office's workbook), or replace it while
    no response has been collected. Creates a public link for every evaluated unit."""
    _office(user)
    policy.require_unlocked(round)
    if upload is not None:
        form, source = read_uploaded_form(upload), Path(upload.name or "").name
    else:
        form, source = builtin_form(builtin or "satisfaction"), f"内置问卷 {builtin or 'satisfaction'}"
    data = form_bytes(form)
    with transaction.atomic():
        q = Questionnaire.objects.select_for_update().filter(round=round).first()
        before = None
        if q is not None:
            if q.responses.exists():
                raise UserError("本轮问卷已收到回答，不能再更换问卷定义（否则已有回答无法按新定义计算）。")
            before = {"title": q.title, "source": q.source}
            q.title, q.source, q.form_xlsx = form.settings.title, source, data
            q.save()
        else:
            q = Questionnaire.objects.create(
                round=round, title=form.settings.title, source=source, form_xlsx=data, salt=secrets.token_hex(16)
            )
        links_ensure(q)
        audit_record(user=user, action="questionnaire_attach", object_type="questionnaire", object_id=q.pk,
                     round=round, before=before, after={"title": q.title, "source": source,
                                                        "questions": len(form.questions)})
    return q


def links_ensure(q: Questionnaire) -> int:
    """One link per evaluated unit of the round (units added later get theirs on the next visit)."""
    have = set(q.links.values_list("unit_id", flat=True))
    new = [Link(questionnaire=q, unit=u, token=secrets.token_urlsafe(18)) for u in round_units(q.round)
           if u.pk not in have]
    Link.objects.bulk_create(new)
    return len(new)


def settings_update(*, user, q: Questionnaire, min_seconds: int, office_name: str) -> Questionnaire:
    _office(user)
    policy.require_unlocked(q.round)
    if min_seconds < 0 or min_seconds > 3600:
        raise UserError("最短作答时间应为 0 到 3600 秒", field="最短作答时间")
    before = {"min_seconds": q.min_seconds, "office_name": q.office_name}
    q.min_seconds, q.office_name = min_seconds, office_name.strip()[:100]
    q.save(update_fields=["min_seconds", "office_name", "updated_at"])
    audit_record(user=user, action="questionnaire_settings", object_type="questionnaire", object_id=q.pk,
                 round=q.round, before=before, after={"min_seconds": min_seconds, "office_name": q.office_name})
    return q


def collection_set(*, user, q: Questionnaire, open: bool) -> Questionnaire:
    _office(user)
    policy.require_unlocked(q.round)
    if open and q.round.state not in (RoundState.COLLECTING, RoundState.REVIEWING):
        raise UserError(f"本轮评估当前状态为「{q.round.get_state_display()}」，不能开始收集问卷。")
    before = q.open
    q.open = open
    q.save(update_fields=["open", "updated_at"])
    audit_record(user=user, action="questionnaire_open" if open else "questionnaire_close",
                 object_type="questionnaire", object_id=q.pk, round=q.round, before={"open": before},
                 after={"open": open})
    return q


def codes_generate(*, user, link: Link, count: int) -> list[str]:
    """N new invitation codes for a unit's link; from then on the link answers only with a code."""
    _office(user)
    policy.require_unlocked(link.questionnaire.round)
    if not 1 <= count <= MAX_CODES:
        raise UserError(f"邀请码数量应为 1 到 {MAX_CODES}", field="数量")
    have = set(link.codes.values_list("code", flat=True))
    codes: list[str] = []
    while len(codes) < count:
        c = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if c not in have:
            have.add(c)
            codes.append(c)
    with transaction.atomic():
        InviteCode.objects.bulk_create([InviteCode(link=link, code=c) for c in codes])
        link.codes_required = True
        link.save(update_fields=["codes_required"])
        audit_record(user=user, action="questionnaire_codes", object_type="questionnaire",
                     object_id=link.questionnaire_id, round=link.questionnaire.round, unit_code=link.unit.code,
                     after={"count": count})
    return codes


# ---- collecting ----------------------------------------------------------------------------------------


def collection_closed_reason(q: Questionnaire) -> str | None:
    """Why a public link does not take answers now (Chinese), or None when it does."""
    if q.round.locked:
        return "本轮评估已定稿，问卷收集已结束。"
    if not q.open:
        return "本问卷目前未在收集回答（评估办已关闭或尚未开始收集）。"
    if q.round.state not in (RoundState.COLLECTING, RoundState.REVIEWING):
        return "本问卷目前未在收集回答。"
    return None


def address_hash(q: Questionnaire, ip: str | None) -> str:
    return hashlib.sha256(f"{q.salt}|{ip or ''}".encode()).hexdigest() if ip else ""


_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def normalise_comment(text: str) -> str:
    """What two comments are compared on: full-width folded, case-folded, without spaces and punctuation."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).casefold())


def _duplicate_of(q: Questionnaire, form: Form, unit: Unit, answers: dict[str, Any], exclude: set[int]) -> str | None:
    texts = {}
    for cq in form.questions:
        if cq.type == "text" and answers.get(cq.name):
            norm = normalise_comment(str(answers[cq.name]))
            if len(norm) >= DUPLICATE_MIN_CHARS:
                texts[cq.name] = norm
    if not texts:
        return None
    others = (QResponse.objects.filter(questionnaire=q, unit=unit)
              .exclude(status=ResponseStatus.SUPERSEDED).exclude(pk__in=exclude)
              .order_by("-id").values_list("pk", "answers")[:2000])
    for pk, other in others:
        for name, norm in texts.items():
            theirs = other.get(name)
            if not theirs:
                continue
            o = normalise_comment(str(theirs))
            if o == norm or (abs(len(o) - len(norm)) <= len(norm) * 0.2
                             and difflib.SequenceMatcher(None, o, norm).ratio() >= DUPLICATE_RATIO):
                return f"意见「{cq_label(form, name)}」与本单位第 {pk} 号回答几乎相同（疑似重复提交）"
    return None


def cq_label(form: Form, name: str) -> str:
    return form.question(name).label


class Refused(UserError):
    """A submission that is not stored at all (problems per question, a bad code)."""


def submit(*, link: Link, raw: dict[str, Any], device: str, ip: str | None, duration: float | None,
           code: str = "") -> QResponse:
    """Check one public submission with the core's check_answers (authoritative: answers to questions whose
    显示条件 does not hold are dropped, whatever the browser showed), then store it. Too fast or duplicate-text
    answers are stored but set aside (suspicious, with the reason); a second answer from the same device for
    the same unit replaces the first, which is kept as superseded."""
    q = link.questionnaire
    why = collection_closed_reason(q)
    if why:
        raise UserError(why)
    form = form_of(q)
    # Non-relevant answers are ignored here even when the form says 拒绝: a respondent without JavaScript
    # sees every question and may fill one that the skip logic then leaves out.
    asked_raw = dict(raw)
    from govassess.questionnaire.responses import asked_questions

    asked = set(asked_questions(form, asked_raw))
    clean_raw = {k: v for k, v in asked_raw.items() if k in asked}
    answers, problems, _ignored = check_answers(form, clean_raw)
    if problems:
        raise Refused(problems=[_problem(form, name, msg) for name, msg in problems])
    stored_answers = {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}
    reasons = []
    if duration is None:
        reasons.append("缺少有效的开始作答时间（页面可能被脚本直接提交）")
    elif duration < q.min_seconds:
        reasons.append(f"作答用时 {duration:.0f} 秒，少于最短作答时间 {q.min_seconds} 秒")
    with transaction.atomic():
        invite = None
        if link.codes_required:
            invite = (InviteCode.objects.select_for_update().filter(link=link, code=code.strip().upper()).first()
                      if code.strip() else None)
            if invite is None:
                raise Refused("邀请码无效：请核对评估办发给您的邀请码（8 位字母和数字）。", field="邀请码")
            if invite.used_at is not None:
                raise Refused("该邀请码已经使用过，每个邀请码只能提交一份问卷。", field="邀请码")
        previous = list(QResponse.objects.select_for_update().filter(link=link, device=device)
                        .exclude(status=ResponseStatus.SUPERSEDED)) if device else []
        dup = _duplicate_of(q, form, link.unit, stored_answers, {p.pk for p in previous})
        if dup:
            reasons.append(dup)
        r = QResponse.objects.create(
            questionnaire=q, link=link, unit=link.unit, answers=stored_answers,
            status=ResponseStatus.SUSPICIOUS if reasons else ResponseStatus.COUNTED, reason="；".join(reasons),
            device=device, address_hash=address_hash(q, ip), code=invite, duration=duration,
        )
        if invite is not None:
            invite.used_at = timezone.now()
            invite.save(update_fields=["used_at"])
        for p in previous:
            before = p.status
            p.status, p.replaced_by = ResponseStatus.SUPERSEDED, r
            p.save(update_fields=["status", "replaced_by"])
            audit_record(user=None, username="（问卷答题人）", action="questionnaire_replace",
                         object_type="questionnaire_response", object_id=p.pk, round=q.round,
                         unit_code=link.unit.code, before={"status": before},
                         after={"status": ResponseStatus.SUPERSEDED, "replaced_by": r.pk})
    return r


def _problem(form: Form, name: str, message: str):
    from govassess.errors import Problem

    label = form.question(name).label if name in form.names else name
    return Problem(f"「{label}」：{message}", field=name)


def reinstate(*, user, response: QResponse) -> QResponse:
    """The office counts a suspicious response after all (the reason stays on record)."""
    _office(user)
    policy.require_unlocked(response.questionnaire.round)
    if response.status != ResponseStatus.SUSPICIOUS:
        raise UserError("只有可疑的回答可以恢复计入。")
    response.status, response.reinstated_by = ResponseStatus.COUNTED, user
    response.save(update_fields=["status", "reinstated_by"])
    audit_record(user=user, action="questionnaire_reinstate", object_type="questionnaire_response",
                 object_id=response.pk, round=response.questionnaire.round, unit_code=response.unit.code,
                 before={"status": ResponseStatus.SUSPICIOUS, "reason": response.reason},
                 after={"status": ResponseStatus.COUNTED})
    return response


def map_set(*, user, q: Questionnaire, entries: list[dict[str, Any]]) -> Questionnaire:
    """The map from index names onto the system's (indicator, input), in the CLI's --map format."""
    _office(user)
    policy.require_unlocked(q.round)
    from govassess.web.systems.selectors import system_fields

    known = {(f.indicator, f.input) for f in system_fields(q.round.system)}
    bad = [e for e in entries if (e["indicator"], e["input"]) not in known]
    if bad:
        from govassess.errors import Problem

        raise UserError(problems=[Problem(f"指标体系中没有指标 {e['indicator']} 的输入项「{e['input']}」",
                                          file="指数映射", field=e["index"]) for e in bad])
    before = q.index_map
    q.index_map = entries
    q.save(update_fields=["index_map", "updated_at"])
    audit_record(user=user, action="questionnaire_map", object_type="questionnaire", object_id=q.pk,
                 round=q.round, before={"map": before}, after={"map": entries})
    return q


SOURCE = "问卷调查"


def push_indices(*, user, q: Questionnaire, overwrite: bool = False):
    """The indices become the round's inputs of the mapped leaves (the feeds' all-or-nothing push, source
    问卷调查, each note naming the sample size). A value entered by hand (another source) is not overwritten
    unless the office confirms it: the refusal lists every such value."""
    from govassess.web.feeds.services import push_rows
    from govassess.web.questionnaires.selectors import rows_for_round
    from govassess.web.rounds.models import InputValue

    _office(user)
    policy.require_unlocked(q.round)
    if not q.index_map:
        raise UserError("请先设置指数映射（把问卷指数映射到指标体系的指标编码与输入项），再写入本轮指标数据。")
    rows, _left = rows_for_round(q)
    if not rows:
        raise UserError("还没有可写入的指数（各单位都没有计入的回答）。")
    if not overwrite:
        stored = {(v.unit.code, v.indicator, v.input): v for v in InputValue.objects.filter(round=q.round)
                  .exclude(source=SOURCE).exclude(value="").select_related("unit")}
        wanted = {(r["unit"], r["indicator"], r["input"]): r["value"] for r in rows}
        clash = [v for k, v in stored.items() if k in wanted and v.value != wanted[k]]
        if clash:
            from govassess.errors import Problem

            raise UserError(problems=[Problem(
                f"单位 {v.unit.code} 指标 {v.indicator}「{v.input}」已有{v.source or '人工'}录入的值「{v.value}」，"
                "写入会覆盖它；确认覆盖请勾选「覆盖已有的值」后再写入", indicator=v.indicator, field=v.input)
                for v in clash])
    return push_rows(user=user, round=q.round, rows=rows, source=SOURCE)

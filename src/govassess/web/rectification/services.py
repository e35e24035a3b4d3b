"""Write side of 整改: the office creates tasks from a published round's lost points, units answer with a
description and evidence, reviewers accept or return, the office closes the list. Every step is audited.

The lost points are the report model's (govassess.reports.model.LostPoint, built by the documents app's
report_model from the round's latest scoring results), so a task carries the same explanation the 成绩单
prints. Tasks are created only on a final round, where a unit reads every explanation of its own scorecard
(rounds.policy.readable_fields), so nothing in a task's text is withheld from the unit."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from govassess.errors import ProblemCollector, UserError
from govassess.web.audit.models import AuditEntry
from govassess.web.audit.services import audit_entry, audit_record
from govassess.web.organisation.models import Unit
from govassess.web.rectification import policy
from govassess.web.rectification.models import EventKind, Task, TaskEvent, TaskEvidence, TaskList, TaskStatus
from govassess.web.rounds import selectors
from govassess.web.rounds.models import Round


@dataclass(frozen=True, slots=True)  # slots: ~94,000 of them are cached for a 3,000-unit round
class Candidate:
    """One lost point of one unit that could become a task."""

    unit: str
    unit_name: str
    indicator: str
    name: str
    lost: float
    points: float | None
    share: float | None  # score as a percentage of the leaf's points
    reason: str
    lead: str


# Candidates per scoring run: the office's task page, the pick page and task creation all need every lost
# point of the round, which for 3,000 units means reading a 60 MB results JSON. A final round's results do not
# change (a new scoring run has a new key), so they are kept per process for the last two rounds (about 45 MB
# for a round of 3,000 units: the explanations' text).
_CANDIDATES: OrderedDict[tuple, list[Candidate]] = OrderedDict()
_CANDIDATES_KEEP = 2
_CANDIDATES_LOCK = threading.Lock()


def lost_points(round: Round) -> list[Candidate]:
    """Every lost point of the round's latest results, with the leaf's score share (the report model's
    LostPoint of each, so a task carries the 成绩单's explanation)."""
    from govassess.web.rounds.models import JobStatus

    head = (round.runs.filter(status=JobStatus.DONE).order_by("-created_at", "-id")
            .values("pk", "finished_at").first())
    if head is None:
        raise UserError(f"轮次「{round.name}」尚无评分结果")
    key = (round.pk, round.system_id, round.finalised_at, head["pk"], head["finished_at"])
    with _CANDIDATES_LOCK:
        if key in _CANDIDATES:
            _CANDIDATES.move_to_end(key)
            return _CANDIDATES[key]
    found = _compute_lost_points(round)
    with _CANDIDATES_LOCK:
        _CANDIDATES[key] = found
        while len(_CANDIDATES) > _CANDIDATES_KEEP:
            _CANDIDATES.popitem(last=False)
    return found


def _compute_lost_points(round: Round) -> list[Candidate]:
    from govassess.reports.model import clean, lost_point
    from govassess.web.systems.selectors import system_core

    run = selectors.latest_run(round)
    if run is None or not run.results:
        raise UserError(f"轮次「{round.name}」尚无评分结果")
    nodes = {n.code: n for n in system_core(round.system).nodes() if n.code}
    out = []
    for u in run.results.get("units") or []:
        code = str(u.get("unit"))
        name = clean(u.get("name") or code)
        per = u.get("indicators") or {}
        for item in u.get("lost") or []:
            lp = lost_point(item, nodes)
            entry = per.get(lp.code) or {}
            points, score = entry.get("points"), entry.get("score")
            share = (100.0 * float(score) / float(points)) if points and score is not None else None
            out.append(Candidate(code, name, lp.code, lp.name, lp.lost, points, share, lp.reason, lp.lead or ""))
    return out


def _task_list(round: Round) -> TaskList:
    task_list, _ = TaskList.objects.get_or_create(round=round)
    return task_list


def _parse_number(text: str | None, what: str) -> float | None:
    text = (text or "").strip().rstrip("%％")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"「{text}」不是数字", field=what) from None
    if value < 0:
        raise UserError("不能为负数", field=what)
    return value


def _check_task_fields(requirement: str, deadline: dt.date | None) -> None:
    if not (requirement or "").strip():
        raise UserError("请填写整改要求", field="整改要求")
    if deadline is None:
        raise UserError("请填写整改期限（日期）", field="整改期限")
    if deadline < timezone.localdate():
        raise UserError(f"整改期限 {deadline:%Y-%m-%d} 早于今天", field="整改期限")


def select_by_threshold(candidates: Sequence[Candidate], *, share_below: str | None, lost_at_least: str | None,
                        units: Iterable[str] = ()) -> list[Candidate]:
    """Lost points whose leaf's score share is below x % or whose points lost are at least y (either rule),
    of the chosen units (none chosen: all units)."""
    x = _parse_number(share_below, "得分率低于（%）")
    y = _parse_number(lost_at_least, "失分不少于（分）")
    if x is None and y is None:
        raise UserError("请至少填写一个条件：得分率低于多少（%），或失分不少于多少分", field="条件")
    chosen = {c for c in units if c}
    known = {c.unit for c in candidates}
    unknown = sorted(chosen - known - set(Unit.objects.filter(code__in=chosen).values_list("code", flat=True)))
    if unknown:
        raise UserError(f"没有这些单位：{'、'.join(unknown)}", field="单位")
    return [c for c in candidates
            if (not chosen or c.unit in chosen)
            and ((x is not None and c.share is not None and c.share < x - 1e-9) or (y is not None and c.lost >= y - 1e-9))]


def tasks_create(*, user, round: Round, chosen: Sequence[Candidate], requirement: str,
                 deadline: dt.date | None) -> tuple[list[Task], int]:
    """Create one task per chosen lost point; a (unit, indicator) that already has a task is skipped.
    Returns the new tasks and how many were skipped as duplicates."""
    policy.check_create(user, round)
    _check_task_fields(requirement, deadline)
    if not chosen:
        raise UserError("没有符合条件的失分项，未创建整改任务")
    units = {u.code: u for u in Unit.objects.filter(code__in={c.unit for c in chosen})}
    with transaction.atomic():
        task_list = _task_list(round)
        task_list = TaskList.objects.select_for_update().get(pk=task_list.pk)
        policy.require_open(task_list)
        existing = set(Task.objects.filter(round=round).values_list("unit__code", "indicator"))
        fresh, skipped = [], 0
        for c in chosen:
            if (c.unit, c.indicator) in existing:
                skipped += 1
                continue
            existing.add((c.unit, c.indicator))
            fresh.append(Task(
                task_list=task_list, round=round, unit=units[c.unit], indicator=c.indicator,
                indicator_name=c.name[:200], lost=c.lost, reason=c.reason, lead=c.lead[:100],
                requirement=requirement.strip(), deadline=deadline, created_by=user))
        # In bulk: a threshold over 3,000 units makes thousands of tasks in one office action (see
        # docs/performance.md); each still gets its history step and its own audit entry.
        made = Task.objects.bulk_create(fresh, batch_size=500)
        TaskEvent.objects.bulk_create(
            [TaskEvent(task=t, kind=EventKind.CREATE, text=t.requirement, user=user) for t in made], batch_size=500)
        AuditEntry.objects.bulk_create([
            audit_entry(user=user, action="rectification_create", object_type="rectification_task", object_id=t.pk,
                        round=round, unit_code=t.unit.code, indicator=t.indicator,
                        after={"lost": t.lost, "requirement": t.requirement, "deadline": deadline.isoformat()})
            for t in made], batch_size=500)
        _notify_units(round, made)
    return made, skipped


def _notify(unit: Unit, message: str, link: str) -> None:
    """The unit's fillers get a 站内通知 (the rounds app's notifications)."""
    from govassess.web.rounds.services import notification_send, unit_fillers

    notification_send(users=unit_fillers(unit), message=message, link=link)


def _notify_units(round: Round, tasks: Sequence[Task]) -> None:
    """One 站内通知 per unit with new tasks, to each of its fillers (one query for all units' fillers)."""
    from django.urls import reverse

    from govassess.web.accounts.models import Profile, Role
    from govassess.web.rounds.models import Notification

    per_unit: dict[int, list[Task]] = {}
    for t in tasks:
        per_unit.setdefault(t.unit_id, []).append(t)
    fillers: dict[int, list[Any]] = {}
    for p in Profile.objects.filter(role=Role.FILLER, unit_id__in=per_unit).select_related("user"):
        fillers.setdefault(p.unit_id, []).append(p.user)
    link = reverse("rectification_round", args=[round.pk])
    notes = []
    for unit_id, group in per_unit.items():
        last = max(t.deadline for t in group)
        message = f"{round.name}：评估办下达了{len(group)}项整改任务，请于{last:%Y-%m-%d}前提交整改情况。"
        notes += [Notification(user=u, message=message[:500], link=link) for u in fillers.get(unit_id, [])]
    Notification.objects.bulk_create(notes, batch_size=500)


def tasks_create_threshold(*, user, round: Round, share_below: str | None, lost_at_least: str | None,
                           units: Iterable[str], requirement: str, deadline: dt.date | None) -> tuple[list[Task], int]:
    policy.check_create(user, round)
    chosen = select_by_threshold(lost_points(round), share_below=share_below, lost_at_least=lost_at_least,
                                 units=units)
    return tasks_create(user=user, round=round, chosen=chosen, requirement=requirement, deadline=deadline)


def tasks_create_picked(*, user, round: Round, unit: Unit, indicators: Iterable[str], requirement: str,
                        deadline: dt.date | None) -> tuple[list[Task], int]:
    policy.check_create(user, round)
    wanted = [c for c in dict.fromkeys(indicators) if c]
    if not wanted:
        raise UserError("请勾选要下达整改任务的失分项", field="失分项")
    mine = {c.indicator: c for c in lost_points(round) if c.unit == unit.code}
    problems = ProblemCollector()
    for code in wanted:
        if code not in mine:
            problems.add(f"单位 {unit.code} 在本轮没有失分项 {code}", indicator=code)
    problems.raise_if_any()
    return tasks_create(user=user, round=round, chosen=[mine[c] for c in wanted], requirement=requirement,
                        deadline=deadline)


def _evidence_dir() -> Path:
    return Path(settings.EVIDENCE_DIR)


def task_answer(*, user, task: Task, text: str, uploads: Sequence[Any] = ()) -> TaskEvent:
    """The unit's answer: a description and evidence files (checked as the rounds' evidence is). Files reach
    their place only when the answer's rows commit; a failed answer leaves no file behind."""
    from govassess.web.rounds.services import check_evidence_file

    policy.check_answer(user, task)
    if not (text or "").strip():
        raise UserError("请填写整改情况说明", field="整改情况")
    checked = [(up, *check_evidence_file(up)) for up in uploads]
    rel_dir = Path("rectification") / str(task.round_id) / task.unit.code
    if checked:
        (_evidence_dir() / rel_dir).mkdir(parents=True, exist_ok=True)
    parts: list[tuple[Path, Path]] = []
    try:
        with transaction.atomic():
            locked = Task.objects.select_for_update().select_related("task_list", "unit", "round").get(pk=task.pk)
            policy.check_answer(user, locked)  # again under the lock: a concurrent answer or close wins once
            event = TaskEvent.objects.create(task=locked, kind=EventKind.ANSWER, text=text.strip(), user=user)
            files = []
            for up, name, content_type in checked:
                stored = rel_dir / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
                part = _evidence_dir() / f"{stored}.part"
                digest, size = hashlib.sha256(), 0
                with open(part, "wb") as out:
                    for chunk in up.chunks():
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                parts.append((part, _evidence_dir() / stored))
                TaskEvidence.objects.create(task=locked, event=event, original_name=name[:255], stored_path=str(stored),
                                            sha256=digest.hexdigest(), size=size, content_type=content_type,
                                            uploaded_by=user)
                files.append({"file": name, "sha256": digest.hexdigest(), "size": size})
            Task.objects.filter(pk=locked.pk).update(status=TaskStatus.SUBMITTED, updated_at=timezone.now())
            audit_record(user=user, action="rectification_answer", object_type="rectification_task", object_id=locked.pk,
                         round=locked.round, unit_code=locked.unit.code, indicator=locked.indicator,
                         before={"status": locked.get_status_display()},
                         after={"status": TaskStatus.SUBMITTED.label, "text": event.text, "files": files})
            transaction.on_commit(lambda: [os.replace(a, b) for a, b in parts])
    except BaseException:
        for part, _final in parts:
            part.unlink(missing_ok=True)
        raise
    task.refresh_from_db()
    return event


def task_review(*, user, task: Task, accept: bool, reason: str = "") -> TaskEvent:
    """A reviewer accepts the answer, or returns it with a reason (required); the unit may then answer again."""
    policy.check_review(user, task)
    reason = (reason or "").strip()
    if not accept and not reason:
        raise UserError("退回时必须填写退回原因", field="退回原因")
    to = TaskStatus.ACCEPTED if accept else TaskStatus.RETURNED
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("task_list", "unit", "round").get(pk=task.pk)
        policy.check_review(user, locked)
        event = TaskEvent.objects.create(task=locked, kind=EventKind.ACCEPT if accept else EventKind.RETURN,
                                         text=reason, user=user)
        Task.objects.filter(pk=locked.pk).update(status=to, updated_at=timezone.now())
        audit_record(user=user, action="rectification_accept" if accept else "rectification_return",
                     object_type="rectification_task", object_id=locked.pk, round=locked.round,
                     unit_code=locked.unit.code, indicator=locked.indicator,
                     before={"status": locked.get_status_display()}, after={"status": to.label, "reason": reason})
        if not accept:
            from django.urls import reverse

            _notify(locked.unit, f"整改任务「{locked.indicator} {locked.indicator_name}」被退回：{reason}",
                    reverse("rectification_task", args=[locked.pk]))
    task.refresh_from_db()
    return event


def _task_name(task: Task) -> str:
    return f"{task.indicator} {task.indicator_name}"


def task_update(*, user, task: Task, requirement: str, deadline: dt.date | None, lead: str) -> Task:
    """The office changes a task's requirement, deadline or 牵头科室 (not an accepted or withdrawn task, not
    on a closed list). A new deadline may not be in the past; an unchanged one may (only the text changed).
    Audited with before/after of what changed; the unit's fillers get a 站内通知."""
    from django.urls import reverse

    policy.check_change(user, task)
    requirement, lead = (requirement or "").strip(), (lead or "").strip()
    if not requirement:
        raise UserError("请填写整改要求", field="整改要求")
    if deadline is None:
        raise UserError("请填写整改期限（日期）", field="整改期限")
    if len(lead) > 100:
        raise UserError(f"牵头科室最多 100 个字（现有 {len(lead)} 个字）", field="牵头科室")
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("task_list", "unit", "round").get(pk=task.pk)
        policy.check_change(user, locked)  # again under the lock: a concurrent accept, withdraw or close wins
        new = {"requirement": requirement, "deadline": deadline, "lead": lead}
        changed = {k: v for k, v in new.items() if getattr(locked, k) != v}
        if not changed:
            raise UserError("未作任何修改")
        if "deadline" in changed and deadline < timezone.localdate():
            raise UserError(f"整改期限 {deadline:%Y-%m-%d} 早于今天", field="整改期限")

        def plain(v):
            return v.isoformat() if isinstance(v, dt.date) else v

        before = {k: plain(getattr(locked, k)) for k in changed}
        after = {k: plain(v) for k, v in changed.items()}
        for k, v in changed.items():
            setattr(locked, k, v)
        locked.save(update_fields=[*changed, "updated_at"])
        labels = {"requirement": "整改要求", "deadline": "整改期限", "lead": "牵头科室"}
        summary = "；".join(
            f"{labels[k]}：{before[k] or '（空）'} → {after[k] or '（空）'}" for k in ("requirement", "deadline", "lead")
            if k in changed)
        TaskEvent.objects.create(task=locked, kind=EventKind.EDIT, text=summary, user=user)
        audit_record(user=user, action="rectification_edit", object_type="rectification_task", object_id=locked.pk,
                     round=locked.round, unit_code=locked.unit.code, indicator=locked.indicator,
                     before=before, after=after)
        what = "、".join(labels[k] for k in ("requirement", "deadline", "lead") if k in changed)
        message = f"整改任务「{_task_name(locked)}」的{what}已修改"
        if "deadline" in changed:
            message += f"，整改期限现为{deadline:%Y-%m-%d}"
        _notify(locked.unit, message + "。", reverse("rectification_task", args=[locked.pk]))
    task.refresh_from_db()
    return task


def task_withdraw(*, user, task: Task, reason: str) -> TaskEvent:
    """The office withdraws (撤销) a task with a reason (required): it stays in the history as 已撤销, leaves the
    unit's open list, is never overdue and is left out of the next round's 上轮整改情况 (report_rows)."""
    from django.urls import reverse

    policy.check_change(user, task)
    reason = (reason or "").strip()
    if not reason:
        raise UserError("撤销整改任务时必须填写撤销原因", field="撤销原因")
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("task_list", "unit", "round").get(pk=task.pk)
        policy.check_change(user, locked)
        event = TaskEvent.objects.create(task=locked, kind=EventKind.WITHDRAW, text=reason, user=user)
        Task.objects.filter(pk=locked.pk).update(status=TaskStatus.WITHDRAWN, updated_at=timezone.now())
        audit_record(user=user, action="rectification_withdraw", object_type="rectification_task",
                     object_id=locked.pk, round=locked.round, unit_code=locked.unit.code, indicator=locked.indicator,
                     before={"status": locked.get_status_display()},
                     after={"status": TaskStatus.WITHDRAWN.label, "reason": reason})
        _notify(locked.unit, f"整改任务「{_task_name(locked)}」已被评估办撤销：{reason}",
                reverse("rectification_task", args=[locked.pk]))
    task.refresh_from_db()
    return event


def task_list_close(*, user, round: Round) -> TaskList:
    """The office closes the round's task list: from then on no task of it changes."""
    policy.require_office(user)
    with transaction.atomic():
        task_list = TaskList.objects.select_for_update().filter(round=round).first()
        if task_list is None:
            raise UserError("本轮尚未下达整改任务")
        policy.require_open(task_list)
        task_list.closed_at, task_list.closed_by = timezone.now(), user
        task_list.save(update_fields=["closed_at", "closed_by"])
        audit_record(user=user, action="rectification_close", object_type="rectification_list",
                     object_id=task_list.pk, round=round,
                     after={"tasks": task_list.tasks.count(),
                            "accepted": task_list.tasks.filter(status=TaskStatus.ACCEPTED).count(),
                            "withdrawn": task_list.tasks.filter(status=TaskStatus.WITHDRAWN).count()})
    return task_list


def evidence_file(evidence: TaskEvidence) -> Path:
    root = _evidence_dir().resolve()
    path = (root / evidence.stored_path).resolve()
    if root not in path.parents:
        raise PermissionDenied("非法的文件路径")
    return path


def report_rows(round: Round | None, *, today: dt.date | None = None):
    """The tasks of `round` as the core's report rows (unit code → RectificationTask list), or None when that
    round has no task: the input build_model takes for the next round's 上轮整改情况. Withdrawn tasks are left
    out (a unit whose only tasks were withdrawn reads "上一轮没有向本单位下达整改任务")."""
    from govassess.reports.rectification import RectificationTask

    if round is None:
        return None
    tasks = list(Task.objects.filter(round=round).select_related("unit").order_by("unit__code", "indicator", "id"))
    if not tasks:
        return None
    out: dict[str, list[RectificationTask]] = {}
    for t in tasks:
        if t.status == TaskStatus.WITHDRAWN:
            continue  # given by mistake and taken back: neither done nor "not rectified"
        out.setdefault(t.unit.code, []).append(RectificationTask(
            indicator=t.indicator, status=t.report_status(today), name=t.indicator_name, requirement=t.requirement,
            lost=t.lost))
    return out

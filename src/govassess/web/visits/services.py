"""暗访 services: keyword-only, each checks permissions itself (visits.policy on rounds.policy), validates a
visit with the core (govassess.metrics.visits.validate_row, the same checks as a file import) and audits.

Evidence bytes are written only once their rows exist in the open transaction and are removed again if the
transaction fails, so no file is left without a row and no row without its file."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from govassess.errors import Problem, ProblemCollector, UserError
from govassess.metrics.visits import Visit as CoreVisit
from govassess.metrics.visits import read_visits, validate_row, write_records
from govassess.web.audit.services import audit_record
from govassess.web.organisation.models import Unit
from govassess.web.rounds import policy as round_policy
from govassess.web.rounds.models import InputValue, Round
from govassess.web.visits import policy
from govassess.web.visits.models import Visit, VisitFile, VisitPlan

SOURCE = "暗访"
MAX_FILES = 10

# Content sniffing: (test on the first 16 bytes, content type, stored suffix, label). The file name's
# extension is not trusted: a phone may call a HEIC photo .jpg.
_SNIFF = (
    (lambda h: h.startswith(b"\xff\xd8\xff"), "image/jpeg", ".jpg", "JPEG 照片"),
    (lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), "image/png", ".png", "PNG 图片"),
    (lambda h: h[4:8] == b"ftyp" and h[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"),
     "image/heic", ".heic", "HEIC 照片"),
    (lambda h: h[4:8] == b"ftyp" and h[8:12] in (b"M4A ", b"M4B ", b"mp42", b"isom"), "audio/mp4", ".m4a", "M4A 录音"),
    (lambda h: h.startswith(b"ID3") or (len(h) > 1 and h[0] == 0xFF and (h[1] & 0xE0) == 0xE0),
     "audio/mpeg", ".mp3", "MP3 录音"),
    (lambda h: h.startswith(b"#!AMR"), "audio/amr", ".amr", "AMR 录音"),
    (lambda h: h.startswith(b"RIFF") and h[8:12] == b"WAVE", "audio/wav", ".wav", "WAV 录音"),
)
ALLOWED_LABEL = "照片（JPEG、PNG、HEIC）或录音（M4A、MP3、AMR、WAV）"


def max_bytes() -> int:
    return int(getattr(settings, "VISIT_EVIDENCE_MAX_BYTES", settings.EVIDENCE_MAX_BYTES))


def sniff(upload) -> tuple[str, str]:
    """(content type, suffix) of an uploaded photo / recording, or a UserError naming the file."""
    name = Path(upload.name or "").name
    if upload.size == 0:
        raise UserError(f"文件「{name}」是空文件。", field="证据文件")
    if upload.size > max_bytes():
        raise UserError(f"文件「{name}」超过大小上限 {max_bytes() / 1024 / 1024:g} MB。", field="证据文件")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for test, content_type, suffix, _label in _SNIFF:
        if test(head):
            return content_type, suffix
    raise UserError(f"文件「{name}」不是允许的类型；只能上传{ALLOWED_LABEL}。", field="证据文件")


def files_root() -> Path:
    return Path(settings.EVIDENCE_DIR) / "visits"


def file_path(vfile: VisitFile) -> Path:
    root = files_root().resolve()
    path = (root / vfile.stored_path).resolve()
    if root not in path.parents:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("非法的文件路径")
    return path


# ---- the plan -----------------------------------------------------------------------------------------


def plan_of(round: Round) -> VisitPlan | None:
    return VisitPlan.objects.filter(round=round).first()


def _load_map(text: str):
    from govassess.metrics import load_definitions
    from govassess.metrics.output import load_map
    from govassess.web.feeds.services import load_metric_map

    return load_metric_map(text, load_definitions(), load_map)


def plan_save(*, user, round: Round, period_from, period_to, map_text: str, visitor_ids) -> VisitPlan:
    policy.require_manage(user)
    round_policy.require_unlocked(round)
    from django.contrib.auth import get_user_model

    from govassess.web.accounts.models import Role

    if period_from and period_to and period_from > period_to:
        raise UserError("暗访期间的开始日期晚于结束日期。", field="暗访期间")
    map_text = (map_text or "").strip()
    if map_text:
        _load_map(map_text)  # located errors (映射文件.yaml, inputs[i]) before anything is saved
    users = list(get_user_model().objects.filter(pk__in=list(visitor_ids or []), profile__role=Role.REVIEWER))
    with transaction.atomic():
        plan, _ = VisitPlan.objects.get_or_create(round=round)
        before = {"period": [_iso(plan.period_from), _iso(plan.period_to)],
                  "visitors": sorted(plan.visitors.values_list("username", flat=True))}
        plan.period_from, plan.period_to, plan.map_text = period_from, period_to, map_text
        plan.save()
        plan.visitors.set(users)
        audit_record(user=user, action="visit_plan_save", object_type="visit_plan", object_id=plan.pk, round=round,
                     before=before,
                     after={"period": [_iso(period_from), _iso(period_to)],
                            "visitors": sorted(u.username for u in users), "map_lines": len(map_text.splitlines())})
    return plan


def _iso(d) -> str | None:
    return d.isoformat() if d else None


# ---- recording visits ---------------------------------------------------------------------------------


def _period(round: Round) -> tuple[dt.date, dt.date] | None:
    plan = plan_of(round)
    if plan and plan.period_from and plan.period_to:
        return plan.period_from, plan.period_to
    return None


def _checked(round: Round, data: dict) -> CoreVisit:
    """The core's checks on the form's values (Chinese field labels in the problems)."""
    when = " ".join(x for x in (str(data.get("date") or "").strip(), str(data.get("time") or "").strip()) if x)
    values = {
        "visit_id": "web",
        "unit": str(data.get("unit") or "").strip(),
        "visited_at": when,
        "channel": data.get("channel"),
        "matter": data.get("matter"),
        "waiting_minutes": data.get("waiting_minutes"),
        "handling_minutes": data.get("handling_minutes"),
        "outcome": data.get("outcome"),
        "note": data.get("note"),
    }
    problems = ProblemCollector()
    units = Unit.objects.filter(active=True).values_list("code", flat=True)
    core = validate_row(values, units=units, period=_period(round), problems=problems)
    # The form names fields, not spreadsheet columns.
    problems.problems = [Problem(p.message, field=p.column) for p in problems.problems]
    problems.raise_if_any()
    assert core is not None
    return core


def _aware(naive: dt.datetime) -> dt.datetime:
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _snapshot(v: Visit) -> dict:
    return {
        "unit": v.unit.code, "visited_at": timezone.localtime(v.visited_at).strftime("%Y-%m-%d %H:%M"),
        "channel": v.channel, "matter": v.matter, "waiting_minutes": v.waiting_minutes,
        "handling_minutes": v.handling_minutes, "outcome": v.outcome, "note": v.note,
    }


def _store_files(*, user, visit: Visit, uploads, written: list[Path]) -> list[VisitFile]:
    out = []
    rel_dir = Path(str(visit.round_id)) / visit.unit.code
    for up in uploads:
        content_type, suffix = sniff(up)
        rel = rel_dir / f"{uuid.uuid4().hex}{suffix}"
        target = files_root() / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        written.append(target)
        with open(target, "wb") as fh:
            for chunk in up.chunks():
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
        vf = VisitFile.objects.create(
            visit=visit, original_name=Path(up.name or "证据").name[:255], stored_path=str(rel),
            sha256=digest.hexdigest(), size=size, content_type=content_type, uploaded_by=user,
        )
        audit_record(user=user, action="visit_file_add", object_type="visit_file", object_id=vf.pk,
                     round=visit.round, unit_code=visit.unit.code,
                     after={"visit": visit.code, "file": vf.original_name, "sha256": vf.sha256, "size": size,
                            "type": content_type})
        out.append(vf)
    return out


def visit_save(*, user, round: Round, data: dict, uploads=(), visit: Visit | None = None) -> Visit:
    """Create (visit None) or change a visit with its new evidence files, all or nothing."""
    if visit is None:
        round_policy.require(policy.can_record(user, round), policy.NOT_VISITOR)
        round_policy.require_unlocked(round)
    else:
        policy.require_edit(user, visit)
        expected = data.get("version")
        if expected not in (None, "") and str(expected) != str(visit.version):
            raise UserError("该暗访记录已被他人修改，请刷新页面后重新填写。")
    uploads = list(uploads)
    if len(uploads) + (visit.files.count() if visit else 0) > MAX_FILES:
        raise UserError(f"每次暗访最多 {MAX_FILES} 个证据文件。", field="证据文件")
    for up in uploads:
        sniff(up)  # every file checked before anything is written
    core = _checked(round, data)
    unit = Unit.objects.get(code=core.unit)
    written: list[Path] = []
    try:
        with transaction.atomic():
            before = _snapshot(visit) if visit else None
            if visit is None:
                visit = Visit(round=round, visitor=user)
            visit.unit = unit
            visit.visited_at = _aware(core.visited_at)
            visit.channel, visit.outcome = core.channel, core.outcome
            visit.matter, visit.note = core.matter[:200], core.note
            visit.waiting_minutes, visit.handling_minutes = core.waiting_minutes, core.handling_minutes
            if before is not None:
                visit.version += 1
            visit.save()
            audit_record(user=user, action="visit_update" if before else "visit_create", object_type="visit",
                         object_id=visit.pk, round=round, unit_code=unit.code, before=before,
                         after=_snapshot(visit))
            _store_files(user=user, visit=visit, uploads=uploads, written=written)
    except BaseException:
        for p in written:  # the rows are gone with the transaction: their files go too
            p.unlink(missing_ok=True)
        raise
    return visit


def visit_exclude(*, user, visit: Visit, excluded: bool, reason: str = "") -> Visit:
    policy.require_manage(user)
    round_policy.require_unlocked(visit.round)
    reason = (reason or "").strip()
    if excluded and not reason:
        raise UserError("排除暗访记录须写明原因。", field="排除原因")
    with transaction.atomic():
        before = {"excluded": visit.excluded, "reason": visit.exclude_reason}
        visit.excluded, visit.exclude_reason = excluded, reason[:500] if excluded else ""
        visit.version += 1
        visit.save(update_fields=["excluded", "exclude_reason", "version", "updated_at"])
        audit_record(user=user, action="visit_exclude" if excluded else "visit_include", object_type="visit",
                     object_id=visit.pk, round=visit.round, unit_code=visit.unit.code, before=before,
                     after={"excluded": excluded, "reason": visit.exclude_reason})
    return visit


def visits_import(*, user, round: Round, upload) -> int:
    """An offline visits file (the template's columns) → visits of this round, all or nothing; the file's
    暗访人员 is kept as text (the office recorded them)."""
    policy.require_manage(user)
    round_policy.require_unlocked(round)
    name = Path(upload.name or "暗访记录.xlsx").name
    units = list(Unit.objects.filter(active=True).values_list("code", flat=True))
    with tempfile.TemporaryDirectory(prefix="govassess-visits-") as tmp:
        path = Path(tmp) / ("upload" + Path(name).suffix.lower())
        with open(path, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        found = read_visits(path, units=units, period=_period(round), name=name)
    if not found:
        raise UserError("文件中没有暗访记录。", file=name)
    by_code = {u.code: u for u in Unit.objects.filter(code__in={v.unit for v in found})}
    with transaction.atomic():
        for v in found:
            Visit.objects.create(
                round=round, unit=by_code[v.unit], visited_at=_aware(v.visited_at), visitor=None,
                visitor_label=v.visitor[:100] or f"（导入：{v.visit_id}）", channel=v.channel, matter=v.matter[:200],
                waiting_minutes=v.waiting_minutes, handling_minutes=v.handling_minutes, outcome=v.outcome,
                note=v.note,
            )
        audit_record(user=user, action="visit_import", object_type="round", object_id=round.pk, round=round,
                     after={"file": name, "visits": len(found)})
    return len(found)


# ---- metrics into the round ---------------------------------------------------------------------------


def counted(round: Round, period: tuple[dt.date, dt.date]):
    qs = Visit.objects.filter(round=round, excluded=False).select_related("unit")
    return [v for v in qs if period[0] <= timezone.localtime(v.visited_at).date() <= period[1]]


def _core(v: Visit) -> CoreVisit:
    return CoreVisit(
        visit_id=v.code, unit=v.unit.code, visited_at=timezone.localtime(v.visited_at).replace(tzinfo=None),
        channel=v.channel, outcome=v.outcome, matter=v.matter, waiting_minutes=v.waiting_minutes,
        handling_minutes=v.handling_minutes,
    )


def visit_input_rows(*, round: Round) -> tuple[list[dict[str, str]], list[str], dict[str, int]]:
    """(input rows, notes about rows left out, counted visits per unit) from the plan's map."""
    from govassess.metrics import DuckDBEngine, compute_metrics, input_rows, load_definitions, parse_period
    from govassess.web.feeds.services import write_units_file

    plan = plan_of(round)
    period = _period(round)
    if period is None or plan is None:
        raise UserError("请先在暗访安排中设置暗访期间。", field="暗访期间")
    if not plan.map_text.strip():
        raise UserError("请先在暗访安排中填写指标映射（把暗访指标对应到本轮指标体系的输入）。", field="指标映射")
    mmap = _load_map(plan.map_text)
    visits = counted(round, period)
    if not visits:
        raise UserError("暗访期间内没有可计入的暗访记录。")
    per_unit: dict[str, int] = {}
    for v in visits:
        per_unit[v.unit.code] = per_unit.get(v.unit.code, 0) + 1
    with tempfile.TemporaryDirectory(prefix="govassess-visits-") as tmp:
        folder = Path(tmp)
        write_records([_core(v) for v in visits], folder)
        units = write_units_file(folder / "units.csv")
        engine = DuckDBEngine()
        try:
            result = compute_metrics(
                engine, folder, parse_period(period[0].isoformat(), period[1].isoformat()),
                units_file=units, definitions=load_definitions(), strict=True,
            )
        finally:
            engine.close()
    rows, left_out = input_rows(result, mmap)
    for r in rows:
        n = per_unit.get(str(r["unit"]), 0)
        r["note"] = "；".join(x for x in (f"依据暗访 {n} 次", r.get("note") or "") if x)
    return rows, left_out, per_unit


def visits_push(*, user, round: Round, overwrite: bool = False):
    """写入本轮指标数据: the visit metrics → the mapped leaves' inputs (source 暗访). A value someone entered
    by hand (any other source) is never replaced unless the office confirms `overwrite`."""
    from govassess.web.feeds import services as feeds

    policy.require_manage(user)
    round_policy.require_unlocked(round)
    rows, left_out, per_unit = visit_input_rows(round=round)
    if not rows:
        raise UserError("映射中的暗访指标没有可写入的值" + (f"：{'；'.join(left_out)}" if left_out else "。"))
    if not overwrite:
        stored = {
            (c, i, n): (val, src)
            for c, i, n, val, src in InputValue.objects.filter(round=round).values_list(
                "unit__code", "indicator", "input", "value", "source")
        }
        clashes = []
        for r in rows:
            old = stored.get((str(r["unit"]), str(r["indicator"]), str(r["input"])))
            if old and old[0] != "" and old[1] != SOURCE and old[0] != str(r["value"]):
                clashes.append(Problem(
                    f"单位 {r['unit']} 的「{r['input']}」已有值「{old[0]}」（来源：{old[1] or '手工填报'}），"
                    f"暗访计算值为「{r['value']}」；确认覆盖后才会写入",
                    indicator=str(r["indicator"]),
                ))
        if clashes:
            raise UserError(problems=clashes)
    with transaction.atomic():
        push = feeds.push_rows(user=user, round=round, rows=rows, source=SOURCE)
        audit_record(user=user, action="visit_push", object_type="round", object_id=round.pk, round=round,
                     after={"visits": sum(per_unit.values()), "units": len(per_unit), "rows": len(rows),
                            "overwrite": overwrite, "left_out": left_out[:20]})
    return push, left_out, per_unit

"""Read side of a round's questionnaire: the counted responses as the core's Response objects, indices per unit
and class (the core's compute_indices: the same numbers as `govassess questionnaire score`), progress, the
set-aside responses, exports."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db.models import Count, Q

from govassess.questionnaire.indices import Indices, UnitInfo, compute_indices
from govassess.questionnaire.model import LIKERT5_LABELS, Form
from govassess.questionnaire.output import MapEntry, index_names, input_rows
from govassess.questionnaire.responses import Response
from govassess.web.questionnaires.models import Link, QResponse, Questionnaire, ResponseStatus
from govassess.web.questionnaires.services import form_of

POPULATION_KEYS = ("总体数量", "population", "服务人次")


def counted_responses(q: Questionnaire) -> list[Response]:
    """Responses that enter the indices: neither suspicious (unless reinstated) nor superseded."""
    rows = (QResponse.objects.filter(questionnaire=q, status=ResponseStatus.COUNTED)
            .select_related("unit").order_by("id"))
    return [Response(r.unit.code, dict(r.answers), r.pk) for r in rows]


def _population(unit) -> float | None:
    attrs = unit.attributes or {}
    for k in POPULATION_KEYS:
        v = attrs.get(k)
        try:
            x = float(v)
        except (TypeError, ValueError):
            continue
        if x > 0:
            return x
    return None


def unit_infos(q: Questionnaire) -> list[UnitInfo]:
    return [UnitInfo(link.unit.code, link.unit.name, link.unit.unit_class, _population(link.unit))
            for link in q.links.select_related("unit").order_by("unit__unit_class", "unit__code")]


def indices(q: Questionnaire) -> Indices:
    return compute_indices(form_of(q), counted_responses(q), unit_infos(q))


def pooled(q: Questionnaire):
    """Every counted response together (the results page's per-question charts)."""
    from govassess.questionnaire.indices import group_indices

    return group_indices(form_of(q), "全部", counted_responses(q))


def distribution(q: Questionnaire, name: str, scale: int) -> list[int]:
    counts = [0] * scale
    for r in counted_responses(q):
        v = r.answers.get(name)
        if isinstance(v, int) and 1 <= v <= scale:
            counts[v - 1] += 1
    return counts


def index_map(q: Questionnaire) -> list[MapEntry] | None:
    if not q.index_map:
        return None
    return [MapEntry(e["index"], e["indicator"], e["input"], float(e.get("scale", 1))) for e in q.index_map]


def rows_for_round(q: Questionnaire) -> tuple[list[dict[str, str]], list[str]]:
    return input_rows(indices(q), index_map(q))


def available_indices(q: Questionnaire) -> list[str]:
    return index_names(form_of(q))


def progress(q: Questionnaire) -> list[dict[str, Any]]:
    """Per unit: counted, set aside, superseded, against the form's minimum sample size."""
    form = form_of(q)
    links = (Link.objects.filter(questionnaire=q).select_related("unit")
             .annotate(counted=Count("responses", filter=Q(responses__status=ResponseStatus.COUNTED)),
                       suspicious=Count("responses", filter=Q(responses__status=ResponseStatus.SUSPICIOUS)),
                       superseded=Count("responses", filter=Q(responses__status=ResponseStatus.SUPERSEDED)),
                       codes_total=Count("codes", distinct=True))
             .order_by("unit__unit_class", "unit__code"))
    out = []
    for link in links:
        out.append({"link": link, "unit": link.unit, "counted": link.counted, "suspicious": link.suspicious,
                    "superseded": link.superseded, "min": form.settings.min_sample,
                    "short": link.counted < form.settings.min_sample})
    return out


def set_aside(q: Questionnaire):
    return (QResponse.objects.filter(questionnaire=q)
            .filter(Q(status=ResponseStatus.SUSPICIOUS) | Q(reinstated_by__isnull=False))
            .select_related("unit", "reinstated_by").order_by("unit__code", "id"))


# ---- exports: one row per response, labels not codes -------------------------------------------------------


def answer_label(form: Form, name: str, value: Any) -> Any:
    """An answer as the respondent read it: option labels, Likert 5 labels; numbers and text as they are."""
    qn = form.question(name)
    if value is None:
        return ""
    if qn.list_name:
        labels = {c.name: c.label for c in form.choices[qn.list_name]}
        if isinstance(value, list | tuple):
            return "、".join(labels.get(v, v) for v in value)
        return labels.get(value, value)
    if qn.type == "likert5" and isinstance(value, int) and 1 <= value <= 5:
        return LIKERT5_LABELS[value - 1]
    return value


EXPORT_HEAD = ["回答编号", "单位编码", "单位名称", "提交时间", "作答用时（秒）", "状态", "可疑原因"]


def export_rows(q: Questionnaire, *, counted_only: bool = False) -> tuple[list[str], list[list[Any]]]:
    from django.utils import timezone

    form = form_of(q)
    header = EXPORT_HEAD + [qn.label for qn in form.questions]
    rows = []
    qs = QResponse.objects.filter(questionnaire=q).select_related("unit").order_by("unit__code", "id")
    if counted_only:
        qs = qs.filter(status=ResponseStatus.COUNTED)
    for r in qs:
        status = r.get_status_display() + ("（评估办恢复计入）" if r.reinstated_by_id else "")
        rows.append([r.pk, r.unit.code, r.unit.name, timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M:%S"),
                     round(r.duration) if r.duration is not None else "", status, r.reason]
                    + [answer_label(form, qn.name, r.answers.get(qn.name)) for qn in form.questions])
    return header, rows


def export_xlsx(q: Questionnaire, target, *, counted_only: bool = False) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from govassess.outputs import save_workbook

    header, rows = export_rows(q, counted_only=counted_only)
    wb = Workbook()
    ws = wb.active
    ws.title = "回答"
    ws.append(header)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "D2"
    save_workbook(wb, target)


def export_csv(q: Questionnaire) -> bytes:
    from govassess.outputs import csv_row

    header, rows = export_rows(q)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for row in rows:
        w.writerow(csv_row(row))  # a comment starting with "=" must not run in Excel/WPS
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: WPS and Excel then read UTF-8

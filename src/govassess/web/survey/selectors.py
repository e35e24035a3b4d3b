"""Read side of the survey campaigns: completeness, the consolidated inventory and screening (all computed by
the core from the stored workbooks)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from govassess.forms.services import (
    SurveyData,
    duplicate_hints,
    survey_summary,
    survey_summary_workbook,
    survey_template,
    survey_validate,
    zombie_candidates,
)
from govassess.web.organisation.models import Unit
from govassess.web.organisation.selectors import unit_master_rows
from govassess.web.survey import policy
from govassess.web.survey.models import Campaign, Response, ResponseStatus


def campaign_list(*, user):
    if policy.is_office(user) or policy.can_view_unit(user, _own_unit(user)):
        return Campaign.objects.all()
    return Campaign.objects.none()


def _own_unit(user):
    from govassess.web.accounts.selectors import user_unit_id

    uid = user_unit_id(user=user)
    return Unit.objects.filter(pk=uid).first() if uid else None


def own_unit(*, user):
    return _own_unit(user)


def response_get(*, campaign: Campaign, unit) -> Response | None:
    return Response.objects.filter(campaign=campaign, unit=unit).defer("workbook").first()


def completeness(*, campaign: Campaign) -> list[dict]:
    """One row per active unit: status, upload time, rows per sub-table, effective deadline."""
    responses = {r.unit_id: r for r in campaign.responses.defer("workbook")}
    extensions = {e.unit_id: e.deadline for e in campaign.extensions.all()}
    rows = []
    for unit in Unit.objects.filter(active=True).order_by("unit_class", "code"):
        r = responses.get(unit.pk)
        rows.append(
            {
                "unit": unit,
                "response": r,
                "status": r.get_status_display() if r else "未上传",
                "done": bool(r and r.status == ResponseStatus.SUBMITTED),
                "systems": (r.counts or {}).get("systems", 0) if r else 0,
                "deadline": extensions.get(unit.pk, campaign.deadline),
                "extended": unit.pk in extensions,
            }
        )
    return rows


def template_bytes(*, campaign: Campaign, unit) -> bytes:
    """The fill-in workbook with the unit's 一表通 master data (and its subordinate units) pre-filled."""
    with tempfile.TemporaryDirectory() as tmp:
        out = survey_template(
            out=Path(tmp) / "t.xlsx",
            form=campaign.form_id,
            cutoff=campaign.cutoff,
            units=unit_master_rows(unit),
        )
        return out.read_bytes()


def datasets(*, campaign: Campaign, submitted_only: bool = False) -> list[SurveyData]:
    """Every unit's stored workbook, re-read by the core (so a changed form definition applies everywhere)."""
    qs = campaign.responses.select_related("unit").order_by("unit__code")
    if submitted_only:
        qs = qs.filter(status=ResponseStatus.SUBMITTED)
    return [
        survey_validate(
            io.BytesIO(bytes(r.workbook)), form=campaign.form_id, cutoff=campaign.cutoff, filename=r.filename
        )
        for r in qs
    ]


def screening_config(*, campaign: Campaign) -> dict:
    from govassess.forms.screening import load_screening_config

    return load_screening_config(thresholds=campaign.zombie_thresholds or {})


def consolidated(*, campaign: Campaign) -> dict:
    from govassess.forms.screening import threshold_rows

    config = screening_config(campaign=campaign)
    thresholds = threshold_rows(config)
    data = datasets(campaign=campaign)
    if not data:
        return {
            "summary": [],
            "columns": [],
            "zombies": [],
            "duplicates": [],
            "files": 0,
            "thresholds": thresholds,
        }
    summary = survey_summary(data)
    columns = [k for k in summary[0] if k != "部门"] if summary else []
    return {
        "thresholds": thresholds,
        "summary": summary,
        "columns": columns,
        "zombies": zombie_candidates(data, usage=usage_of(campaign=campaign), config=config),
        "duplicates": duplicate_hints(data),
        "files": len(data),
    }


def summary_workbook_bytes(*, campaign: Campaign) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = survey_summary_workbook(datasets=datasets(campaign=campaign), out=Path(tmp) / "s.xlsx")
        return out.read_bytes()


def systems_editor(*, campaign: Campaign, unit) -> tuple[list, list[dict]]:
    """(fields, rows as text) of the unit's stored 政务信息系统基本情况表, for the online table editor."""
    import datetime as dt

    from govassess.forms.model import load_form

    fields = list(load_form(campaign.form_id).sheet("systems").fields)
    stored = Response.objects.filter(campaign=campaign, unit=unit).first()
    if stored is None:
        return fields, []
    data = survey_validate(
        io.BytesIO(bytes(stored.workbook)),
        form=campaign.form_id,
        cutoff=campaign.cutoff,
        filename=stored.filename,
    )

    def text(v):
        if v is None:
            return ""
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return fields, [{f.name: text(r.get(f.name)) for f in fields} for r in data.rows("systems")]


def usage_of(*, campaign: Campaign) -> dict | None:
    """The campaign's usage figures as the core reads them, or None when the office has not uploaded any."""
    from govassess.forms.services import read_usage

    if not campaign.usage:
        return None
    suffix = Path(campaign.usage_filename or "u.csv").suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"usage{suffix}"
        path.write_bytes(bytes(campaign.usage))
        return read_usage(path)


def selfeval_scores(*, campaign: Campaign) -> dict:
    """市级政务信息化建设项目绩效自评价 of every 运行中 system with usage figures, scored by the core on the built-in
    indicator system `project-self-evaluation`: {"units": [...], "indicators": [(code, name)], "warnings": [...]}."""
    from govassess.data import inputs_from_rows, units_from_rows
    from govassess.forms.services import selfeval_inputs, selfeval_units
    from govassess.indicators import load_system
    from govassess.scoring import score_round

    usage = usage_of(campaign=campaign)
    data = datasets(campaign=campaign)
    if usage is None or not data:
        return {"units": [], "indicators": [], "warnings": []}
    unit_rows = selfeval_units(data, usage)
    if not unit_rows:
        return {"units": [], "indicators": [], "warnings": ["没有同时具备调查表（运行中）和运行数据的系统"]}
    system = load_system("project-self-evaluation")
    units = units_from_rows(unit_rows)
    inputs = inputs_from_rows(system, units, selfeval_inputs(data, usage), source="普查")
    result = score_round(system, units, inputs, round_name=campaign.name).to_dict()
    leaves = list(system.leaves())
    codes, names = [n.code for n in leaves], {n.code: n.name for n in leaves}
    rows = [
        {
            "unit": u["unit"],
            "score": u.get("score"),
            "cells": [(u.get("indicators") or {}).get(c, {}).get("score") for c in codes],
        }
        for u in result["units"]
    ]
    return {
        "units": rows,
        "indicators": [(c, names[c]) for c in codes],
        "warnings": result.get("warnings", []),
    }

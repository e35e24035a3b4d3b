"""Service functions of the survey, for the web platform, the API and the CLI (plain Python, no Django).

Each takes keyword arguments and either returns plain data or raises ``govassess.errors.UserError`` carrying every
located problem (``err.to_dict()`` gives ``{"message", "problems": [{file, sheet, row, column, message}]}``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO, Any

from govassess.forms.model import Form, list_forms, load_form
from govassess.forms.screening import duplicate_hints, load_screening_config, read_usage, zombie_candidates
from govassess.forms.selfeval import selfeval_inputs, selfeval_units
from govassess.forms.summary import export_survey, survey_summary, write_summary_workbook
from govassess.forms.survey import SurveyData, read_workbook, validate_survey
from govassess.forms.template import write_template
from govassess.outputs import OutputSet

__all__ = [
    "SurveyData",
    "survey_forms",
    "survey_template",
    "survey_validate",
    "survey_import",
    "survey_summary",
    "survey_summary_workbook",
    "zombie_candidates",
    "duplicate_hints",
    "selfeval_inputs",
    "selfeval_units",
    "read_usage",
    "load_screening_config",
]


def _form(form: Form | str, cutoff: dt.date | None) -> Form:
    f = load_form(form) if isinstance(form, str) else form
    return f.with_cutoff(cutoff) if cutoff else f


def survey_forms() -> list[tuple[str, str]]:
    """Built-in forms as (id, name)."""
    return list_forms()


def survey_template(
    *,
    out: str | Path,
    form: Form | str = "info-system-survey",
    cutoff: dt.date | None = None,
    units: list[dict[str, Any]] | None = None,
) -> Path:
    """The fill-in workbook. ``units`` (一表通 master data: 单位名称, 所属部门, 地址, 统一社会信用代码, 性质, 联系人,
    联系方式) pre-fills the 单位基本情况 sheet so a unit never types its master data twice."""
    with OutputSet() as outs:
        write_template(_form(form, cutoff), outs.file(out), prefill={"units": units} if units else None)
    return Path(out)


def survey_validate(
    source: str | Path | IO[bytes],
    *,
    form: Form | str = "info-system-survey",
    cutoff: dt.date | None = None,
    filename: str | None = None,
) -> SurveyData:
    """Validate a workbook given as a path or an open binary file (an upload). Raises UserError with every problem."""
    f = _form(form, cutoff)
    name = filename or (Path(source).name if isinstance(source, (str, Path)) else None)
    return validate_survey(f, read_workbook(source, filename=name), file=name)


def survey_import(
    source: str | Path | IO[bytes],
    *,
    out_dir: str | Path,
    form: Form | str = "info-system-survey",
    cutoff: dt.date | None = None,
    filename: str | None = None,
) -> SurveyData:
    """Validate, then write one CSV per sub-table + manifest.json. Any error → nothing is written."""
    data = survey_validate(source, form=form, cutoff=cutoff, filename=filename)
    export_survey(data, out_dir)
    return data


def survey_summary_workbook(*, datasets: list[SurveyData], out: str | Path) -> Path:
    """The 汇总表 as an .xlsx."""
    if not datasets:
        from govassess.errors import UserError

        raise UserError("没有可汇总的调查表")
    with OutputSet() as outs:
        write_summary_workbook(datasets[0].form, survey_summary(datasets), outs.file(out))
    return Path(out)

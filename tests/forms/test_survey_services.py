"""The service functions the web platform calls."""

from __future__ import annotations

import io

import pytest
from survey_helpers import fill_template, system_row, unit_row, write_book

from govassess.errors import UserError
from govassess.forms import services


def test_validate_an_upload_and_error_body(form, tmp_path):
    path = write_book(
        form, tmp_path / "a.xlsx", {"units": [unit_row()], "systems": [system_row(系统类型="网站")]}
    )
    with pytest.raises(UserError) as err:
        services.survey_validate(io.BytesIO(path.read_bytes()), filename="审计局.xlsx")
    body = err.value.to_dict()
    (problem,) = body["problems"]
    assert problem["file"] == "审计局.xlsx" and problem["sheet"] == "政务信息系统基本情况表"
    assert problem["row"] == 2 and problem["column"] == "系统类型"


def test_template_prefilled_with_unit_master_data(form, tmp_path):
    # 一表通: the unit's master data is entered once and pre-filled into the template.
    units = [unit_row("白山市审计局"), unit_row("白山市审计局信息中心", "白山市审计局")]
    template = services.survey_template(out=tmp_path / "t.xlsx", units=units)
    filled = fill_template(template, tmp_path / "f.xlsx", {"systems": [system_row()]}, form)
    data = services.survey_validate(filled)
    assert [r["单位名称"] for r in data.rows("units")] == ["白山市审计局", "白山市审计局信息中心"]
    assert data.rows("units")[1]["所属部门"] == "白山市审计局"


def test_import_and_summary_workbook(form, tmp_path):
    path = write_book(form, tmp_path / "a.xlsx", {"units": [unit_row()], "systems": [system_row()]})
    data = services.survey_import(path, out_dir=tmp_path / "out")
    assert (tmp_path / "out" / "systems.csv").exists()
    out = services.survey_summary_workbook(datasets=[data], out=tmp_path / "s.xlsx")
    assert out.exists()
    with pytest.raises(UserError):
        services.survey_summary_workbook(datasets=[], out=tmp_path / "none.xlsx")

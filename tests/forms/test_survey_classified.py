"""The seed's 填表范围 (000 填表说明 2(1)): 停用系统不需填报 (accepted with its status, not counted);
"本次填写包括绝密级以外的涉密网络、系统"; "涉密、非涉密应分开填报，上报时须分开刻盘并明确标注"."""

from __future__ import annotations

import pytest
from survey_helpers import run, system_row, unit_row, write_book

from govassess.errors import UserError
from govassess.forms.screening import duplicate_hints
from govassess.forms.summary import survey_summary
from govassess.forms.survey import survey_validate

UNITS = [unit_row()]


def _network(level: str | None, name: str = "审计专网") -> dict:
    return {
        "部门全称": "白山市审计局",
        "网络名称": name,
        "网络类型": "电子政务专网",
        "主管科室": "信息中心",
        "承载用途/业务应用": "审计数据传输",
        "信息系统分级保护定级情况": level,
    }


def _book(form, path, systems, networks=()):
    return write_book(form, path, {"units": UNITS, "systems": list(systems), "networks": list(networks)})


def test_a_stopped_system_is_accepted_with_its_status_and_a_notice(form, tmp_path):
    rows = [system_row(), system_row(name="旧档案系统", 系统状态="停止使用")]
    data = survey_validate(_book(form, tmp_path / "a.xlsx", rows), form=form)
    assert [r["系统状态"] for r in data.rows("systems")] == ["运行中", "停止使用"]
    assert [r["信息系统名称"] for r in data.counted("systems")] == ["审计业务管理系统"]
    (notice,) = [w for w in data.warnings if "停止使用" in w]
    # Header is row 1, the stopped system the second data row → Excel row 3.
    assert "政务信息系统基本情况表" in notice and "第 3 行" in notice and "停用系统不需填报" in notice
    assert "不计入汇总" in notice


def test_stopped_systems_are_left_out_of_the_summary_and_counted_apart(form, tmp_path):
    # 100.25 万元 each (system_row); only the running one counts: 信息系统数 1, amount 100.25.
    rows = [system_row(), system_row(name="旧档案系统", 系统状态="停止使用")]
    data = survey_validate(_book(form, tmp_path / "a.xlsx", rows), form=form)
    by_dept = {r["部门"]: r for r in survey_summary([data])}
    line = by_dept["白山市审计局"]
    assert line["信息系统数"] == 1
    assert line["运行中系统数"] == 1
    assert line["停止使用系统数（不计入信息系统数）"] == 1
    assert line["信息系统实际已投入总金额"] == pytest.approx(100.25)


def test_a_stopped_system_suggests_no_duplicate_spending(form, tmp_path):
    a = survey_validate(_book(form, tmp_path / "a.xlsx", [system_row(系统状态="停止使用")]), form=form)
    other = [unit_row("白山市财政局")]
    b_path = write_book(
        form, tmp_path / "b.xlsx", {"units": other, "systems": [system_row(dept="白山市财政局")]}
    )
    b = survey_validate(b_path, form=form)
    assert duplicate_hints([a, b]) == []
    running = survey_validate(_book(form, tmp_path / "c.xlsx", [system_row()]), form=form)
    assert len(duplicate_hints([running, b])) == 1  # the same pair counts when both run


@pytest.mark.parametrize("sheet", ["systems", "networks"])
def test_top_secret_is_outside_the_survey(form, tmp_path, sheet):
    systems = [system_row(信息系统分级保护定级情况="绝密")] if sheet == "systems" else [system_row()]
    networks = [_network("绝密")] if sheet == "networks" else []
    with pytest.raises(UserError) as err:
        survey_validate(_book(form, tmp_path / "a.xlsx", systems, networks), form=form)
    (p,) = err.value.problems
    assert p.column == "信息系统分级保护定级情况" and p.row == 2
    assert "绝密级以外" in p.message and "绝密" in p.message


def test_classified_and_unclassified_rows_cannot_share_a_workbook(form, tmp_path):
    systems = [system_row(), system_row(name="涉密办公系统", 信息系统分级保护定级情况="秘密")]
    with pytest.raises(UserError) as err:
        survey_validate(_book(form, tmp_path / "mixed.xlsx", systems), form=form)
    (p,) = err.value.problems
    assert p.file == "mixed.xlsx" and p.column == "信息系统分级保护定级情况"
    assert "涉密、非涉密应分开填报" in p.message
    assert "第 2 行（未定密）" in p.message and "第 3 行（秘密）" in p.message


def test_a_classified_network_makes_the_workbook_classified_too(form, tmp_path):
    # 非涉密 system + 机密 network: mixed across sheets.
    with pytest.raises(UserError, match="分开填报"):
        survey_validate(_book(form, tmp_path / "m.xlsx", [system_row()], [_network("机密")]), form=form)


def test_pending_approval_goes_with_either_group(form, tmp_path):
    pending = system_row(name="待审批系统", 信息系统分级保护定级情况="等待审批")
    secret = survey_validate(
        _book(form, tmp_path / "s.xlsx", [pending, system_row(信息系统分级保护定级情况="秘密")]), form=form
    )
    assert secret.classification == "涉密"
    plain = survey_validate(_book(form, tmp_path / "p.xlsx", [pending, system_row()]), form=form)
    assert plain.classification == "非涉密"
    only_pending = survey_validate(_book(form, tmp_path / "o.xlsx", [pending]), form=form)
    assert only_pending.classification is None


def test_classified_and_unclassified_files_are_summarised_separately(form, tmp_path, capsys):
    secret = _book(form, tmp_path / "涉密.xlsx", [system_row(信息系统分级保护定级情况="机密")])
    plain = _book(form, tmp_path / "非涉密.xlsx", [system_row(name="门户网站")])
    out = tmp_path / "汇总表.xlsx"
    assert run(["survey", "summary", str(secret), str(plain), "--out", str(out)]) == 2
    assert not out.exists()
    text = capsys.readouterr().out
    assert "涉密：涉密.xlsx" in text and "非涉密：非涉密.xlsx" in text and "分别汇总" in text
    assert run(["survey", "summary", str(secret), "--out", str(out)]) == 0
    assert out.exists()

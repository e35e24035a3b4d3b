"""The systems added from seeds 000 and 002 through the CLI a user runs: listed by `govassess systems`,
clean under `check-system`, a fill-in template, and `govassess score` on a hand-worked CSV."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from govassess.cli import main
from govassess.indicators import load_system

NEW = ["infosec-egov", "gov-open-dept-2017", "hainan-gov-open", "changzhou-website-2006", "credit-gov", "stats-info",
       "ningde-info-2018"]


def test_systems_lists_every_new_system_with_its_scale(capsys):
    assert main(["systems"]) == 0
    out = capsys.readouterr().out
    for system_id in NEW:
        assert system_id in out
    # 宁德: 4 × 25 for everyone but 东侨, 100 for 东侨 → total 200, but a unit's score is out of 100.
    row = next(line for line in out.splitlines() if "ningde-info-2018" in line)
    assert "100" in row and "200" not in row


@pytest.mark.parametrize("system_id", NEW)
def test_check_system_and_template(system_id, tmp_path, capsys):
    assert main(["check-system", system_id]) == 0
    assert "检查通过" in capsys.readouterr().out
    system = load_system(system_id)
    units = tmp_path / "units.csv"
    units.write_text(f"unit,name,class\nU1,单位一,{(system.classes or ('市级部门',))[0]}\n", encoding="utf-8")
    out = tmp_path / "t.xlsx"
    assert main(["template", system_id, "--units", str(units), "--out", str(out)]) == 0
    cells = {str(c.value) for ws in openpyxl.load_workbook(out).worksheets for row in ws.iter_rows() for c in row if c.value}
    # every input the unit has to fill is in the workbook under its Chinese name
    assert {spec.input for spec in system.inputs()} <= cells


def _score(tmp_path: Path, system_id: str, units: str, inputs: str) -> dict:
    (tmp_path / "units.csv").write_text(units, encoding="utf-8")
    (tmp_path / "inputs.csv").write_text(inputs, encoding="utf-8")
    out = tmp_path / "r.json"
    assert main(["score", system_id, "--units", str(tmp_path / "units.csv"), "--inputs", str(tmp_path / "inputs.csv"),
                 "--out", str(out)]) == 0
    return {u["unit"]: u for u in json.loads(out.read_text(encoding="utf-8"))["units"]}


def test_score_stats_info_from_csv(tmp_path):
    got = _score(tmp_path, "stats-info", "unit,name,class\nS,甲县统计局,统计部门\n",
                 "unit,indicator,input,value,note\n"
                 "S,1,核实无误条数,45,\nS,1,抽样核实条数,50,\n"
                 "S,2,按时发布条数,20,\nS,2,审查发布条数,20,\n"
                 "S,3,内容完整条数,30,\nS,3,抽样核实条数,50,\n"
                 "S,4,明确来源和采集方法条数,18,\nS,4,审查发布条数,20,\nS,4,发现虚假信息条数,0,\n")
    # 45/50 × 25 = 22.5; 20/20 × 25 = 25; 30/50 × 25 = 15; 18/20 × 25 = 22.5 → 85 → 良好 (80–90)
    assert got["S"]["score"] == 85 and got["S"]["grade"] == "良好"


def test_score_gov_open_bonus_and_penalty_from_csv(tmp_path):
    got = _score(tmp_path, "gov-open-dept-2017", "unit,name,class\nP,旗教育局,旗直部门\n",
                 "unit,indicator,input,value,note\n"
                 "P,a,人工评分,6,四次会议未说明是否公开\nP,b,人工评分,7,目录完整\n"
                 "P,5,学习情况,达标,\nP,6,日常监控得分,15,\n"
                 "P,10+,发布政策解读材料份数,3,\nP,10-,应发布未发布件数,2,\n")
    # 6 + 7 + 10 + 15 = 38 of 47; + 3 × 2 = 6; − 2 × 2 = 4 → 40
    assert (got["P"]["weighted"], got["P"]["bonus"], got["P"]["penalty"], got["P"]["score"]) == (38, 6, 4, 40)

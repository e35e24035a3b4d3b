"""The CLI end to end: located Chinese errors with exit code 2, no traceback, no partial output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from govassess.cli import main

SYSTEM = """\
id: mini
name: 迷你体系
total: 10
scale: 100
grades: [{name: 优秀, min: 90}, {name: 合格, min: 60}, {name: 不合格, min: 0}]
indicators:
  - name: 服务
    code: "1"
    children:
      - {name: 网上受理率, code: "1.1", points: 4, rule: {type: ratio, value: 网上受理率}}
      - {name: 外网接入, code: "1.2", points: 3, rule: {type: choice, input: 专线接入, options: {是: 3, 否: 1, 未接入: 0}}}
      - {name: 项目源头管控, code: "1.3", points: 3, rule: {type: manual}}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    (tmp_path / "units.csv").write_text("unit,name,class\nA,市教育局,市级部门\nB,市科技局,市级部门\n", encoding="utf-8")
    (tmp_path / "inputs.csv").write_text(
        "unit,indicator,input,value,note\n"
        "A,1.1,网上受理率,95%,\nA,1.2,专线接入,是,\nA,1.3,score,3,清单完整\n"
        "B,1.1,网上受理率,0.5,\nB,1.2,专线接入,否,\nB,1.3,score,1.5,清单未覆盖下属单位\n", encoding="utf-8")
    return {"system": tmp_path / "s.yaml", "units": tmp_path / "units.csv", "inputs": tmp_path / "inputs.csv", "dir": tmp_path}


def score(files, *extra: str) -> int:
    return main(["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
                 "--out", str(files["dir"] / "r.json"), *extra])


def test_score_writes_results(files):
    assert score(files, "--round", "2021年上半年") == 0
    data = json.loads((files["dir"] / "r.json").read_text(encoding="utf-8"))
    units = {u["unit"]: u for u in data["units"]}
    # A: 4 × 0.95 = 3.8, 3, 3 → 9.8/10 → 98; B: 2 + 1 + 1.5 = 4.5 → 45
    assert units["A"]["score"] == 98.0 and units["A"]["rank"] == 1 and units["A"]["grade"] == "优秀"
    assert units["B"]["score"] == 45.0 and units["B"]["grade"] == "不合格"
    assert data["round"] == "2021年上半年"
    assert "清单未覆盖下属单位" in units["B"]["indicators"]["1.3"]["explanation"]


def _fails_cleanly(capsys, argv: list[str], *needles: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err
    return err


def test_bad_inputs_exit_2_located_and_nothing_written(files, capsys):
    files["inputs"].write_text("unit,indicator,input,value\nA,1.1,网上受理率,九十\nZ,1.1,网上受理率,1\nA,1.2,专线接入,部分\n",
                               encoding="utf-8")
    out = files["dir"] / "r.json"
    _fails_cleanly(capsys, ["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
                            "--out", str(out)], "第 2 行", "列「value」", "九十", "第 3 行", "未知单位「Z」", "第 4 行", "是、否、未接入")
    assert not out.exists()
    assert not list(files["dir"].glob(".r.json*"))


def test_missing_column_and_broken_files(files, capsys):
    files["inputs"].write_text("unit,indicator,value\nA,1.1,1\n", encoding="utf-8")
    _fails_cleanly(capsys, ["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
                            "--out", str(files["dir"] / "r.json")], "缺少列", "input")
    files["system"].write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    _fails_cleanly(capsys, ["check-system", str(files["system"])], "YAML 格式错误：列表没有闭合", "从第 2 行开始")
    broken = files["dir"] / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    _fails_cleanly(capsys, ["score", "egov-2019-annual", "--units", str(broken), "--inputs", str(files["inputs"]),
                            "--out", str(files["dir"] / "r.json")], "broken.xlsx", "文件已损坏")


def test_unknown_system_and_class_and_duplicate_units(files, capsys):
    _fails_cleanly(capsys, ["check-system", "no-such-system"], "找不到指标体系")
    files["units"].write_text("unit,name,class\nA,甲,市级部门\nA,乙,市级部门\n", encoding="utf-8")
    _fails_cleanly(capsys, ["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
                            "--out", str(files["dir"] / "r.json")], "单位编码「A」重复", "第 3 行")


def test_check_system_reports_sum_and_schema_problems(files, capsys):
    files["system"].write_text(SYSTEM.replace("total: 10", "total: 12").replace("rule: {type: manual}", "rule: {type: manual}, colour: red"),
                               encoding="utf-8")
    _fails_cleanly(capsys, ["check-system", str(files["system"])], "不认识的字段 colour", "指标 1.3")
    files["system"].write_text(SYSTEM.replace("total: 10", "total: 12"), encoding="utf-8")
    _fails_cleanly(capsys, ["check-system", str(files["system"])], "合计 10", "total 12")


def test_template_round_trip_reads_back_unchanged(files, tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
                 "--out", str(out)]) == 0
    wb = load_workbook(out)
    ws = wb["填报"]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["单位编码", "单位名称", "指标编码", "指标名称", "输入项", "填报值", "备注（理由）"]
    assert ws.max_row == 1 + 2 * 3  # two units × three inputs
    # the manual leaf's input reads 评分 (its label), not the file identifier "score"; it still reads back
    assert [ws.cell(r, 5).value for r in range(2, 5)] == ["网上受理率", "专线接入", "评分"]
    assert any('"是,否,未接入"' in dv.formula1 for dv in ws.data_validations.dataValidation)
    assert ws.freeze_panes == "F2"
    # scoring the filled template gives the same result as the CSV
    assert main(["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(out),
                 "--out", str(tmp_path / "from-xlsx.json")]) == 0
    assert score(files) == 0
    a = json.loads((tmp_path / "from-xlsx.json").read_text(encoding="utf-8"))
    b = json.loads((files["dir"] / "r.json").read_text(encoding="utf-8"))
    assert [(u["unit"], u["score"]) for u in a["units"]] == [(u["unit"], u["score"]) for u in b["units"]]


def test_combine_cli(files, tmp_path, capsys):
    assert score(files, "--round", "上半年") == 0
    (tmp_path / "h1.json").write_bytes((files["dir"] / "r.json").read_bytes())
    files["inputs"].write_text(files["inputs"].read_text(encoding="utf-8").replace("0.5,", "1,"), encoding="utf-8")
    assert score(files, "--round", "下半年") == 0
    assert main(["combine", str(tmp_path / "h1.json"), str(files["dir"] / "r.json"), "--weights", "0.4,0.6",
                 "--out", str(tmp_path / "annual.json")]) == 0
    annual = {u["unit"]: u for u in json.loads((tmp_path / "annual.json").read_text(encoding="utf-8"))["units"]}
    # B: H1 45; H2 4 + 1 + 1.5 = 6.5 → 65; 0.4 × 45 + 0.6 × 65 = 18 + 39 = 57
    assert annual["B"]["score"] == 57.0 and annual["A"]["score"] == 98.0
    _fails_cleanly(capsys, ["combine", str(tmp_path / "h1.json"), str(files["dir"] / "r.json"), "--weights", "0.4,x",
                            "--out", str(tmp_path / "a2.json")], "--weights")


def test_builtin_systems_all_check(capsys):
    for system_id in ("yangjiang-2021-dept", "yangjiang-2021-county", "heihe-2023", "egov-2019-annual"):
        assert main(["check-system", system_id]) == 0
    out = capsys.readouterr().out
    assert "常规叶子指标 41 个" in out and "常规叶子指标 38 个" in out and "常规叶子指标 54 个" in out and "常规叶子指标 35 个" in out


def test_folder_instead_of_file_and_bad_json(files, tmp_path, capsys):
    folder = tmp_path / "units.csv.d"
    folder.mkdir()
    _fails_cleanly(capsys, ["score", str(files["system"]), "--units", str(folder), "--inputs", str(files["inputs"]),
                            "--out", str(tmp_path / "r.json")], "不是文件")
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  oops", encoding="utf-8")
    _fails_cleanly(capsys, ["combine", str(bad), str(bad), "--weights", "0.5,0.5", "--out", str(tmp_path / "a.json")],
                   "不是有效的结果 JSON", "第 2 行")
    # writing into a path whose parent is a file: refused before anything is written, without a traceback
    _fails_cleanly(capsys, ["export-system", "heihe-2023", "--format", "yaml", "--out", str(files["units"] / "x.yaml")],
                   "--out", "不是目录")


def test_argument_errors_are_in_chinese(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["score", "mini"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "缺少必需的参数" in err and "--units" in err and "required" not in err
    with pytest.raises(SystemExit):
        main(["export-system", "heihe-2023", "--format", "pdf", "--out", "x"])
    assert "取值 'pdf' 无效" in capsys.readouterr().err


def test_system_without_grades_says_so_once_and_office_sets_grades_per_round(files, tmp_path, capsys):
    ungraded = files["dir"] / "ungraded.yaml"
    ungraded.write_text(SYSTEM.replace("grades: [{name: 优秀, min: 90}, {name: 合格, min: 60}, {name: 不合格, min: 0}]\n", ""),
                        encoding="utf-8")
    base = ["score", str(ungraded), "--units", str(files["units"]), "--inputs", str(files["inputs"])]
    assert main([*base, "--out", str(tmp_path / "a.json"), "--xlsx", str(tmp_path / "a.xlsx")]) == 0
    out = capsys.readouterr().out
    assert out.count("本体系未设等次") == 1 and "等次" not in out.split("本体系未设等次")[1].split("\n", 1)[1]
    a = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert [n for n in a["notices"] if n.startswith("本体系未设等次")] and not a["warnings"]
    wb = load_workbook(tmp_path / "a.xlsx")
    assert "等次" not in [c.value for c in wb["排名-市级部门"][2]]
    assert any("本体系未设等次" in (r[1] or "") for r in wb["说明"].iter_rows(min_row=3, values_only=True))
    # the office's bands for this round: A = (4 × 0.95 + 3 + 3) / 10 × 100 = 98 → 优秀;
    # B = (4 × 0.5 + 1 + 1.5) / 10 × 100 = 45 → 不合格
    assert main([*base, "--out", str(tmp_path / "b.json"), "--grades", "优秀≥90，合格≥60，不合格≥0"]) == 0
    b = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert {u["unit"]: (u["score"], u["grade"]) for u in b["units"]} == {"A": (98, "优秀"), "B": (45, "不合格")}
    assert "等次由评估办为本轮设定：优秀≥90，合格≥60，不合格≥0" in b["notices"]
    assert not [n for n in b["notices"] if n.startswith("本体系未设等次")]


def test_bad_grades_option_is_refused(files, tmp_path, capsys):
    _fails_cleanly(capsys, ["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
                            "--out", str(tmp_path / "r.json"), "--grades", "合格≥60，优秀≥90"], "自高到低")
    assert not (tmp_path / "r.json").exists()

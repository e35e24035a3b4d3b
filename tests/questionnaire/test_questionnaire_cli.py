"""`govassess questionnaire …` end to end: real files in, inputs scored by `govassess score`, clean refusals."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from qhelpers import SMALL_SURVEY, write_form, write_responses

from govassess.cli import main
from govassess.questionnaire import builtin_form, load_form
from govassess.questionnaire.responses import read_responses

HEADER = ["单位编码", "一次办成", "态度", "指南", "等候", "总体", "意见"]
ROWS = [  # the responses of test_indices: A index 70, 满意率 3/5; B index 37.5, 满意率 1/2
    ["A", "是", 5, 4, 10, 5, None], ["A", "是", 4, None, 20, 4, None], ["A", "否", 2, 2, 45, 2, "=HYPERLINK(\"http://x\",\"点我\")"],
    ["A", "是", 5, 5, None, 5, None], ["A", "是", 3, 4, None, 3, None],
    ["B", "是", 4, 4, None, 4, None], ["B", "否", 1, None, None, 1, "态度差"],
]
SYSTEM = """\
id: sat
name: 满意度体系
total: 15
scale: 100
indicators:
  - name: 政务服务满意度
    code: "3"
    children:
      - {name: 满意度指数, code: "3.1", points: 10, rule: {type: formula, expr: "满意度指数 / 100 * 10"}}
      - {name: 群众满意率, code: "3.2", points: 5, rule: {type: ratio, value: 满意率}}
"""
MAP = """\
inputs:
  - {index: 满意度指数, indicator: "3.1", input: 满意度指数}
  - {index: 满意率, indicator: "3.2", input: 满意率}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "units.csv").write_text("unit,name,class,总体数量\nA,甲中心,市直,1000\nB,乙中心,市直,200\n",
                                        encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(MAP, encoding="utf-8")
    return {"form": write_form(tmp_path / "form.xlsx"), "responses": write_responses(tmp_path / "r.xlsx", HEADER, ROWS),
            "units": tmp_path / "units.csv", "map": tmp_path / "map.yaml", "system": tmp_path / "s.yaml", "dir": tmp_path}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_builtin_copy_then_import_summary(tmp_path, capsys):
    out = tmp_path / "满意度问卷.xlsx"
    assert main(["questionnaire", "builtin", "--out", str(out)]) == 0
    assert load_form(out).questions == builtin_form("satisfaction").questions
    capsys.readouterr()
    assert main(["questionnaire", "import", str(out)]) == 0
    text = capsys.readouterr().out
    assert "问卷「政务服务满意度调查」（问卷编号 satisfaction，版本 2026-1）检查通过" in text
    assert "题目 20 道" in text and "总体满意度题：总体满意度（满意 ≥ 4 分，差评 ≤ 2 分）" in text
    assert main(["questionnaire", "builtin", "visit", "--out", str(tmp_path / "v.xlsx")]) == 0


def test_import_of_a_bad_form_exits_2_with_located_message(tmp_path, capsys):
    path = write_form(tmp_path / "bad.xlsx", [*SMALL_SURVEY, ["单选 渠道", "渠道", "渠道", "", "", "", ""]])
    assert main(["questionnaire", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "工作表「问题」，第 8 行，列「类型」：选项列表「渠道」在「选项」工作表中不存在" in err


def test_score_without_map_writes_every_index_named_by_the_form(files):
    out = files["dir"] / "inputs.csv"
    assert main(["questionnaire", "score", str(files["form"]), str(files["responses"]), "--units", str(files["units"]),
                 "--out", str(out)]) == 0
    rows = {(r["unit"], r["input"]): r for r in _csv(out)}
    assert {r["indicator"] for r in rows.values()} == {"small"}
    assert rows["A", "样本量"]["value"] == "5" and rows["A", "满意度指数"]["value"] == "70"
    assert rows["A", "满意度指数"]["note"].startswith("样本量 5，95% 置信区间 32.98–107.02")  # 70 ± 2.7764 × 13.3333
    assert rows["A", "满意率"]["value"] == "0.6" and rows["B", "满意度指数"]["value"] == "37.5"
    assert rows["A", "所需样本量"]["value"] == "278" and rows["B", "所需样本量"]["value"] == "132"  # N = 1000, 200
    assert rows["B", "样本量"]["note"] == "样本量 2（样本量 2 少于最低样本量 3；误差 ±5.0% 所需样本量 132）"
    assert rows["A", "一次办成：是占比"]["value"] == "0.8" and rows["A", "态度均值"]["value"] == "3.8"


def test_score_with_map_feeds_the_ordinary_rules(files, capsys):
    out, report = files["dir"] / "inputs.csv", files["dir"] / "report.xlsx"
    assert main(["questionnaire", "score", str(files["form"]), str(files["responses"]), "--units", str(files["units"]),
                 "--map", str(files["map"]), "--out", str(out), "--report", str(report)]) == 0
    rows = _csv(out)
    assert [(r["unit"], r["indicator"], r["input"], r["value"]) for r in rows] == [
        ("A", "3.1", "满意度指数", "70"), ("A", "3.2", "满意率", "0.6"),
        ("B", "3.1", "满意度指数", "37.5"), ("B", "3.2", "满意率", "0.5")]
    assert main(["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(out),
                 "--out", str(files["dir"] / "r.json")]) == 0
    units = {u["unit"]: u for u in json.loads((files["dir"] / "r.json").read_text(encoding="utf-8"))["units"]}
    # A: 70/100 × 10 = 7 and 5 × 0.6 = 3 → 10/15 → 66.67; B: 3.75 + 2.5 = 6.25 → 41.67
    assert units["A"]["score"] == pytest.approx(66.67, abs=0.01)
    assert units["B"]["score"] == pytest.approx(41.67, abs=0.01)
    assert "样本量 5" in units["A"]["indicators"]["3.1"]["explanation"]
    wb = load_workbook(report)
    assert wb.sheetnames == ["单位指数", "类别指数", "题目统计", "差评意见", "说明"]
    unit_rows = list(wb["单位指数"].iter_rows(min_row=2, values_only=True))
    assert unit_rows[0][:9] == ("A", "甲中心", "市直", 5, 70, pytest.approx(70 - 37.0193, abs=1e-3),
                                pytest.approx(107.0193, abs=1e-3), 0.6, 1)
    cls = list(wb["类别指数"].iter_rows(min_row=2, values_only=True))
    assert cls[0][:4] == ("市直", 2, 7, pytest.approx(425 / 7))
    comment = wb["差评意见"]["E2"]
    assert comment.value == "=HYPERLINK(\"http://x\",\"点我\")" and comment.data_type == "s"  # text, not a formula
    assert wb["差评意见"]["A3"].value == "B" and wb["差评意见"]["E3"].value == "态度差"


def test_bad_responses_exit_2_and_write_nothing(files, capsys):
    bad = write_responses(files["dir"] / "bad.csv", HEADER, [*ROWS, ["A", "是", 7, 4, None, 4, None]])
    out, report = files["dir"] / "inputs.csv", files["dir"] / "report.xlsx"
    assert main(["questionnaire", "score", str(files["form"]), str(bad), "--out", str(out), "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert "第 9 行，列「态度」：「7」无效：本题应填 1 到 5 的整数" in err and "Traceback" not in err
    assert not out.exists() and not report.exists()
    assert sorted(p.name for p in files["dir"].iterdir() if p.name.startswith(".")) == []


def test_map_naming_an_unknown_index_is_refused(files, capsys):
    files["map"].write_text("inputs:\n  - {index: 好评率, indicator: '3.1', input: x}\n", encoding="utf-8")
    out = files["dir"] / "inputs.csv"
    assert main(["questionnaire", "score", str(files["form"]), str(files["responses"]), "--map", str(files["map"]),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "inputs 第 1 项" in err and "没有指数「好评率」" in err and not out.exists()


def test_visit_records_counted_per_unit(tmp_path):
    # Three visits to A: 现场办理 waited 30 and 10 minutes, 一次办成 twice; one phone call (no waiting asked).
    header = ["单位编码", "暗访日期", "暗访时段", "暗访方式", "办理事项", "等候分钟", "电话接通", "办理结果", "一次性告知",
              "服务态度", "在岗规范", "问题描述"]
    rows = [["A", "2026-03-02", "上午", "现场办理", "营业执照", 30, None, "一次办成", "是", 4, "是", None],
            ["A", "2026/3/3", "下午", "现场办理", "社保转移", 10, None, "需补材料", "否", 2, "否", "窗口人员玩手机"],
            ["A", "2026年3月4日", "上午", "电话咨询", "公积金提取", None, "是", "一次办成（或一次答复清楚）", "是", "满意", None, None]]
    path = write_responses(tmp_path / "visits.xlsx", header, rows)
    out = tmp_path / "visit-inputs.csv"
    assert main(["questionnaire", "score", "visit", str(path), "--out", str(out)]) == 0
    got = {r["input"]: r["value"] for r in _csv(out)}
    assert got["样本量"] == "3" and got["等候分钟均值"] == "20"        # (30 + 10) / 2
    assert got["办理结果：一次办成占比"] == "0.666667"                   # 2 of 3
    assert got["服务态度均值"] == "3.333333"                            # (4 + 2 + 4) / 3
    assert got["满意度指数"] == "58.333333"                             # (75 + 25 + 75) / 3
    assert "满意率" not in got
    # the phone visit must not carry a waiting time: skipped questions are refused
    rows[2][5] = 5
    bad = write_responses(tmp_path / "bad.xlsx", header, rows)
    assert main(["questionnaire", "score", "visit", str(bad), "--out", str(tmp_path / "x.csv")]) == 2


def test_builtin_satisfaction_form_with_an_export_headed_by_question_texts(tmp_path, capsys):
    # A questionnaire site's export: question texts as headers, option labels as answers, ┋ between options.
    form = builtin_form("satisfaction")
    names = ["办理渠道", "事项类型", "跑动次数", "大厅环境", "等候时间", "实际等候分钟", "工作人员态度", "业务熟练度",
             "一次性告知", "网上办理便利度", "事项查找", "全程网办", "办事指南清晰度", "材料精简", "办理时长", "一次办成",
             "未办成原因", "不合理收费", "总体满意度", "意见建议"]
    header = ["单位编码", *(form.question(n).label for n in names)]
    rows = [
        ["X", "现场窗口", "个人事项", "1次", 5, 4, 15, 5, 5, "是", None, None, None, 4, 4, 4, "是", None, "否", 5, None],
        ["X", "网上办理（网站、APP、小程序）", "企业事项", "1次", None, None, None, None, None, None, 3, 2, "否", 3, None,
         None, "否", "材料不齐或要求不清┋系统故障或网络问题", "否", 2, "网站老是卡"],
        ["X", "自助终端", "个人事项", "2次", None, None, None, None, None, None, None, None, None, 5, None, None, "是",
         None, "否", 4, None],
    ]
    path = write_responses(tmp_path / "export.xlsx", header, rows)
    out = tmp_path / "inputs.csv"
    assert main(["questionnaire", "score", "satisfaction", str(path), "--out", str(out)]) == 0
    got = {r["input"]: r for r in _csv(out)}
    # scores: r1 (5,4,5,5,4,4,4 → 100,75,100,100,75,75,75) = 600/7; r2 (3,2,3 → 50,25,50) = 125/3; r3 (5) = 100
    assert float(got["满意度指数"]["value"]) == pytest.approx((600 / 7 + 125 / 3 + 100) / 3, abs=1e-6)  # 75.79
    assert float(got["满意率"]["value"]) == pytest.approx(2 / 3, abs=1e-6) and got["差评数"]["value"] == "1"
    assert got["未办成原因：材料占比"]["value"] == "1" and got["未办成原因：多窗口占比"]["value"] == "0"
    assert got["样本量"]["note"] == "样本量 3（样本量 3 少于最低样本量 30；误差 ±5.0% 所需样本量 385）"
    assert got["办理渠道：窗口占比"]["note"] == "选「现场窗口」1 份 / 作答 3 份"
    # answering the online block after choosing the window channel is refused, located
    rows[0][10] = 4
    bad = write_responses(tmp_path / "bad.xlsx", header, rows)
    capsys.readouterr()
    assert main(["questionnaire", "score", "satisfaction", str(bad), "--out", str(out)]) == 2
    assert "第 2 行，列「您对网上办理的便利程度是否满意？」：本题不应作答：显示条件「办理渠道 = \"网上\"」不成立" in (
        capsys.readouterr().err)


def test_entry_template_reads_back_once_filled(files, capsys):
    out = files["dir"] / "录入表.xlsx"
    assert main(["questionnaire", "template", str(files["form"]), "--units", str(files["units"]), "--out", str(out)]) == 0
    wb = load_workbook(out)
    ws = wb["回答"]
    assert [c.value for c in ws[1]] == ["单位编码", "*一次办成", "*态度", "指南", "等候", "*总体", "意见"]
    assert "服务态度" in ws["C1"].comment.text and "1=非常不满意" in ws["C1"].comment.text
    kinds = {str(dv.sqref).split(":")[0]: (dv.type, dv.formula1) for dv in ws.data_validations.dataValidation}
    assert kinds["A2"] == ("list", '"A,B"') and kinds["B2"] == ("list", '"是,否"') and kinds["C2"] == ("whole", "1")
    assert ws.column_dimensions["G"].number_format == "@" and ws.max_row == 1  # 意见 (text) kept as typed
    for r, row in enumerate(ROWS[5:], 2):  # unit B's two responses typed in
        for c, v in enumerate(row, 1):
            ws.cell(row=r, column=c, value=v)
    wb.save(out)
    rs = read_responses(load_form(files["form"]), out)
    assert [(r.unit, r.answers["总体"]) for r in rs.responses] == [("B", 4), ("B", 1)]


def test_damaged_form_workbook_is_refused_in_chinese(tmp_path, capsys):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"not a zip at all")
    assert main(["questionnaire", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "无法读取工作簿：文件已损坏" in err and "Traceback" not in err

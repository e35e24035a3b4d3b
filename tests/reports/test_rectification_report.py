"""上轮整改情况 in the 成绩单: the previous round's tasks, their status and whether the indicator improved.

Hand-worked from reporttools (leaf scores, 2021年上半年 → 2021年下半年):
  U2 leaf 2 印章使用 10 → 15 (已提升), leaf 1 证照签发率 80% both rounds → 32 → 32 (未提升);
  U3 leaf 2 印章使用 18 → 15 (下降), leaf 3 好评率 75% → 80% → 30 → 32 (已提升); U1 has no task.
"""

from __future__ import annotations

import docx
import pytest
from reporttools import system

from govassess.cli import main
from govassess.errors import UserError
from govassess.reports.model import build_model
from govassess.reports.rectification import RectificationTask, read_rectification
from govassess.reports.template import load_template
from govassess.reports.word import write_scorecard

CSV = ("单位代码,指标编码,状态,整改要求\n"
       "U2,2,已通过,补齐用印佐证材料\n"
       "U2,1,未通过,提高证照签发率\n"
       "U3,2,逾期未整改,\n"
       "U3,3,已通过,提升好评率\n")


def run(*args: object) -> int:
    return main([str(a) for a in args])


def _section(path) -> list[list[str]]:
    d = docx.Document(str(path))
    for t in d.tables:
        head = [c.text for c in t.rows[0].cells]
        if "是否提升" in head:
            return [[c.text for c in r.cells] for r in t.rows]
    raise AssertionError("no 上轮整改情况 table")


def _text(path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_scorecard_shows_status_and_improvement_per_task(files, tmp_path):
    rect = tmp_path / "整改.csv"
    rect.write_text(CSV, encoding="utf-8")
    out = tmp_path / "cards"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--previous", files["h1"],
               "--rectification", rect, "--out", out) == 0
    rows = _section(out / "U2-单位乙.docx")
    assert rows[0] == ["编码", "指标", "整改要求", "整改状态", "2021年上半年得分", "本轮得分", "是否提升"]
    assert rows[1:] == [["2", "印章使用", "补齐用印佐证材料", "已通过", "10.00", "15.00", "已提升"],
                        ["1", "证照签发率", "提高证照签发率", "未通过", "32.00", "32.00", "未提升"]]
    assert "上轮整改情况" in _text(out / "U2-单位乙.docx")
    assert "下达整改任务2项，其中整改已通过1项；本轮得分较上轮提升的指标1项" in _text(out / "U2-单位乙.docx")
    rows = _section(out / "U3-单位丙.docx")
    assert rows[1:] == [["2", "印章使用", "—", "逾期未整改", "18.00", "15.00", "下降"],
                        ["3", "好评率", "提升好评率", "已通过", "30.00", "32.00", "已提升"]]
    assert "上一轮没有向本单位下达整改任务。" in _text(out / "U1-单位甲.docx")


def test_no_section_without_rectification(files, tmp_path):
    out = tmp_path / "U2.docx"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--previous", files["h1"],
               "--unit", "U2", "--out", out) == 0
    assert "上轮整改情况" not in _text(out)


def test_model_without_previous_cannot_compare(rounds):
    current, _previous = rounds
    model = build_model(current, system(), rectification={"U2": [RectificationTask("2", "已通过")]})
    (task,) = model.unit("U2").rectification
    assert (task.name, task.current, task.previous, task.improved_text) == ("印章使用", 15.0, None, "无法比较")


def test_full_report_carries_the_section(files, tmp_path, rounds):
    current, previous = rounds
    model = build_model(current, system(), previous=previous,
                        rectification={"U4": [RectificationTask("1", "整改中", requirement="提高签发率")]})
    out = tmp_path / "U4.docx"
    write_scorecard(model, load_template(None), "U4", out)
    # U4 证照签发率 50% in both rounds: 20 → 20.
    assert _section(out)[1] == ["1", "证照签发率", "提高签发率", "整改中", "20.00", "20.00", "未提升"]


@pytest.mark.parametrize("line, message", [
    ("U9,2,已通过", "第 2 行，列「单位代码」：单位 U9 不在本轮结果中"),
    ("U2,A,已通过", "第 2 行，列「指标编码」，指标 A：指标 A 不是指标体系中的末级指标"),
    ("U2,2,好的", "第 2 行，列「状态」：状态「好的」无法识别"),
    ("U2,,已通过", "第 2 行，列「指标编码」：指标编码为空"),
])
def test_bad_rows_are_located_and_nothing_is_written(files, tmp_path, capsys, line, message):
    rect = tmp_path / "整改.csv"
    rect.write_text("单位代码,指标编码,状态\n" + line + "\n", encoding="utf-8")
    out = tmp_path / "U2.docx"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--previous", files["h1"],
               "--unit", "U2", "--rectification", rect, "--out", out) == 2
    err = capsys.readouterr()
    assert message in err.out + err.err
    assert not out.exists()


def test_duplicate_rows_and_missing_columns(rounds, tmp_path):
    current, _ = rounds
    leaves = {"1": "证照签发率", "2": "印章使用", "3": "好评率"}
    rect = tmp_path / "r.csv"
    rect.write_text("unit,indicator,status\nU2,2,已通过\nU2,2,未通过\n", encoding="utf-8")
    with pytest.raises(UserError, match="第 3 行.*重复"):
        read_rectification(rect, current, leaves)
    rect.write_text("单位代码,状态\nU2,已通过\n", encoding="utf-8")
    with pytest.raises(UserError, match="缺少列"):
        read_rectification(rect, current, leaves)


def test_rectification_needs_previous(files, tmp_path, capsys):
    rect = tmp_path / "整改.csv"
    rect.write_text(CSV, encoding="utf-8")
    out = tmp_path / "U2.docx"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--unit", "U2",
               "--rectification", rect, "--out", out) == 2
    assert "须同时给出 --previous" in "".join(capsys.readouterr())
    assert not out.exists()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from rich.console import Console

    from govassess.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "demo"
    run_demo(out, console=Console(quiet=True))
    return out


@pytest.mark.slow
def test_demo_county_rounds_improved_and_not(demo, tmp_path):
    """阳东区 (X02) in the demo's two county rounds; the three leaves are expert scores (manual: score = the value
    entered), so the expected numbers are the inputs files' own lines, checked first:
      2 办件覆盖度 1 → 2 (已提升), 4 证照制发、使用情况 2 → 2 (未提升), 3 监管数据汇聚情况 1.5 → 1 (下降)."""
    system = "yangjiang-2021-county"
    h1, h2 = demo / f"{system}-h1.json", demo / f"{system}-h2.json"
    for stem, wanted in (("h1", {"2": "1", "4": "2", "3": "1.5"}), ("h2", {"2": "2", "4": "2", "3": "1"})):
        lines = (demo / f"{system}-{stem}-inputs.csv").read_text(encoding="utf-8").splitlines()
        for code, value in wanted.items():
            assert any(line.startswith(f"X02,{code},score,{value},") for line in lines), (stem, code)
    rect = tmp_path / "整改.csv"
    rect.write_text("单位代码,指标编码,状态,整改要求\nX02,2,已通过,完善办件数据上报\nX02,4,未通过,\n"
                    "X02,3,逾期未整改,补齐监管数据\n", encoding="utf-8")
    out = tmp_path / "阳东区.docx"
    assert run("report", "scorecard", h2, "--system", system, "--previous", h1, "--unit", "X02",
               "--rectification", rect, "--out", out) == 0
    assert _section(out)[1:] == [
        ["2", "办件覆盖度", "完善办件数据上报", "已通过", "1.00", "2.00", "已提升"],
        ["4", "证照制发、使用情况", "—", "未通过", "2.00", "2.00", "未提升"],
        ["3", "监管数据汇聚情况", "补齐监管数据", "逾期未整改", "1.50", "1.00", "下降"],
    ]

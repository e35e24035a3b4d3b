"""暗访 records: the visits record set, its metrics (definitions.yaml visit_*) through a metrics map, and the
strict offline import. Every expected number is worked out by hand from the rows below (period 2021 H1;
seed 002 names 暗访/匿名电话, 等候时间, 受理时间, 到达率; the outcomes are the brief's wording)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govassess.errors import UserError
from govassess.metrics import (
    DuckDBEngine,
    compute_metrics,
    input_rows,
    load_definitions,
    load_map,
    parse_period,
)
from govassess.metrics.visits import read_visits, write_records, write_template

approx = pytest.approx

UNITS = "unit,name,class,region\nA,单位甲,县区,江城\nB,单位乙,县区,阳东\n"

# A: v1..v5 count (5 visits). v6 is after the period; v7 (negative wait), v8 (text for minutes), v9 (unknown
# unit Z) are invalid records and not counted. B: b1, b2.
VISITS = """visit_id,unit,visited_at,visitor,channel,matter,waiting_minutes,handling_minutes,outcome,note,evidence
v1,A,2021-03-01 09:30,张三,窗口,营业执照变更,15,10,办成,,
v2,A,2021-03-02 10:00,张三,窗口,社保转移,35,20,被推诿,让去另一窗口,
v3,A,2021-03-03 14:00,李四,电话,咨询公积金,,5,一次告知不清,,
v4,A,2021-03-04 09:00,李四,电话,咨询户籍,,,未接通,,
v5,A,2021-04-01 09:00,李四,自助终端,打印证明,5,3,办成,,
v6,A,2021-07-01 09:00,李四,窗口,打印证明,50,3,未办成,,
v7,A,2021-03-05 09:00,李四,窗口,打印证明,-5,3,办成,,
v8,A,2021-03-05 10:00,李四,窗口,打印证明,十分钟,3,办成,,
v9,Z,2021-03-05 11:00,李四,窗口,打印证明,5,3,办成,,
b1,B,2021-05-10 09:00,王五,电话,咨询社保,,4,办成,,
b2,B,2021-05-11 09:00,王五,窗口,医保报销,25,30,未办成,,
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("visits")
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    (folder / "暗访.csv").write_text(VISITS, encoding="utf-8")  # the Chinese file name is accepted
    return compute_metrics(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))


def val(result, unit, code):
    mv = result.value(unit, code)
    assert mv is not None, (unit, code)
    return mv


def test_counts_and_rates(result):
    assert val(result, "A", "visit_count").value == 5
    assert val(result, "B", "visit_count").value == 2
    sr = val(result, "A", "visit_success_rate")
    assert (sr.num, sr.den) == (2, 5)  # v1, v5 办成
    assert val(result, "B", "visit_success_rate").value == approx(1 / 2)
    assert val(result, "A", "visit_shirk_count").value == 1  # v2
    assert val(result, "A", "visit_unclear_count").value == 1  # v3
    phone = val(result, "A", "visit_phone_answer_rate")
    assert (phone.num, phone.den) == (1, 2)  # v3 answered, v4 未接通
    assert val(result, "B", "visit_phone_answer_rate").value == 1


def test_waiting_and_handling(result):
    assert val(result, "A", "visit_avg_wait").value == approx((15 + 35 + 5) / 3)  # v3, v4 have no wait
    assert val(result, "B", "visit_avg_wait").value == approx(25)
    assert val(result, "A", "visit_long_wait_count").value == 1  # > 20 min: v2 (35)
    assert val(result, "B", "visit_long_wait_count").value == 1  # b2 (25)
    assert val(result, "A", "visit_avg_handling").value == approx((10 + 20 + 5 + 3) / 4)
    assert val(result, "B", "visit_avg_handling").value == approx((4 + 30) / 2)


def test_invalid_records_are_reported(result):
    rules = {r.rule: r.count for r in result.rule_results if r.record_set == "visits"}
    assert rules["below_min:waiting_minutes"] == 1  # v7
    assert rules["bad_float:waiting_minutes"] == 1  # v8
    assert rules["unknown_unit"] == 1  # v9
    assert result.totals["visits"] == (11, 3)


def test_map_writes_leaf_inputs(result, tmp_path):
    m = tmp_path / "map.yaml"
    m.write_text(
        "system: demo\ninputs:\n"
        "  - {metric: visit_success_rate, indicator: S1, input: 一次办成率, scale: 100}\n"
        "  - {metric: visit_avg_wait, indicator: S2, input: 平均等候时间}\n"
        "  - {metric: visit_count, indicator: S3, input: 暗访次数}\n",
        encoding="utf-8",
    )
    rows, _ = input_rows(result, load_map(m, load_definitions()))
    got = {(r["unit"], r["indicator"], r["input"]): r for r in rows}
    assert got[("A", "S1", "一次办成率")]["value"] == "40"
    assert "一次办成次数 2 / 暗访次数 5" in got[("A", "S1", "一次办成率")]["note"]
    assert float(got[("A", "S2", "平均等候时间")]["value"]) == approx(55 / 3, abs=1e-6)
    assert got[("B", "S3", "暗访次数")]["value"] == "2"


def test_wait_threshold_is_a_parameter(tmp_path):
    defs = load_definitions()
    assert defs.params["visit_wait_limit"] == 20


# ---- offline import --------------------------------------------------------------------------------
H1 = (dt.date(2021, 1, 1), dt.date(2021, 6, 30))


def _csv(tmp_path: Path, text: str, name: str = "visits.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_import_good_file_with_chinese_headers(tmp_path):
    p = _csv(tmp_path, "暗访编号,单位,暗访时间,暗访渠道,等候时间,办理结果,证据文件\n"
                       "x1,A,2021/03/01 09:30,窗口,15分钟,办成,a.jpg；b.m4a\n"
                       "x2,B,2021-03-01T01:30:00Z,电话,,未接通,\n")
    vs = read_visits(p, units={"A", "B"}, period=H1)
    assert [v.visit_id for v in vs] == ["x1", "x2"]
    assert vs[0].waiting_minutes == 15 and vs[0].evidence == ["a.jpg", "b.m4a"]
    assert vs[1].visited_at == dt.datetime(2021, 3, 1, 9, 30)  # 01:30 UTC = 09:30 in Shanghai
    folder = tmp_path / "rec"
    folder.mkdir()
    text = write_records(vs, folder).read_text(encoding="utf-8")
    assert "x1,A,2021-03-01 09:30:00,,窗口,,15,,办成,,a.jpg；b.m4a" in text


def test_import_bad_rows_located(tmp_path):
    p = _csv(tmp_path, "visit_id,unit,visited_at,channel,waiting_minutes,outcome\n"
                       "y1,A,2021-03-01 09:30,窗口,-3,办成\n"
                       "y2,Z,2021-03-01 09:30,窗口,3,办成\n"
                       "y3,A,2021-08-01 09:30,窗口,3,办成\n"
                       "y4,A,2021-03-01 09:30,窗口,十分钟,办成\n"
                       "y5,A,2021-03-01 09:30,上门,3,好\n"
                       "y1,A,2021-03-01 09:30,窗口,3,办成\n")
    with pytest.raises(UserError) as e:
        read_visits(p, units={"A", "B"}, period=H1)
    got = [(pr.row, pr.column, pr.message) for pr in e.value.problems]
    assert all(pr.file == "visits.csv" for pr in e.value.problems)
    assert (2, "等候时间", "「等候时间」不能为负数（-3）") in got
    assert (3, "单位", "单位「Z」不在评估对象名单中") in got
    assert (4, "暗访时间", "暗访时间 2021-08-01 09:30 不在本轮评估期间（2021-01-01 至 2021-06-30）内") in got
    assert (5, "等候时间", "「等候时间」应为分钟数（如 15），而不是「十分钟」") in got
    assert {c for r, c, _ in got if r == 6} == {"暗访渠道", "办理结果"}
    # y1 again on row 7: row 2 (the first y1) was refused, so row 7 is no repeat of a kept visit
    assert not any(r == 7 for r, _, _ in got)


def test_import_duplicate_and_missing_column(tmp_path):
    p = _csv(tmp_path, "visit_id,unit,visited_at,channel,outcome\nz1,A,2021-03-01,窗口,办成\nz1,A,2021-03-02,窗口,办成\n")
    with pytest.raises(UserError) as e:
        read_visits(p, units={"A"}, period=H1)
    assert [(pr.row, pr.column) for pr in e.value.problems] == [(3, "暗访编号")]
    assert "与第 2 行重复" in e.value.problems[0].message
    p = _csv(tmp_path, "visit_id,unit,channel,outcome\nz1,A,窗口,办成\n", "m.csv")
    with pytest.raises(UserError, match="缺少必填列：暗访时间"):
        read_visits(p)


def test_template_round_trip_xlsx(tmp_path):
    from openpyxl import load_workbook

    path = write_template(tmp_path / "暗访模板.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["暗访记录", "说明"]
    header = [c.value for c in wb["暗访记录"][1]]
    assert header[:3] == ["暗访编号", "单位", "暗访时间"]
    ws = wb["暗访记录"]
    ws.delete_rows(2)
    ws.append(["w1", "A", "2021-03-01 09:30", "张三", "窗口", "开具证明", -1, 5, "办成", "", ""])
    wb.save(path)
    with pytest.raises(UserError) as e:
        read_visits(path, units={"A"}, period=H1)
    pr = e.value.problems[0]
    assert (pr.file, pr.sheet, pr.row, pr.column) == ("暗访模板.xlsx", "暗访记录", 2, "等候时间")


def test_cli_template_check_and_records(tmp_path, capsys):
    from govassess.cli import main

    tpl = tmp_path / "模板.xlsx"
    assert main(["metrics", "visits", "--template", str(tpl)]) == 0
    assert tpl.is_file()
    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    bad = _csv(tmp_path, "暗访编号,单位,暗访时间,暗访渠道,等候时间,办理结果\nq1,A,2021-03-01 09:00,窗口,-1,办成\n", "bad.csv")
    rec = tmp_path / "rec"
    code = main(["metrics", "visits", str(bad), "--units", str(units), "--from", "2021-01-01", "--to", "2021-06-30",
                 "--records", str(rec)])
    assert code == 2 and not rec.exists()
    assert "「等候时间」不能为负数（-1）" in capsys.readouterr().err
    good = _csv(tmp_path, "暗访编号,单位,暗访时间,暗访渠道,等候时间,办理结果\nq1,A,2021-03-01 09:00,窗口,30,办成\n"
                          "q2,B,2021-03-02 09:00,窗口,10,被推诿\n", "good.csv")
    assert main(["metrics", "visits", str(good), "--units", str(units), "--records", str(rec)]) == 0
    (rec / "units.csv").write_text(UNITS, encoding="utf-8")
    result = compute_metrics(DuckDBEngine(), rec, parse_period("2021-01-01", "2021-06-30"))
    assert result.value("A", "visit_long_wait_count").value == 1  # 30 > 20
    assert result.value("B", "visit_success_rate").value == 0

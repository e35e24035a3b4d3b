"""The `govassess metrics compute` command, the maps onto the 阳江 systems, and Excel / Parquet inputs."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.metrics.compute import compute
from govassess.metrics.definitions import load_definitions, parse_period
from govassess.metrics.engines import DuckDBEngine
from govassess.metrics.output import load_map

from .conftest import write_records

PERIOD = ("--from", "2021-01-01", "--to", "2021-06-30")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_compute_without_map_writes_metric_codes(tmp_path, capsys):
    records = write_records(tmp_path / "r")
    out = tmp_path / "inputs.csv"
    argv = ["metrics", "compute", "--records", str(records), *PERIOD, "--out", str(out)]
    assert main([*argv, "--info-rules", "combined"]) == 0
    rows = {(r["unit"], r["indicator"], r["input"]): r for r in read_rows(out)}
    assert rows[("A", "on_time_rate", "按时办结率")]["value"] == "0.6"  # 3 / 5, see test_metrics_handbuilt
    assert "按时办结件数 3 / 应办结件数 5" in rows[("A", "on_time_rate", "按时办结率")]["note"]
    assert "已排除本单位无效记录 6 条" in rows[("A", "on_time_rate", "按时办结率")]["note"]
    assert rows[("A", "info_work", "信息工作得分")]["value"] == "61"
    # B's 差评整改率 is 0/0: no row, and the output says so
    assert ("B", "bad_rectified_rate", "差评整改率") not in rows
    err = capsys.readouterr().err
    assert "办件：读取 16 条，排除无效记录 7 条" in err
    assert "B 差评整改率" in err
    problems = read_rows(tmp_path / "inputs.problems.csv")
    assert any(p["规则"] == "finished_before_accepted" and p["示例行"] == "10" for p in problems)


def test_info_points_need_a_chosen_regime(tmp_path, capsys):
    # Seed 002 has three offices' regimes that score the same reports differently: none is assumed.
    records = write_records(tmp_path / "r")
    out = tmp_path / "inputs.csv"
    assert main(["metrics", "compute", "--records", str(records), *PERIOD, "--out", str(out)]) == 0
    rows = {(r["unit"], r["indicator"], r["input"]) for r in read_rows(out)}
    assert not any(key[1] == "info_work" for key in rows)
    assert ("A", "on_time_rate", "按时办结率") in rows  # everything else as usual
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert "未计算信息报送积分" in text and "yingdong" in text and "gansu" in text and "xinwen" in text


def test_a_map_names_its_regime(tmp_path):
    records = write_records(tmp_path / "r")
    defs = load_definitions()
    good = tmp_path / "m.yaml"
    good.write_text(
        "info_rules: gansu\ninputs:\n  - {metric: info_work.信息工作得分, indicator: X, input: 积分}\n", "utf-8"
    )
    assert load_map(good, defs).info_rules == "gansu"
    out = tmp_path / "inputs.csv"
    argv = ["metrics", "compute", "--records", str(records), *PERIOD, "--out", str(out), "--map", str(good)]
    assert main(argv) == 0
    assert any(r["input"] == "积分" and r["value"] != "" for r in read_rows(out))
    bad = tmp_path / "bad.yaml"
    bad.write_text("info_rules: 宁德\ninputs: []\n", "utf-8")
    with pytest.raises(UserError, match="info_rules 应为内置考评办法之一"):
        load_map(bad, defs)


def test_strict_exits_2(tmp_path, capsys):
    records = write_records(tmp_path / "r")
    code = main(
        [
            "metrics",
            "compute",
            "--records",
            str(records),
            *PERIOD,
            "--out",
            str(tmp_path / "o.csv"),
            "--strict",
        ]
    )
    assert code == 2
    assert "办结时间早于受理时间" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(("system", "first"), [("yangjiang-2021-county", 24), ("yangjiang-2021-dept", 27)])
def test_builtin_maps_match_system_inputs(system, first):
    from govassess.indicators import load_system
    from govassess.metrics.output import check_map_against_system

    mmap = load_map(system, load_definitions())
    assert check_map_against_system(mmap, load_system(system)) == []
    # 预约率 is the first 服务满意度 indicator: county 24, department 27 (seed 004 附件2/3)
    assert (mmap.entries[0].indicator, mmap.entries[0].input) == (str(first), "预约率")


def test_mapped_inputs_score_in_the_round(tmp_path):
    from govassess.data import read_inputs, read_units
    from govassess.indicators import load_system
    from govassess.scoring import score_round

    records = write_records(tmp_path / "r")
    # 19/20/22 divide by population, enterprises and staff (unit attributes, here under their Chinese labels)
    (records / "units.csv").write_text(
        "unit,name,class,region,常住人口（万人）,企业数量（万户）,人员编制数\n"
        "A,江城区,县(市、区),江城,65,3,4000\nB,阳东区,县(市、区),阳东,47,2,3000\n", encoding="utf-8"
    )
    out = tmp_path / "inputs.csv"
    args = ["metrics", "compute", "--records", str(records), *PERIOD, "--map", "yangjiang-2021-county"]
    assert main([*args, "--out", str(out)]) == 0
    # what no record holds comes from a provider: 办件数据超时率 (37) and 个人实名注册用户数 (19)
    with out.open("a", encoding="utf-8") as f:
        f.write("A,37,办件数据超时率,10%,省好差评系统\nB,37,办件数据超时率,0,省好差评系统\n"
                "A,19,个人实名注册用户数,130,\nB,19,个人实名注册用户数,47,\n")
    system = load_system("yangjiang-2021-county")
    units = read_units(records / "units.csv")
    result = score_round(system, units, read_inputs(out, system, units)).to_dict()
    a = next(u for u in result["units"] if u["unit"] == "A")
    b = next(u for u in result["units"] if u["unit"] == "B")
    # 1 办件量 (2 points, most cases of the class = full): valid cases in the period A 6 (a1–a6; a7/a8 outside,
    # a9–a13 invalid), B 1 → A 2, B 2 × 1/6
    assert [a["indicators"]["1"]["score"], b["indicators"]["1"]["score"]] == pytest.approx([2, 2 / 6], abs=0.005)
    # 36 统一咨询投诉 (2): A on time t1 of due t1, t2, t4, t5 → 2 × 1/4 = 0.5; B has no due ticket → full 2
    assert [a["indicators"]["36"]["score"], b["indicators"]["36"]["score"]] == pytest.approx([0.5, 2])
    # 37 评价数据汇聚 (7): A 主动评价率 6/8 (r1 r3 r4 r5 r7 r8 of r1–r8), 超时率 10% → 7 × (0.75 + 0.9)/2 = 5.775;
    # B 1/1 and 0 → 7
    assert [a["indicators"]["37"]["score"], b["indicators"]["37"]["score"]] == pytest.approx([5.775, 7], abs=0.006)  # shown to 2 decimals
    # 38 好差评情况 (2): A 差评 r4 r5 r6 r8 (r7 verified 否), rectified r4 r5 → 2/4; 好评 r1 r2 of 8 → 0.25:
    # 2 × (0.5 + 0.25)/2 = 0.75; B no bad rating (rectification counts full) and 好评 1/1 → 2
    assert [a["indicators"]["38"]["score"], b["indicators"]["38"]["score"]] == pytest.approx([0.75, 2])
    # 19 个人用户 (2) per 常住人口: A 130/65 = 2, B 47/47 = 1 → A 2, B 2 × 1/2 = 1
    assert [a["indicators"]["19"]["score"], b["indicators"]["19"]["score"]] == pytest.approx([2, 1])
    # 24 预约率 2 points x 2/4 = 1.0; 29 按时办结率 2 x 3/5 = 1.2; 25 一窗受理率 2 x 3/5 = 1.2
    assert a["indicators"]["24"]["score"] == pytest.approx(1.0)
    assert a["indicators"]["29"]["score"] == pytest.approx(1.2)
    assert a["indicators"]["25"]["score"] == pytest.approx(1.2)
    # 减时间 / 减跑动 / 即办程度 (6 points each, best value among the class's units):
    # 承诺时限压缩比例 A (20-5 + 10-0 + 15-15)/(20+10+15) = 25/45, B (30-10)/30 = 20/30 → A = 6 × (25/45)/(20/30) = 5, B = 6
    # 事项平均跑动次数 A (0+1+2+0)/4 = 0.75, B 1 → fewer is better: A = 6, B = 6 × 0.75/1 = 4.5
    # 即办事项占比 A 2/4 (I2, I4 promised 0), B 0/1 → A = 6, B = 0
    assert [a["indicators"][c]["score"] for c in ("33", "34", "35")] == pytest.approx([5.0, 6.0, 6.0])
    assert [b["indicators"][c]["score"] for c in ("33", "34", "35")] == pytest.approx([6.0, 4.5, 0.0])


def _results(folder: Path):
    r = compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))
    return {(v.unit, v.metric.code): (v.value, v.num, v.den) for v in r.values}, r


def test_parquet_folder_and_xlsx_give_the_same_results(tmp_path):
    csv_dir = write_records(tmp_path / "csv")
    expected, _ = _results(csv_dir)
    other = tmp_path / "mixed"
    other.mkdir()
    con = duckdb.connect()
    # cases as a folder of Parquet files (typed columns), ratings as XLSX, everything else CSV
    (other / "cases").mkdir()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv_dir / 'cases.csv'}', all_varchar=true) WHERE case_id < 'a5') "
        f"TO '{other / 'cases' / 'part1.parquet'}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv_dir / 'cases.csv'}', all_varchar=true) WHERE case_id >= 'a5') "
        f"TO '{other / 'cases' / 'part2.parquet'}' (FORMAT parquet)"
    )
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in csv.reader((csv_dir / "ratings.csv").read_text(encoding="utf-8").splitlines()):
        ws.append([v if v != "" else None for v in row])
    wb.save(other / "好差评.xlsx")
    for name in ("units", "items", "tickets", "info_reports", "systems", "downtime", "usage"):
        shutil.copy(csv_dir / f"{name}.csv", other / f"{name}.csv")
    got, result = _results(other)
    assert got == expected
    dup = next(r for r in result.rule_results if r.record_set == "cases" and r.rule == "duplicate")
    assert dup.count == 2 and {e[0] for e in dup.examples} <= {"part1.parquet", "part2.parquet"}
    # r10 (level 很好) is the 11th sheet row: header on row 1, r1 on row 2
    bad = next(r for r in result.rule_results if r.record_set == "ratings" and r.rule == "bad_choice:level")
    assert bad.examples == [("好差评.xlsx", 11, "评价等级=很好")]


def test_chinese_headers_are_accepted(tmp_path):
    folder = write_records(tmp_path / "r")
    text = (folder / "tickets.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    (folder / "tickets.csv").unlink()
    (folder / "12345工单.csv").write_text(
        "工单编号,单位,受理时间,办理时限,办结时间,满意度\n" + rest, encoding="utf-8"
    )
    got, _ = _results(folder)
    assert got[("A", "ticket_on_time_rate")][1:] == (1, 4)


def test_missing_required_column_is_a_located_error(tmp_path):
    from govassess.errors import UserError

    folder = write_records(tmp_path / "r", {"cases.csv": "case_id,unit\nx,A\n"})
    with pytest.raises(UserError) as err:
        compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))
    assert "cases.csv" in str(err.value) and "accepted_at（受理时间）" in str(err.value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_header_named_twice_is_refused(tmp_path, fmt):
    # A hand-made sheet with 受理时间 twice (columns 3 and 5): which one would count depends on the engine.
    header = ["case_id", "unit", "受理时间", "item_code", "受理时间"]
    row = ["c1", "A", "2021-03-01 09:00:00", "I1", "2021-03-02 09:00:00"]
    folder = tmp_path / "r"
    folder.mkdir()
    if fmt == "csv":
        (folder / "cases.csv").write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.append(header)
        wb.active.append(row)
        wb.save(folder / "cases.xlsx")
    with pytest.raises(UserError) as err:
        compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))
    problem = err.value.problems[0]
    assert problem.file == f"cases.{fmt}" and problem.row == 1
    assert "“受理时间”重复（第 3 列和第 5 列）" in problem.message


def test_english_and_chinese_name_of_one_column_is_refused(tmp_path):
    folder = write_records(
        tmp_path / "r", {"cases.csv": "case_id,unit,单位,accepted_at\nc1,A,B,2021-03-01\n"}
    )
    with pytest.raises(UserError) as err:
        compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))
    assert "列“unit”和“单位”是同一列" in err.value.problems[0].message


def test_skip_duplicate_check_is_announced(tmp_path, capsys):
    records = write_records(tmp_path / "r")
    out = tmp_path / "inputs.csv"
    args = [
        "metrics",
        "compute",
        "--records",
        str(records),
        *PERIOD,
        "--out",
        str(out),
        "--skip-duplicate-check",
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "未检查编号重复" in err
    # without the check the two a12 rows count: 16 rows, 7 - 2 = 5 excluded
    assert "办件：读取 16 条，排除无效记录 5 条" in err


def test_spark_master_option(tmp_path, capsys, monkeypatch):
    records = write_records(tmp_path / "r")
    out = tmp_path / "o.csv"
    args = ["metrics", "compute", "--records", str(records), *PERIOD, "--out", str(out)]
    assert main([*args, "--spark-master", "spark://h:7077"]) == 2
    assert "--spark-master 只用于 --engine spark" in capsys.readouterr().err

    import govassess.metrics.engines as engines

    masters = []

    class FakeSpark:  # records where the run would go, then fails like a missing Java would
        def __init__(self, *, master):
            masters.append(master)
            raise UserError("无法启动 Spark")

    monkeypatch.setattr(engines, "SparkEngine", FakeSpark)
    monkeypatch.setenv("GOVASSESS_SPARK_MASTER", "spark://env:7077")
    assert main([*args, "--engine", "spark"]) == 2
    assert main([*args, "--engine", "spark", "--spark-master", "spark://h:7077"]) == 2
    assert masters == ["spark://env:7077", "spark://h:7077"]

"""From a report to indicator inputs, scored by the evaluation core; and the `inspect` command."""

import csv
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from govassess.cli import main
from govassess.data import inputs_from_rows, read_inputs
from govassess.errors import UserError
from govassess.indicators import load_system
from govassess.inspection.inputs import load_map, report_to_rows
from govassess.inspection.report import inspect_site
from govassess.inspection.testsite import build_big_site, serve
from govassess.scoring import score_round

DATA = Path(__file__).parent / "data"
UNITS = pl.DataFrame({"unit": ["U1"], "name": ["示例市人民政府"], "class": [""]})
# gov-website-check-2019 turns on two unit attributes (bonus for portals, 办事服务 for units with service functions).
PORTAL = UNITS.with_columns(pl.lit(1).alias("政府门户网站"), pl.lit(1).alias("有对外服务职能"))


def _values(rows):
    return {(r["indicator"], r["input"]): r["value"] for r in rows}


def test_default_map_rows_from_fixture_report(site):
    rows = report_to_rows(site["report"], load_map(), unit="U1")
    v = _values(rows)
    sid = "gov-website-check-2019"
    # Single-veto items carry the measured values; the thresholds are the system's veto.
    assert (v[(sid, "首页打不开次数占比")], v[(sid, "首页不更新")]) == ("0", "0")
    assert (v[(sid, "栏目不更新数")], v[(sid, "长期未更新栏目数")], v[(sid, "空白栏目数量")]) == ("2", "5", "2")
    assert v[("1.1", "首页可访问比例")] == "1"
    assert v[("1.2", "首页失效链接数")] == "3"
    assert v[("1.3", "其他页面失效链接数")] == "2"
    assert v[("2.1", "未更新栏目数")] == "3"  # 部门动态, 通知公告, 人事信息
    assert v[("2.2", "空白栏目数")] == "2"
    assert v[("5.3", "网站标识码")] == "1" and v[("5.3", "公安机关备案号")] == "0"
    assert v[("5.4", "飘窗情况")] == "不可关闭"
    notes = {(r["indicator"], r["input"]): r["note"] for r in rows}
    assert site["base"] + "/missing-home.html" in notes[("1.2", "首页失效链接数")]
    assert site["base"] + "/col/tzgg/" in notes[("2.1", "未更新栏目数")]
    assert all(r["unit"] == "U1" and "2024-06-30" in r["note"] for r in rows)


def test_fixture_report_scored_by_national_system(site):
    system = load_system("gov-website-check-2019")
    rows = report_to_rows(site["report"], load_map(), unit="U1")
    rows += [
        {"unit": "U1", "indicator": "3.1", "input": "score", "value": "12", "note": "人工检查：留言办理及时"},
        {
            "unit": "U1",
            "indicator": "4.1",
            "input": "score",
            "value": "10",
            "note": "人工检查：办事指南缺要素",
        },
    ]
    result = score_round(system, PORTAL, inputs_from_rows(system, PORTAL, rows, source="网上抓取")).to_dict()
    unit = result["units"][0]
    # 19号 structure (the 暂定 caps are gone): 2.1 and 2.2 are 10 and 5 points, 2.3 is the 信息来源 sample.
    # 1.1: 5; 1.2: 5-3x1=2; 1.3: 10-2x0.1=9.8; 2.1: 10-3x5 -> 0; 2.2: 5-2x5 -> 0;
    # 2.3: 5 - 0.5 x (sampled pages without 来源); 3.1: 12; 4.1: 10;
    # 5.1: 5; 5.2: 2.5+2.5=5; 5.3: 1.25+1.25=2.5; 5.4: 不可关闭 0  ->  56.3 - 0.5k of 100.
    # The sample's seed includes the random port: count the sampled pages the site was built without 来源.
    sample = site["report"]["sample"]["pages"]
    k = sum(1 for url in sample if url.removeprefix(site["base"]) in site["facts"].articles_without_source)
    assert unit["score"] == pytest.approx(56.3 - 0.5 * k)
    assert unit["vetoed"] is False
    lost = {x["indicator"]: x["lost"] for x in unit["lost"]}
    assert lost["1.2"] == pytest.approx(3) and lost["2.1"] == pytest.approx(10)


def test_veto_from_inspection_zeroes_the_total(site):
    system = load_system("gov-website-check-2019")
    rows = report_to_rows(site["report"], load_map(), unit="U1")
    for r in rows:
        if r["input"] == "首页不更新":
            r["value"] = "1"
    rows += [
        {"unit": "U1", "indicator": c, "input": "score", "value": "15", "note": "人工"}
        for c in ("3.1", "4.1")
    ]
    unit = score_round(system, PORTAL, inputs_from_rows(system, PORTAL, rows)).to_dict()["units"][0]
    assert unit["vetoed"] is True and unit["score"] == 0


def test_seed_sample_of_ten_pages_costs_ten_percent_each(config, tmp_path):
    # One column of exactly 10 articles, article a0 without 来源 (i % 10 == 0): the sample is all 10
    # pages, 1 lacks a source -> 信息来源 = 1 - 1 x 10% = 0.9. 展现友好性: share 0.3 + no pop-up 0.3 +
    # site-map link 0.4 = 1.0. Total 1.9 of 2.
    with serve(build_big_site(11, per_list=10)) as (base, _):
        report = inspect_site(config(base), as_of=dt.date(2024, 6, 30))
    assert len(report["sample"]["pages"]) == 10
    assert report["sample"]["without_source"] == [base + "/c0/a0.html"]
    mapping = load_map(DATA / "seed-website-map.yaml")
    rows = report_to_rows(report, mapping, unit="U1")
    assert _values(rows)[("1", "未注明信息来源页数")] == "1"
    assert base + "/c0/a0.html" in rows[0]["note"] and "抽样种子" in rows[0]["note"]
    system = load_system(DATA / "seed-website.yaml")
    unit = score_round(system, UNITS, inputs_from_rows(system, UNITS, rows)).to_dict()["units"][0]
    assert unit["indicators"]["1"]["score"] == pytest.approx(0.9)
    assert unit["indicators"]["2"]["score"] == pytest.approx(1.0)


def test_sample_is_reproducible(site):
    from govassess.inspection.analysis import draw_sample

    report = site["report"]
    again = draw_sample(report["site"], dt.date(2024, 6, 30), report["articles"], 10)
    assert again == report["sample"]  # same site + as-of date -> same pages, whatever the run
    assert again["seed"] == site["base"].split("//")[1] + "|2024-06-30"
    five = draw_sample(report["site"], dt.date(2024, 6, 30), report["articles"], 5)
    assert len(five["pages"]) == 5 and set(five["pages"]) <= {a["url"] for a in report["articles"]}


def test_map_errors_are_located(tmp_path):
    bad = tmp_path / "map.yaml"
    bad.write_text(
        "system: gov-website-check-2019\nrows:\n  - {indicator: '1.2', input: 不存在的输入, from: {value: 首页链接可用性}}\n"
        "  - {indicator: '1.3', from: {nothing: x}}\n",
        "utf-8",
    )
    with pytest.raises(UserError) as err:
        load_map(bad)
    text = str(err.value)
    assert "缺少「input」" in text and "from 须是" in text and str(bad) in text
    bad.write_text(
        "system: gov-website-check-2019\nrows:\n  - {indicator: '1.2', input: 不存在的输入, from: {value: 首页链接可用性}}\n",
        "utf-8",
    )
    with pytest.raises(UserError, match="没有指标 1.2 的输入「不存在的输入」"):
        load_map(bad)


def test_cli_inspect_writes_report_and_inputs_read_by_core(site, tmp_path, capsys):
    # A second inspection of the running fixture is not needed: use a small site of 10 articles.
    with serve(build_big_site(11, per_list=10)) as (base, _):
        out, inputs = tmp_path / "report.json", tmp_path / "inputs.csv"
        code = main(
            [
                "inspect", base + "/", "--as-of", "2024-06-30", "--delay", "0", "--external", "loopback",
                "--out", str(out), "--inputs-out", str(inputs), "--unit", "U1", "--state", str(tmp_path / "st"),
            ]
        )  # fmt: skip
        assert (
            main(["inspect-probe", base + "/", "--state", str(tmp_path / "st"), "--as-of", "2024-06-30"]) == 0
        )
    assert code == 0
    state = json.loads(next((tmp_path / "st").iterdir()).read_text("utf-8"))
    assert [r["kind"] for r in state["runs"]] == ["inspect", "probe"]
    report = json.loads(out.read_text("utf-8"))
    for key in ("pages_crawled", "broken_links", "columns", "pages_without_source", "checks", "crawl_errors"):
        assert key in report
    # home + 1 list + 10 articles + the site map (robots.txt not counted); no broken links.
    assert report["pages_crawled"] == 13
    assert report["broken_links"] == []
    assert "结论" in capsys.readouterr().out
    units = tmp_path / "units.csv"
    units.write_text("unit,name,class\nU1,示例市人民政府,县级政府\n", "utf-8")
    from govassess.data import read_units

    df = read_inputs(inputs, load_system("gov-website-check-2019"), read_units(units))
    assert set(df["unit"].to_list()) == {"U1"}
    with open(inputs, encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["unit", "indicator", "input", "value", "note"]


def test_cli_user_errors_exit_2(tmp_path, capsys):
    assert main(["inspect", "ftp://example.gov.cn/", "--out", str(tmp_path / "r.json")]) == 2
    assert "不是有效的 http/https 地址" in capsys.readouterr().err
    assert main(["inspect", "http://127.0.0.1:9/", "--inputs-out", str(tmp_path / "i.csv")]) == 2
    assert "--unit" in capsys.readouterr().err
    assert main(["inspect", "http://127.0.0.1:9/", "--max-pages", "0"]) == 2
    capsys.readouterr()
    assert main(["inspect", "http://127.0.0.1:9/", "--max-column-pages", "0"]) == 2
    assert "--max-column-pages 必须至少为 1" in capsys.readouterr().err
    assert (
        main(
            [
                "inspect-inputs",
                str(tmp_path / "missing.json"),
                "--unit",
                "U1",
                "--out",
                str(tmp_path / "o.csv"),
            ]
        )
        == 2
    )
    assert "无法读取检查报告" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["inspect", "http://127.0.0.1:9/", "--as-of", "2024-13-01"])
    assert exc.value.code == 2


def test_undetermined_availability_is_left_blank_not_scored(config, tmp_path):
    # One inspection is one visit, not the 19号 rule's week of 20 visits a day: the availability inputs stay
    # blank with the reason in the note, so the score says the input is missing instead of passing or vetoing.
    with serve(build_big_site(3)) as (base, _):
        report = inspect_site(config(base), as_of=dt.date(2024, 6, 30), state_dir=tmp_path)
    rows = report_to_rows(report, load_map(), unit="U1")
    by_input = {r["input"]: r for r in rows}
    for name in ("首页打不开次数占比", "首页可访问比例"):
        assert by_input[name]["value"] == ""
        assert "监测不足，未判定" in by_input[name]["note"]
    assert by_input["首页失效链接数"]["value"] != ""  # the rest is measured as usual
    system = load_system("gov-website-check-2019")
    frame = inputs_from_rows(system, PORTAL, rows, source="网上抓取")
    assert not any(
        r["input"] in ("首页打不开次数占比", "首页可访问比例") for r in frame.iter_rows(named=True)
    )

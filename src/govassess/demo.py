"""The demo: both 阳江 2021 systems, the 41 departments and 7 县(市、区), two rounds, combined 40/60.

Inputs are synthetic but plausible and deterministic (fixed seed): most units score well, some
lack 行政许可 items (so those indicators are not applicable), a few get bonuses and penalties.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.progress import Progress

from govassess.data import units_from_rows
from govassess.data.yangjiang import COUNTIES, COUNTY_CLASS, DEPARTMENT_CLASS, DEPARTMENTS
from govassess.indicators import load_system
from govassess.indicators.model import IndicatorSystem
from govassess.outputs import OutputSet
from govassess.rules import BOOL, CHOICE, COUNT, PERCENT, SCORE

# Departments that hold no 行政许可 / no 依申请 items (plausible for 党委部门 and 垂直管理 units).
NO_LICENSE = {"市委办公室(市档案局)", "市委宣传部(新闻出版局)", "市委统战部(民宗、侨务)", "市委机要和保密局", "市国家安全局",
              "市档案馆(市志办)", "市统计局", "市金融局", "市通信管理办", "市水务集团"}
NO_APPLICATION = {"市委机要和保密局", "市国家安全局", "市通信管理办"}
# What 县(市、区) indicators 19/20/22 divide by: 常住人口（万人）, 企业数量（万户）, 人员编制数 — round, made-up
# figures of the right order for the demo, not statistics.
COUNTY_SIZES = {"江城区": (65, 3.2, 5200), "阳东区": (47, 2.1, 4100), "阳春市": (86, 2.4, 7800), "阳西县": (44, 1.6, 4300),
                "海陵试验区": (9, 0.4, 900), "阳江高新区": (10, 0.6, 800), "阳江滨海新区": (5, 0.3, 600)}


def demo_units() -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(DEPARTMENTS, 1):
        rows.append({"unit": f"D{i:02d}", "name": name, "class": DEPARTMENT_CLASS,
                     "has_license_items": 0 if name in NO_LICENSE else 1,
                     "has_application_items": 0 if name in NO_APPLICATION else 1})
    for i, name in enumerate(COUNTIES, 1):
        population, enterprises, staff = COUNTY_SIZES[name]
        rows.append({"unit": f"X{i:02d}", "name": name, "class": COUNTY_CLASS, "has_license_items": 1, "has_application_items": 1,
                     "population": population, "enterprises": enterprises, "staff": staff})
    return units_from_rows(rows)


def synthetic_inputs(system: IndicatorSystem, units: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Plausible values for every input of every leaf, per unit; a unit's 'quality' drives all its values."""
    rng = random.Random(f"{system.id}:{seed}")
    rows: list[dict[str, Any]] = []
    leaves = {leaf.code: leaf for leaf in system.leaves()}
    sizes = {c: dict(zip(units["unit"].to_list(), units[c].to_list(), strict=True)) for c in units.columns}
    for unit in units["unit"].to_list():
        quality = rng.uniform(0.55, 1.0)
        for spec in system.inputs():
            leaf = leaves.get(spec.indicator)
            if leaf is None:  # veto inputs: almost never set
                continue
            if leaf.kind == "bonus":
                if rng.random() < 0.15:
                    rows.append(_row(unit, spec, _value(spec, leaf.points or 0, 0.3, rng), rng, leaf))
                continue
            if leaf.kind == "penalty":
                if rng.random() < 0.06:
                    rows.append(_row(unit, spec, _value(spec, leaf.points or 0, 0.2, rng), rng, leaf))
                continue
            if rng.random() < 0.02:  # an occasional unreported input, flagged as missing
                continue
            value = _value(spec, leaf.points or 0, quality, rng)
            per = getattr(leaf.rule, "per", None)
            if per and sizes.get(per, {}).get(unit):  # users in proportion to the county's size (people, firms, staff)
                size = float(sizes[per][unit])
                per_size = 1.0 if size >= 100 else 1000.0  # staff: ≤ 1 user each; 万人 / 万户: ≤ 1000 each
                value = str(int(size * per_size * min(1.0, max(0.2, rng.gauss(quality, 0.12)))))
            rows.append(_row(unit, spec, value, rng, leaf))
        _coherent(rows, unit)
    return pl.DataFrame(rows, schema={"unit": pl.String, "indicator": pl.String, "input": pl.String, "value": pl.String,
                                      "note": pl.String})


def _coherent(rows: list[dict[str, Any]], unit: str) -> None:
    """A unit cannot have rectified more bad ratings than it received."""
    mine = {(r["indicator"], r["input"]): r for r in rows if r["unit"] == unit}
    for (code, name), r in mine.items():
        if name == "已整改差评数" and (code, "差评数") in mine:
            r["value"] = str(min(int(r["value"]), int(mine[(code, "差评数")]["value"])))


def _row(unit: str, spec: Any, value: str, rng: random.Random, leaf: Any) -> dict[str, Any]:
    return {"unit": unit, "indicator": spec.indicator, "input": spec.input, "value": value,
            "note": _reason(spec, value, leaf, rng) if spec.needs_note else None}


def _reason(spec: Any, value: str, leaf: Any, rng: random.Random) -> str:
    """A reviewer's reason that agrees with the score: full marks never come with a lost-point reason."""
    given, points = float(value), float(leaf.points or 0)
    if leaf.kind == "bonus":
        return rng.choice(["获省级表彰", "经验做法被主流媒体报道", "“秒批”事项上线运行"]) + f"，加 {given:g} 分"
    if leaf.kind == "penalty":
        return rng.choice(["核查发现问题", "经核实存在问题"]) + f"，扣 {given:g} 分"
    if given >= points:
        return rng.choice(["佐证材料齐全，达到要求", "经现场核查确认，全部达到要求"])
    return rng.choice(["部分佐证材料缺失", "部分要求未达到"]) + f"，扣 {points - given:g} 分"


def _value(spec: Any, points: float, quality: float, rng: random.Random) -> str:
    q = min(1.0, max(0.0, rng.gauss(quality, 0.12)))
    if spec.kind == CHOICE:
        choices = list(spec.choices or ())
        return choices[0] if rng.random() < q else rng.choice(choices)
    if spec.kind == BOOL:
        return "是" if rng.random() < q + 0.1 else "否"
    if spec.kind == SCORE:
        return f"{round(points * max(q, 0.3) * 2) / 2:g}"
    if spec.kind == COUNT:
        lo = spec.min or 0
        return str(int(lo + rng.randint(0, 3)))
    if spec.kind == PERCENT:
        return f"{(1 - q) * 20:.1f}%" if "超时" in spec.input else f"{q * 100:.1f}%"  # 超时率: lower is better
    if spec.max is not None:
        return f"{spec.max * q:.1f}"
    if spec.input.endswith(("总数", "数量", "总量")):
        return str(rng.randint(50, 200))
    if "次数" in spec.input:  # e.g. 事项平均跑动次数: fewer is better
        return f"{(1 - q) * 2:.2f}"
    if spec.input.startswith("应"):  # a ratio's denominator (应办结工单数); its numerator is q × 200
        return "200"
    if spec.input.startswith("按时"):
        return str(int(q * 200))
    if "用户数" in spec.input:  # registered users, in proportion to the county's size
        return str(int(q * 30000))
    return f"{q:.3f}" if ("率" in spec.input or "比" in spec.input) else str(int(20 + q * 180))


def run_demo(out: Path, *, seed: int = 2021, console: Console | None = None) -> dict[str, Any]:
    from govassess.cli.core import print_messages, print_ranking

    console = console or Console()
    with OutputSet() as outs:  # the whole folder appears at the end, or nothing does
        folder = outs.folder(out, option="--out")
        summary = _run(outs, folder, seed, console)
    for annual in summary.values():
        print_messages(annual)
        print_ranking(annual, title=f"{annual['system']['name']}（上半年40% + 下半年60%）")
    console.print(f"结果已写入 {out}/：每轮 JSON 与工作簿、年度合并 JSON、填报模板")
    return summary


def _run(outs: OutputSet, folder: Path, seed: int, console: Console) -> dict[str, Any]:
    from govassess.data.template import write_template
    from govassess.reports.workbook import write_results_workbook
    from govassess.scoring import combine_results, score_round

    units = demo_units()
    units.drop("_row").write_csv(outs.file(folder / "units.csv"))
    summary: dict[str, Any] = {}
    rounds = [("2021年上半年", 0.4), ("2021年下半年", 0.6)]
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("评分中", total=2 * len(rounds) + 2)
        for system_id in ("yangjiang-2021-dept", "yangjiang-2021-county"):
            system = load_system(system_id)
            results = []
            for r, (round_name, _w) in enumerate(rounds):
                bar.update(task, description=f"{system.name} · {round_name}")
                inputs = synthetic_inputs(system, units, seed + r)
                stem = f"{system_id}-{'h1' if r == 0 else 'h2'}"
                inputs.write_csv(outs.file(folder / f"{stem}-inputs.csv"))
                result = score_round(system, units, inputs, round_name=round_name).to_dict()
                outs.file(folder / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
                write_results_workbook(result, outs.file(folder / f"{stem}.xlsx"))
                results.append(result)
                bar.advance(task)
            write_template(system, units, outs.file(folder / f"{system_id}-template.xlsx"))
            annual = combine_results(results, [w for _, w in rounds])
            outs.file(folder / f"{system_id}-annual.json").write_text(json.dumps(annual, ensure_ascii=False, indent=2), encoding="utf-8")
            write_results_workbook(annual, outs.file(folder / f"{system_id}-annual.xlsx"))
            bar.advance(task)
            summary[system_id] = annual
    return summary

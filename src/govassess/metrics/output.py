"""Turn computed metrics into the long-form inputs (unit, indicator, input, value, note) that
``govassess score`` reads, optionally through a map onto an indicator system's (indicator, input) pairs."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from govassess import safe_yaml
from govassess.errors import ProblemCollector, UserError
from govassess.json_input import check_shape
from govassess.outputs import csv_dict, csv_row, save_workbook

from .compute import ComputeResult, MetricValue
from .definitions import Definitions

PARTS = ("value", "num", "den")
INFO_CODE = "info_work"  # indicator code used for 信息报送 outputs without a map


@dataclass(frozen=True)
class MapEntry:
    metric: str  # a metric code, or info_work.<input name>
    indicator: str
    input: str
    part: str = "value"
    scale: float = 1.0  # e.g. 100 when the system wants percentages as numbers


@dataclass(frozen=True)
class MetricMap:
    system: str | None
    entries: tuple[MapEntry, ...]
    source: str
    info_rules: str | None = None  # the 信息报送 regime the office chose for this system (a preset name)


def builtin_maps() -> dict[str, str]:
    base = resources.files("govassess.metrics").joinpath("maps")
    return {p.name.removesuffix(".yaml"): p.name for p in base.iterdir() if p.name.endswith(".yaml")}


# The shape of a map, checked before it is walked (govassess.json_input.check_shape names the place).
MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "system": {"type": ["string", "null"]},
        "info_rules": {"type": ["string", "null"]},
        "inputs": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "metric": {"type": "string"},
                    "indicator": {"type": ["string", "number"]},
                    "input": {"type": "string"},
                    "part": {"type": "string"},
                    # a factor the metric is multiplied by (a share as points, per cent …): finite and sane
                    "scale": {"type": "number", "minimum": -1e6, "maximum": 1e6},
                },
            },
        },
    },
}


def load_map(ref: str | Path, defs: Definitions) -> MetricMap:
    """A map file path, or the id of a built-in map (= the indicator system id)."""
    ref_s = str(ref)
    if ref_s in builtin_maps():
        text = (
            resources.files("govassess.metrics").joinpath("maps", f"{ref_s}.yaml").read_text(encoding="utf-8")
        )
        source = f"{ref_s}.yaml"
    else:
        path = Path(ref_s)
        if not path.is_file():
            known = "、".join(sorted(builtin_maps())) or "无"
            raise UserError(f"映射文件不存在：{ref_s}（内置映射：{known}）")
        text = safe_yaml.read_text(path, file=path.name)
        source = path.name
    data = safe_yaml.expect_mapping(safe_yaml.load_yaml(text, file=source) or {}, file=source, what="映射文件")
    check_shape(data, MAP_SCHEMA, file=source, what="映射文件")
    problems = ProblemCollector()
    codes = {m.code for m in defs.metrics}
    entries = []
    for i, e in enumerate(data.get("inputs") or [], 1):
        where = f"inputs[{i}]"
        if not isinstance(e, dict) or not all(e.get(k) for k in ("metric", "indicator", "input")):
            problems.add("每项须有 metric、indicator、input", file=source, field=where)
            continue
        metric = str(e["metric"])
        if metric not in codes and not metric.startswith(f"{INFO_CODE}."):
            problems.add(f"未定义的指标「{metric}」", file=source, field=where)
        part = str(e.get("part", "value"))
        if part not in PARTS:
            problems.add(f"part 应为 {'/'.join(PARTS)}", file=source, field=where)
        entries.append(MapEntry(metric, str(e["indicator"]), str(e["input"]), part, float(e.get("scale", 1))))
    info_rules = data.get("info_rules")
    if info_rules is not None:
        from .infowork import PRESET_NAMES

        if str(info_rules) not in PRESET_NAMES:
            names = "、".join(PRESET_NAMES)
            problems.add(
                f"info_rules 应为内置考评办法之一（{names}），实际为「{info_rules}」",
                file=source,
                field="info_rules",
            )
    problems.raise_if_any()
    return MetricMap(
        data.get("system"), tuple(entries), source, None if info_rules is None else str(info_rules)
    )


def check_map_against_system(mmap: MetricMap, system: Any) -> list[str]:
    """Names in the map that the indicator system does not declare (returned as warnings)."""
    declared = {(s.indicator, s.input) for s in system.inputs()}
    return [
        f"映射 {mmap.source}：指标体系 {system.id} 中没有输入（{e.indicator}, {e.input}）"
        for e in mmap.entries
        if (e.indicator, e.input) not in declared
    ]


def fmt(x: float | None) -> str:
    if x is None:
        return ""
    if float(x).is_integer():
        return str(int(x))
    return f"{round(float(x), 6):.6f}".rstrip("0").rstrip(".")


def _note(mv: MetricValue) -> str:
    parts = []
    m = mv.metric
    if m.is_ratio:
        num = m.numerator.name if m.numerator and m.numerator.name else "分子"
        den = m.denominator.name if m.denominator and m.denominator.name else "分母"
        parts.append(f"{num} {fmt(mv.num)} / {den} {fmt(mv.den)}")
        if not mv.den:
            parts.append("分母为 0")
    if mv.excluded:
        parts.append(f"已排除本单位无效记录 {mv.excluded} 条")
    return "；".join(parts)


def input_rows(
    result: ComputeResult, mmap: MetricMap | None = None
) -> tuple[list[dict[str, str]], list[str]]:
    """Rows for the inputs file and notes about rows left out (a ratio with a zero denominator has no value)."""
    rows: list[dict[str, str]] = []
    left_out: list[str] = []
    by_key = {(v.unit, v.metric.code): v for v in result.values}
    info = {(s.unit, name): (val, note, s.excluded) for s in result.info for name, val, note in s.inputs()}
    if mmap is None:
        for mv in result.values:
            if mv.value is None:
                left_out.append(f"{mv.unit} {mv.metric.name}：{_note(mv) or '无记录'}")
                continue
            rows.append(
                {
                    "unit": mv.unit,
                    "indicator": mv.metric.code,
                    "input": mv.metric.name,
                    "value": fmt(mv.value),
                    "note": _note(mv),
                }
            )
        for s in result.info:
            for name, val, note in s.inputs():
                extra = f"已排除本单位无效记录 {s.excluded} 条" if s.excluded else ""
                rows.append(
                    {
                        "unit": s.unit,
                        "indicator": INFO_CODE,
                        "input": name,
                        "value": fmt(val),
                        "note": "；".join(x for x in (note, extra) if x),
                    }
                )
        return rows, left_out
    for unit in result.units:
        for e in mmap.entries:
            if e.metric.startswith(f"{INFO_CODE}."):
                got = info.get((unit, e.metric.split(".", 1)[1]))
                if got is None:
                    left_out.append(f"{unit} {e.metric}：无政务信息报送记录")
                    continue
                val, note, excluded = got
                rows.append(
                    {
                        "unit": unit,
                        "indicator": e.indicator,
                        "input": e.input,
                        "value": fmt(val * e.scale),
                        "note": note or "",
                    }
                )
                continue
            mv = by_key.get((unit, e.metric))
            if mv is None:
                left_out.append(f"{unit} {e.metric}：未计算（缺少记录）")
                continue
            x = {"value": mv.value, "num": mv.num, "den": mv.den}[e.part]
            if x is None:
                left_out.append(f"{unit} {mv.metric.name}：{_note(mv) or '无记录'}")
                continue
            rows.append(
                {
                    "unit": unit,
                    "indicator": e.indicator,
                    "input": e.input,
                    "value": fmt(x * e.scale),
                    "note": f"{mv.metric.name}：{_note(mv)}".rstrip("："),
                }
            )
    return rows, left_out


def write_inputs(rows: list[dict[str, str]], out: Path) -> None:
    """CSV (UTF-8 with BOM so Excel/WPS open it correctly) or XLSX by suffix."""
    header = ["unit", "indicator", "input", "value", "note"]
    if out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "inputs"
        ws.append(header)
        for r in rows:
            ws.append([r[h] for h in header])
        save_workbook(wb, out)  # a unit code or note starting with "=" stays text
        return
    with out.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(csv_dict(r) for r in rows)


def write_problems(result: ComputeResult, out: Path) -> None:
    """Every rule that fired, with counts and first examples — the record of what was excluded."""
    with out.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["记录集", "文件", "规则", "说明", "条数", "示例文件", "示例行", "示例值"])
        for r in result.rule_results:
            for k, (f, row, val) in enumerate(r.examples or [(None, None, "")]):
                first = k == 0
                w.writerow(
                    csv_row(  # example values come from the records: a "=…" must not run
                        [
                            r.record_set if first else "",
                            r.files if first else "",
                            r.rule if first else "",
                            r.message if first else "",
                            r.count if first else "",
                            f or "",
                            row or "",
                            val,
                        ]
                    )
                )

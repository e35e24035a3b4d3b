"""From an inspection report to long-form inputs of an indicator system.

Rows are ``unit, indicator, input, value, note``; the note carries the evidence (URLs and the
check's criterion), so a unit sees which page cost it which points and can appeal it.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Any

from govassess import safe_yaml
from govassess.errors import ProblemCollector, UserError
from govassess.json_input import check_shape, describe
from govassess.outputs import csv_dict

SOURCES = ("failed", "passed", "value", "complement", "count", "choice", "sample_without_source")
MAX_NOTE_URLS = 20


_CHECK = {"type": "string", "minLength": 1}
MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["rows"],
    "properties": {
        "system": {"type": ["string", "null"]},
        "rows": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["indicator", "input", "from"],
                "properties": {
                    "indicator": {"type": ["string", "number"]},
                    "input": {"type": "string", "minLength": 1},
                    "from": {
                        "type": "object",
                        "properties": {
                            "failed": {"type": ["string", "array"], "items": _CHECK},
                            "passed": _CHECK,
                            "value": _CHECK,
                            "complement": _CHECK,
                            "count": _CHECK,
                            "choice": _CHECK,
                            "labels": {"type": "object"},
                            "sample_without_source": {"type": "boolean"},
                        },
                    },
                },
            },
        },
    },
}


def load_map(path: str | Path | None = None) -> dict[str, Any]:
    where = str(path) if path else "gov-website-check-2019.yaml"
    if path is None:
        text = resources.files("govassess.inspection").joinpath("maps/gov-website-check-2019.yaml").read_text("utf-8")
    else:
        text = safe_yaml.read_text(path, file=where)
    data = safe_yaml.load_yaml(text, file=where)
    problems = ProblemCollector()
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list) or not data["rows"]:
        raise UserError("映射文件须有非空的 rows 列表", file=where)
    for i, row in enumerate(data["rows"], 1):
        if not isinstance(row, dict):
            problems.add("每一项须写成 {indicator, input, from}", file=where, field=f"rows[{i}]")
            continue
        for key in ("indicator", "input", "from"):
            if not row.get(key):
                problems.add(f"缺少「{key}」", file=where, field=f"rows[{i}]")
        src = row.get("from")
        if isinstance(src, dict) and not any(k in src for k in SOURCES):
            problems.add(
                f"from 须是 {'、'.join(SOURCES)} 之一",
                file=where,
                field=f"rows[{i}]",
                indicator=str(row.get("indicator")),
            )
        row["indicator"] = str(row.get("indicator"))
    problems.raise_if_any()
    check_shape(data, MAP_SCHEMA, file=where, what="映射文件")  # the types, once every row has its keys
    if data.get("system"):
        _check_against_system(data, where)
    return data


def _check_against_system(data: dict[str, Any], where: str) -> None:
    """Every mapped (indicator, input) must exist in the named system, when that system can be loaded."""
    from govassess.indicators import load_system

    try:
        system = load_system(str(data["system"]))
    except UserError as err:
        raise UserError(f"system：{err.problems[0].message}", file=where, field="system") from None
    known = {(i.indicator, i.input) for i in system.inputs()}
    problems = ProblemCollector()
    for i, row in enumerate(data["rows"], 1):
        if (row["indicator"], row["input"]) not in known:
            problems.add(
                f"指标体系 {system.id} 中没有指标 {row['indicator']} 的输入「{row['input']}」",
                file=where,
                field=f"rows[{i}]",
                indicator=row["indicator"],
            )
    problems.raise_if_any()


def _evidence_urls(evidence: Any) -> list[str]:
    if isinstance(evidence, str):
        return []
    urls = []
    for item in evidence or []:
        if isinstance(item, str):
            urls.append(item)
        elif isinstance(item, dict) and item.get("url"):
            where = f"，所在页面 {item['found_on']}" if item.get("found_on") else ""
            what = item.get("status") or item.get("error") or item.get("last_updated") or ""
            urls.append(f"{item['url']}" + (f"（{what}{where}）" if what or where else ""))
    return urls


def _note(report: dict[str, Any], check: dict[str, Any] | None, urls: list[str], extra: str = "") -> str:
    head = f"网站检查 {report['site']}（基准日期 {report['as_of']}）"
    parts = [head]
    if check is not None:
        parts.append(f"{check['check']}：{check.get('criteria') or ''}")
    if extra:
        parts.append(extra)
    if urls:
        shown = urls[:MAX_NOTE_URLS]
        more = f"；另有 {len(urls) - len(shown)} 个，见检查报告" if len(urls) > len(shown) else ""
        parts.append("证据：" + "；".join(shown) + more)
    elif check is not None and isinstance(check.get("evidence"), str):
        parts.append(f"情况：{check['evidence']}")
    return "。".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def report_to_rows(
    report: dict[str, Any], mapping: dict[str, Any], *, unit: str, report_file: str | None = None
) -> list[dict[str, str]]:
    checks = {c["check"]: c for c in report["checks"]}
    places = {c["check"]: f"checks[{i}]" for i, c in enumerate(report["checks"], 1)}
    checks["栏目未更新（全部类型）"] = {
        "check": "栏目未更新（全部类型）",
        "criteria": "按栏目类型的更新要求（动态要闻2周、通知公告政策文件6个月、人事规划1年）判断为未更新的栏目",
        "result": "pass",
        "value": None,
        "evidence": [
            {"url": c.get("url"), "last_updated": c.get("last_updated") or "无日期", "name": c.get("name")}
            for c in report.get("columns") or []
            if c.get("stale")
        ],
    }
    problems = ProblemCollector()
    rows = []
    for i, spec in enumerate(mapping["rows"], 1):
        src = spec["from"]

        def need(name: str, _i: int = i, _spec: dict[str, Any] = spec) -> dict[str, Any] | None:
            c = checks.get(name)
            if c is None:
                problems.add(
                    f"检查报告中没有检查项「{name}」", field=f"rows[{_i}]", indicator=_spec["indicator"]
                )
            return c

        check: dict[str, Any] | None = None
        urls: list[str] = []
        extra = ""
        value: Any = None
        used: list[dict[str, Any]] = []  # the checks the value comes from
        if "failed" in src:
            names = src["failed"] if isinstance(src["failed"], list) else [src["failed"]]
            found = [c for c in (need(n) for n in names) if c is not None]
            used = found
            hit = [c for c in found if c["result"] in ("fail", "deduct")]
            value = 1 if hit else 0
            check = (hit or found)[0] if (hit or found) else None
            for c in hit:
                urls += _evidence_urls(c["evidence"])
            if len(found) > 1:
                extra = "依据检查项：" + "、".join(
                    f"{c['check']}（{c['result']}，{c['value']}）" for c in found
                )
        elif "sample_without_source" in src:
            sample = report["sample"]
            value = len(sample["without_source"])
            urls = list(sample["without_source"])
            extra = (
                f"随机抽查信息发布类页面 {len(sample['pages'])} 个（抽样种子 {sample['seed']}，同一网站同一基准日期抽样结果相同），"
                f"未注明信息来源 {value} 个"
            )
        else:
            key = next(k for k in SOURCES if k in src)
            check = need(src[key])
            if check is None:
                continue
            used = [check]
            urls = _evidence_urls(check["evidence"])
            if key == "passed":
                value = 1 if check["result"] == "pass" else 0
            elif key == "value":
                value = check["value"]
            elif key == "complement":
                share = check["value"] or 0
                if isinstance(share, bool) or not isinstance(share, int | float):
                    problems.add(
                        f"检查项「{check['check']}」的值应为数字（比例），实际是{describe(share)}",
                        file=report_file,
                        field=f"{places.get(check['check'], 'checks')}.value",
                        indicator=spec["indicator"],
                    )
                    continue
                value = round(1 - float(share), 6)
            elif key == "count":
                value = len(check["evidence"]) if isinstance(check["evidence"], list) else 0
            elif key == "choice":
                labels = src.get("labels") or {}
                state = "none" if not check["value"] else check["result"]
                if state not in labels:
                    problems.add(
                        f"choice 映射缺少「{state}」对应的标签",
                        field=f"rows[{i}]",
                        indicator=spec["indicator"],
                    )
                    continue
                value = labels[state]
        if any(c["result"] == "undetermined" for c in used) and not any(
            c["result"] in ("fail", "deduct") for c in used
        ):
            # Not enough monitoring to decide: leave the input blank (the score shows it missing) rather
            # than pass a share from a handful of visits off as a measured value.
            value = None
        rows.append(
            {
                "unit": unit,
                "indicator": spec["indicator"],
                "input": spec["input"],
                "value": _fmt(value),
                "note": _note(report, check, urls, extra),
            }
        )
    problems.raise_if_any()
    return rows


def write_inputs_csv(rows: list[dict[str, str]], path: str | Path) -> None:
    """Atomicity is the caller's (govassess.outputs.OutputSet); notes quote page titles, so formula text is
    quoted as in every CSV the project writes."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["unit", "indicator", "input", "value", "note"])
        writer.writeheader()
        writer.writerows(csv_dict(r) for r in rows)

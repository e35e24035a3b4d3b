"""Screening of surveyed systems: “僵尸”信息系统 candidates and duplicate-spending hints.

The seed (政务信息系统基本情况表 填表说明 2) names three criteria; each is a list of configurable checks over survey
fields and usage figures (``screening.yaml``). A system is a candidate when any check fires; every fired check is
listed as a reason, so a reviewer sees why.
"""

from __future__ import annotations

import csv
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

from govassess import safe_yaml
from govassess.errors import Problem, UserError
from govassess.forms.cells import nfkc
from govassess.forms.survey import SurveyData
from govassess.json_input import check_shape
from govassess.outputs import save_workbook
from govassess.xlsx_guard import check_workbook

KEY = ("部门全称", "信息系统名称")
_OPS = ("eq", "ne", "in", "lt", "le", "gt", "ge", "blank", "filled")
_CUTOFF_RE = re.compile(r"^cutoff_year\s*([+-])\s*(\d+)$")


# ---------------------------------------------------------------- usage data
def _parse(value: Any) -> Any:
    """Usage cells: numbers (full-width too, 97.5% → 0.975) become floats; blanks None; other text stays."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    text = nfkc(str(value)).strip()
    if not text:
        return None
    try:
        if text.endswith("%"):
            return float(text[:-1].replace(",", "")) / 100
        return float(text.replace(",", ""))
    except ValueError:
        return text


def read_usage(path: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Usage figures, one row per system, keyed by (部门全称, 信息系统名称). CSV (UTF-8 or GBK) or XLSX (first sheet)."""
    p = Path(path)
    if not p.is_file():
        raise UserError("找不到使用情况数据文件", file=str(path))
    try:
        if p.suffix.lower() == ".csv":
            raw = p.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gbk", errors="replace")
            table = list(csv.reader(text.splitlines()))
        else:
            import python_calamine as pc

            check_workbook(p, file=p.name)
            wb = pc.CalamineWorkbook.from_path(str(p))
            table = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)  # type: ignore[assignment]
    except UserError:
        raise
    except Exception:  # unreadable file: tell the user, no traceback
        raise UserError(
            "无法读取使用情况数据：文件已损坏或格式不对（应为 CSV 或 .xlsx，请在 Excel 或 WPS 中打开后另存）",
            file=p.name,
        ) from None
    if not table:
        raise UserError("使用情况数据为空", file=p.name)
    header = [nfkc(str(h)).strip() if h is not None else "" for h in table[0]]
    missing = [k for k in KEY if k not in header]
    if missing:
        raise UserError(f"使用情况数据缺少列：{'、'.join(missing)}", file=p.name, row=1)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    problems: list[Problem] = []
    for i, cells in enumerate(table[1:], 2):
        row = {h: _parse(cells[j]) if j < len(cells) else None for j, h in enumerate(header) if h}
        dept, name = row.get("部门全称"), row.get("信息系统名称")
        if dept is None and name is None:
            continue
        if not isinstance(dept, str) or not isinstance(name, str):
            problems.append(Problem("部门全称和信息系统名称须填写", file=p.name, row=i))
            continue
        key = (str(dept).strip(), str(name).strip())
        if key in out:
            problems.append(
                Problem(f"与第 {out[key]['_row']} 行重复", file=p.name, row=i, column="信息系统名称")
            )
            continue
        row["_row"] = i
        row["_file"] = p.name
        out[key] = row
    if problems:
        raise UserError(problems=problems)
    return out


# ---------------------------------------------------------------- 僵尸系统
DEFAULT_SOURCE = "本平台默认值（原文未规定数值，请评估办按实际设定）"


_COND: dict[str, Any] = {
    "type": "object",
    "properties": {
        "field": {"type": "string"},
        "op": {"type": "string"},
        "ratio": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
        "threshold": {"type": "string"},
    },
}
# Shapes checked before the conditions are walked (govassess.json_input.check_shape names the place).
SCREENING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["criteria"],
    "properties": {
        "thresholds": {
            "type": ["object", "null"],
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "value": {"type": "number"},
                    "label": {"type": "string"},
                    "years_before_cutoff": {"type": "boolean"},
                    "percent": {"type": "boolean"},
                },
            },
        },
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": ["integer", "string"]},
                    "name": {"type": "string"},
                    "checks": {
                        "type": ["array", "null"],
                        "items": {
                            "type": "object",
                            "properties": {"reason": {"type": "string"}, "all": {"type": ["array", "null"], "items": _COND}},
                        },
                    },
                    "except": {"type": ["array", "null"], "items": _COND},
                },
            },
        },
    },
}


def load_screening_config(
    path: str | Path | None = None, *, thresholds: dict[str, float] | None = None
) -> dict[str, Any]:
    """The zombie-screening checks: the built-in ``screening.yaml`` or a user's file of the same shape.

    ``thresholds`` (名称 → 值, e.g. from ``--threshold``) replace the file's values; each threshold carries
    ``source`` saying whether the number is the platform's default or the office's, because the seed sets none.
    """
    if path is None:
        text = (resources.files("govassess.forms") / "screening.yaml").read_text(encoding="utf-8")
        name = "screening.yaml"
    else:
        p = Path(path)
        if not p.is_file():
            raise UserError("找不到筛查条件文件", file=str(path))
        text, name = safe_yaml.read_text(p, file=p.name), p.name
    config = safe_yaml.load_yaml(text, file=name)
    problems = []
    if not isinstance(config, dict) or not isinstance(config.get("criteria"), list):
        raise UserError("筛查条件须有 criteria 列表", file=name)
    check_shape(config, SCREENING_SCHEMA, file=name, what="筛查条件文件")
    named = _check_thresholds(config, name, path is None, thresholds or {})
    for c in config["criteria"]:
        if not isinstance(c, dict):
            raise UserError(f"筛查条件须为映射，实际为：{c}", file=name)
        conds = [cond for check in c.get("checks") or [] for cond in check.get("all") or []]
        for cond in conds + list(c.get("except") or []):
            if (
                not isinstance(cond, dict)
                or cond.get("op") not in _OPS
                or not ("field" in cond or "ratio" in cond)
            ):
                problems.append(
                    Problem(
                        f"筛查条件有误：{cond}（op 可用：{'、'.join(_OPS)}）",
                        file=name,
                        indicator=str(c.get("id")),
                    )
                )
            elif "threshold" in cond and cond["threshold"] not in named:
                problems.append(
                    Problem(
                        f"筛查条件引用了未定义的阈值“{cond['threshold']}”（已定义：{'、'.join(named) or '无'}）",
                        file=name,
                        indicator=str(c.get("id")),
                    )
                )
        if "id" not in c or not all("reason" in check for check in c.get("checks") or []):
            problems.append(
                Problem("每个条件须有 id，每项检查须有 reason", file=name, indicator=str(c.get("id")))
            )
        for check in c.get("checks") or []:
            try:
                str(check.get("reason", "")).format_map(_shown(named))
            except (KeyError, ValueError, IndexError) as exc:
                problems.append(
                    Problem(
                        f"检查说明“{check.get('reason')}”中的 {{…}} 须是已定义的阈值名称（{exc}）",
                        file=name,
                        indicator=str(c.get("id")),
                    )
                )
    if problems:
        raise UserError(problems=problems)
    return config


def _check_thresholds(
    config: dict[str, Any], name: str, builtin: bool, overrides: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Validate the ``thresholds`` block and apply the office's values; returns the block (name → entry)."""
    named = config.get("thresholds") or {}
    if not isinstance(named, dict):
        raise UserError("thresholds 须为“名称: {value: 数值, label: 说明}”的映射", file=name)
    problems = []
    for key, entry in named.items():
        if not isinstance(entry, dict) or isinstance(entry.get("value"), bool):
            problems.append(Problem(f"阈值“{key}”须写成 {{value: 数值, label: 说明}}", file=name))
            continue
        entry["source"] = DEFAULT_SOURCE if builtin else f"评估办设定（{name}）"
    unknown = [k for k in overrides if k not in named]
    if unknown:
        problems.append(
            Problem(
                f"选项 --threshold：没有名为“{'、'.join(unknown)}”的筛查阈值（可设：{'、'.join(named) or '无'}）"
            )
        )
    for key, value in overrides.items():
        if key in named and isinstance(named[key], dict):
            named[key]["value"] = value
            named[key]["source"] = "评估办设定（--threshold）"
    for key, entry in named.items():
        if not isinstance(entry, dict) or "source" not in entry:
            continue
        value = entry.get("value")
        where = name if not entry["source"].endswith("--threshold）") else None  # the file, or the option
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            problems.append(Problem(f"阈值“{key}”须为非负数，实际为：{value}", file=where))
        elif entry.get("percent") and not 0 < value <= 1:
            problems.append(
                Problem(f"阈值“{key}”是比例，须在 0 到 1 之间（如 0.2 即 20%），实际为：{value}", file=where)
            )
        elif entry.get("years_before_cutoff") and value != int(value):
            problems.append(Problem(f"阈值“{key}”是年数，须为整数，实际为：{value}", file=where))
    if problems:
        raise UserError(problems=problems)
    return named


def _shown(named: dict[str, Any]) -> dict[str, str]:
    """Threshold values as a reason quotes them (0.2 → 20%, 2.0 → 2); a missing name raises KeyError."""
    return {k: _display(e) for k, e in named.items() if isinstance(e, dict)}


def _display(entry: dict[str, Any]) -> str:
    value = entry.get("value")
    if not isinstance(value, (int, float)):
        return str(value)
    if entry.get("percent"):
        return f"{value * 100:g}%"
    return f"{value:g}"


def threshold_rows(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The thresholds a screening used, for printing and for the workbook's 筛查阈值 sheet."""
    return [
        {
            "阈值": key,
            "取值": _display(entry),
            "含义": entry.get("label", ""),
            "来源": entry.get("source", ""),
        }
        for key, entry in (config.get("thresholds") or {}).items()
    ]


def parse_threshold_options(items: list[str] | None) -> dict[str, float]:
    """``--threshold 名称=值`` (repeatable; 20% accepted for a share) → {名称: 值}."""
    out: dict[str, float] = {}
    for item in items or []:
        key, sep, raw_value = (nfkc(item) or "").partition("=")
        text = raw_value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            value = math.nan
        if not sep or not key.strip() or not math.isfinite(value):
            raise UserError(f"选项 --threshold 须写成“名称=数值”（如 设计指标比例下限=0.3），实际为：{item}")
        out[key.strip()] = value
    return out


def _bound(value: Any, cutoff_year: int) -> Any:
    if isinstance(value, str):
        match = _CUTOFF_RE.match(value.replace(" ", ""))
        if match:
            n = int(match[2])
            return cutoff_year + n if match[1] == "+" else cutoff_year - n
        if value == "cutoff_year":
            return cutoff_year
    return value


def _holds(cond: dict[str, Any], row: dict[str, Any], cutoff_year: int, thresholds: dict[str, Any]) -> bool:
    op = cond["op"]
    if "ratio" in cond:
        num, den = (row.get(n) for n in cond["ratio"])
        if not isinstance(num, (int, float)) or not isinstance(den, (int, float)) or den == 0:
            return False
        value: Any = num / den
    else:
        value = row.get(cond["field"])
    if op == "blank":
        return value is None
    if op == "filled":
        return value is not None
    if value is None:
        return False  # no data: a check cannot fire on what is unknown
    if "threshold" in cond:
        entry = thresholds[cond["threshold"]]
        target = cutoff_year - int(entry["value"]) if entry.get("years_before_cutoff") else entry["value"]
    else:
        target = _bound(cond.get("value"), cutoff_year)
    try:
        if op == "eq":
            return value == target
        if op == "ne":
            return value != target
        if op == "in":
            return value in target
        if op == "lt":
            return value < target
        if op == "le":
            return value <= target
        if op == "gt":
            return value > target
        return value >= target
    except TypeError:  # text against a number: the check does not apply
        return False


def zombie_candidates(
    datasets: list[SurveyData],
    *,
    usage: dict[tuple[str, str], dict[str, Any]] | None = None,
    config: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Service: every surveyed system for which at least one check fires, with the criteria and reasons."""
    config = config or load_screening_config()
    named = config.get("thresholds") or {}
    shown = _shown(named)
    usage = usage or {}
    out = []
    for data in datasets:
        cutoff_year = data.form.cutoff.year
        for sys_row in data.counted("systems"):
            key = (sys_row.get("部门全称"), sys_row.get("信息系统名称"))
            row = dict(sys_row)
            for k, v in (usage.get(key) or {}).items():  # type: ignore[arg-type]
                if not k.startswith("_") and row.get(k) is None:  # survey answers win over usage figures
                    row[k] = v
            fired_criteria, reasons = [], []
            for criterion in config["criteria"]:
                exempt = criterion.get("except")
                if exempt and all(_holds(c, row, cutoff_year, named) for c in exempt):
                    continue  # “有特殊规定的除外”
                for check in criterion.get("checks") or []:
                    if all(_holds(c, row, cutoff_year, named) for c in check.get("all") or []):
                        if criterion["id"] not in fired_criteria:
                            fired_criteria.append(criterion["id"])
                        reasons.append(f"（{criterion['id']}）{str(check['reason']).format_map(shown)}")
            if reasons:
                out.append(
                    {
                        "部门全称": key[0],
                        "信息系统名称": key[1],
                        "系统状态": sys_row.get("系统状态"),
                        "符合条件": fired_criteria,
                        "原因": reasons,
                        "文件": data.file,
                    }
                )
    return out


# ---------------------------------------------------------------- 重复建设
_GENERIC = re.compile(r"系统|平台|管理|信息|综合|服务|软件|建设|项目|工程|[()（）\s\-—_·]")


def _grams(text: str | None, n: int = 2) -> frozenset[str]:
    core = _GENERIC.sub("", nfkc(text or ""))
    if len(core) < n:
        return frozenset([core]) if core else frozenset()
    return frozenset(core[i : i + n] for i in range(len(core) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def duplicate_hints(
    datasets: list[SurveyData], *, threshold: float = 0.6, max_bucket: int = 500
) -> list[dict[str, Any]]:
    """Service: pairs of systems of different units whose names or main functions are near-identical
    (character-bigram Jaccard ≥ threshold, after dropping generic words such as 系统、平台、管理).

    Candidate pairs come from an inverted index of bigrams; bigrams shared by more than ``max_bucket`` systems
    are too common to suggest anything and are not used for pairing, which keeps 20,000 systems tractable.
    """
    systems = []
    for data in datasets:
        for r in data.counted("systems"):
            systems.append(
                (
                    r.get("部门全称"),
                    r.get("信息系统名称"),
                    _grams(r.get("信息系统名称")),
                    _grams(r.get("主要功能")),
                )
            )
    index: dict[str, list[int]] = {}
    for i, (_, _, name_g, func_g) in enumerate(systems):
        for g in name_g | func_g:
            index.setdefault(g, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in index.values():
        if len(members) > max_bucket:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pairs.add((members[x], members[y]))
    out = []
    for i, j in sorted(pairs):
        a, b = systems[i], systems[j]
        if a[0] == b[0]:
            continue  # same unit: not duplicate spending between units
        name_sim, func_sim = jaccard(a[2], b[2]), jaccard(a[3], b[3])
        if max(name_sim, func_sim) < threshold:
            continue
        basis = []
        if name_sim >= threshold:
            basis.append(f"名称相似度 {name_sim:.2f}")
        if func_sim >= threshold:
            basis.append(f"主要功能相似度 {func_sim:.2f}")
        out.append(
            {
                "单位甲": a[0],
                "系统甲": a[1],
                "单位乙": b[0],
                "系统乙": b[1],
                "名称相似度": round(name_sim, 2),
                "功能相似度": round(func_sim, 2),
                "依据": "，".join(basis),
            }
        )
    out.sort(key=lambda r: -max(float(r["名称相似度"] or 0), float(r["功能相似度"] or 0)))
    return out


def write_rows(
    rows: list[dict[str, Any]],
    path: str | Path,
    title: str,
    *,
    extra: dict[str, list[dict[str, Any]]] | None = None,
) -> Path:
    """Write screening results to an .xlsx (lists joined with “；”); ``extra`` adds sheets (e.g. 筛查阈值)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for sheet_rows in [rows, *(extra or {}).values()]:
        if ws is None:
            ws = wb.create_sheet()
        headers = list(sheet_rows[0].keys()) if sheet_rows else ["结果"]
        ws.append(headers)
        for r in sheet_rows:
            ws.append(["；".join(map(str, v)) if isinstance(v, list) else v for v in r.values()])
        ws.freeze_panes = "A2"
        ws = None
    for sheet, name in zip(wb.worksheets[1:], extra or {}, strict=True):
        sheet.title = name
    path = Path(path)
    save_workbook(wb, path)  # system names from units' workbooks stay text; atomicity is the caller's
    return path

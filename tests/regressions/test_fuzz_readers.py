"""Fuzzing every reader (issue 15): YAML files of every kind, JSON handed back to combine and inspect-inputs,
CSV and XLSX units/inputs, indicator tables, survey workbooks, questionnaire definitions and the expression
language. Each reader is driven by mutations of a valid seed (the built-in file, or a small valid one), so
the cases reach past the first check.

Each property runs twice: `test_…` with a small fixed-seed set in every test run, `test_…_fuzz` (marker
`fuzz`, run by scripts/fuzz.sh) with the large random one. See fuzzkit.outcome for what a case must do.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml
from fuzzkit import QUICK, WORDS, damage_text, keys_of, many, mutate, outcome, pair
from hypothesis import strategies as st
from openpyxl import Workbook

from govassess.cli import main
from govassess.data import read_inputs, read_units
from govassess.forms.model import load_form
from govassess.forms.screening import load_screening_config
from govassess.forms.survey import survey_validate
from govassess.indicators import load_system
from govassess.indicators.excel import read_system_table
from govassess.inspection.inputs import load_map as load_inspection_map
from govassess.inspection.rules import load_rules
from govassess.metrics.calendar import load_calendar
from govassess.metrics.definitions import load_definitions
from govassess.metrics.infowork import load_info_rules
from govassess.metrics.output import load_map as load_metric_map
from govassess.questionnaire.definition import load_form as load_questionnaire

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "govassess"
MINI = ROOT / "tests" / "web" / "fixtures" / "web-mini.yaml"
DEFS = load_definitions()


def _seed(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- every YAML reader, on mutations of its own built-in file --------------------------------------------

YAML_READERS: dict[str, tuple[Path, Any]] = {
    "yaml-system": (MINI, load_system),
    "yaml-form": (SRC / "forms/definitions/info-system-survey.yaml", load_form),
    "yaml-screening": (SRC / "forms/screening.yaml", load_screening_config),
    "yaml-inspection-map": (SRC / "inspection/maps/gov-website-check-2019.yaml", load_inspection_map),
    "yaml-inspection-rules": (SRC / "inspection/rules.yaml", load_rules),
    "yaml-calendar": (SRC / "metrics/calendar_cn.yaml", load_calendar),
    "yaml-metric-definitions": (SRC / "metrics/definitions.yaml", load_definitions),
    "yaml-info-rules": (SRC / "metrics/infowork.yaml", load_info_rules),
    "yaml-metric-map": (SRC / "metrics/maps/yangjiang-2021-county.yaml", lambda p: load_metric_map(p, DEFS)),
    "yaml-questionnaire": (SRC / "questionnaire/builtin/satisfaction.yaml", load_questionnaire),
}
SEEDS = {name: _seed(path) for name, (path, _) in YAML_READERS.items()}
VOCAB = {name: keys_of(doc) for name, doc in SEEDS.items()}


def _yaml_body(name: str):
    def body(data: Any) -> None:
        doc = mutate(data, SEEDS[name], VOCAB[name])
        text = damage_text(data, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        encoding = data.draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "gbk"]), label="encoding")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fuzz.yaml"
            path.write_bytes(text.encode(encoding, errors="replace"))
            outcome(name, lambda: YAML_READERS[name][1](path))
    return body


test_yaml_system, test_yaml_system_fuzz = pair(_yaml_body("yaml-system"), QUICK, many(1500))
test_yaml_form, test_yaml_form_fuzz = pair(_yaml_body("yaml-form"), QUICK, many(600))
test_yaml_screening, test_yaml_screening_fuzz = pair(_yaml_body("yaml-screening"), QUICK, many(600))
test_yaml_inspection_map, test_yaml_inspection_map_fuzz = pair(_yaml_body("yaml-inspection-map"), QUICK, many(500))
test_yaml_inspection_rules, test_yaml_inspection_rules_fuzz = pair(
    _yaml_body("yaml-inspection-rules"), QUICK, many(600))
test_yaml_calendar, test_yaml_calendar_fuzz = pair(_yaml_body("yaml-calendar"), QUICK, many(600))
test_yaml_metric_definitions, test_yaml_metric_definitions_fuzz = pair(
    _yaml_body("yaml-metric-definitions"), QUICK, many(400))
test_yaml_info_rules, test_yaml_info_rules_fuzz = pair(_yaml_body("yaml-info-rules"), QUICK, many(600))
test_yaml_metric_map, test_yaml_metric_map_fuzz = pair(_yaml_body("yaml-metric-map"), QUICK, many(600))
test_yaml_questionnaire, test_yaml_questionnaire_fuzz = pair(_yaml_body("yaml-questionnaire"), QUICK, many(600))


# --- the CLI end to end: exit 0 with its outputs, or exit 2 with a Chinese message and nothing written ----

def cli(reader: str, argv: list[str], folder: Path, outputs: list[str]) -> int:
    """Run `govassess argv` in-process with GOVASSESS_DEBUG set, so an unexpected exception propagates."""
    before = {p.name for p in folder.iterdir()}
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("GOVASSESS_DEBUG")
    os.environ["GOVASSESS_DEBUG"] = "1"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = outcome(reader, lambda: main(argv))
    finally:
        if old is None:
            del os.environ["GOVASSESS_DEBUG"]
        else:
            os.environ["GOVASSESS_DEBUG"] = old
    text = err.getvalue()
    assert code in (0, 2), (code, text)
    if code == 2:
        assert "错误：" in text and "Traceback" not in text, text
        assert {p.name for p in folder.iterdir()} == before, f"{reader}: files written on failure: {text}"
    else:
        for name in outputs:
            assert (folder / name).exists(), name
    return code


# --- JSON handed to combine ------------------------------------------------------------------------------

RESULT = {
    "system": {"id": "s", "name": "体系", "total": 100, "scale": 100, "precision": 2,
               "grades": [{"name": "优秀", "min": 90}, {"name": "合格", "min": 0}]},
    "round": "下半年",
    "units": [{"unit": "A", "name": "甲", "class": "市级部门", "score": 80.0, "rank": 1},
              {"unit": "B", "name": "乙", "class": "市级部门", "score": 70.5, "rank": 2}],
    "notices": ["说明"],
}


def _combine(data: Any) -> None:
    doc = mutate(data, RESULT, keys_of(RESULT))
    first = {**RESULT, "round": "上半年"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "h1.json").write_text(json.dumps(first), encoding="utf-8")
        text = damage_text(data, json.dumps(doc, ensure_ascii=False, default=str))
        (folder / "h2.json").write_text(text, encoding="utf-8")
        argv = ["combine", str(folder / "h1.json"), str(folder / "h2.json"), "--weights", "0.4,0.6",
                "--out", str(folder / "y.json")]
        cli("json-combine", argv, folder, ["y.json"])


test_json_combine, test_json_combine_fuzz = pair(_combine, QUICK, many(1200))


# --- JSON handed to inspect-inputs -----------------------------------------------------------------------

CHECKS = ["站点无法访问", "首页不更新", "栏目不更新", "应更新但长期未更新栏目", "空白栏目", "首页链接可用性",
          "其他页面链接可用性", "搜索功能", "站点地图", "社交媒体分享"]
REPORT = {
    "site": "http://127.0.0.1/", "as_of": "2021-06-30", "verdict": "合格",
    "checks": [{"check": c, "kind": "item", "result": "pass", "value": 0, "points": None, "criteria": "",
                "evidence": [{"url": "http://127.0.0.1/a", "status": 404}]} for c in CHECKS],
    "sample": {"pages": ["http://127.0.0.1/p"], "without_source": [], "seed": 7},
    "columns": [{"url": "http://127.0.0.1/c", "name": "要闻", "last_updated": None, "stale": True}],
}


def _inspect(data: Any) -> None:
    doc = mutate(data, REPORT, keys_of(REPORT) + ["value", "result", "evidence"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = damage_text(data, json.dumps(doc, ensure_ascii=False, default=str))
        (folder / "report.json").write_text(text, encoding="utf-8")
        argv = ["inspect-inputs", str(folder / "report.json"), "--unit", "A", "--out", str(folder / "i.csv")]
        cli("json-inspect", argv, folder, ["i.csv"])


test_json_inspect, test_json_inspect_fuzz = pair(_inspect, QUICK, many(1200))


# --- CSV and XLSX units and inputs, scored on the web-mini system ----------------------------------------

UNITS = [["unit", "name", "class"], ["U1", "甲", "市级部门"], ["U2", "乙", "市级部门"]]
INPUTS = [["unit", "indicator", "input", "value", "note"],
          ["U1", "1", "网上办理率", "85%", ""], ["U1", "2", "接入方式", "是", ""],
          ["U1", "3", "挂接目录数", "8", ""], ["U1", "3", "目录总数", "10", ""],
          ["U1", "5", "获奖次数", "1", "省级"], ["U2", "1", "网上办理率", "0.5", ""]]
CELL = st.one_of(st.sampled_from(WORDS), st.text(max_size=8),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str))


def _table(data: Any, rows: list[list[str]]) -> list[list[Any]]:
    table = [list(r) for r in rows]
    for _ in range(data.draw(st.integers(0, 4), label="cells")):
        r = data.draw(st.integers(0, len(table) - 1), label="row")
        kind = data.draw(st.sampled_from(["cell", "cell", "cell", "drop-row", "add-row", "drop-col", "extra"]))
        if kind == "cell" and table[r]:
            table[r][data.draw(st.integers(0, len(table[r]) - 1))] = data.draw(CELL, label="value")
        elif kind == "drop-row" and len(table) > 1:
            del table[r]
        elif kind == "add-row":
            table.append(data.draw(st.lists(CELL, max_size=6), label="new row"))
        elif kind == "drop-col":
            c = data.draw(st.integers(0, 4))
            for row in table:
                if c < len(row):
                    del row[c]
        else:
            table[r].append(data.draw(CELL))
    return table


def _write_csv(data: Any, path: Path, table: list[list[Any]]) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows(table)
    text = damage_text(data, buf.getvalue())
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]), label="csv encoding")
    path.write_bytes(text.encode(encoding, errors="replace"))


def _write_xlsx(data: Any, path: Path, table: list[list[Any]]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = data.draw(st.sampled_from(["Sheet1", "单位", "填报数据", "说明"]), label="sheet")
    for row in table:
        ws.append([_cell(v) for v in row])
    if data.draw(st.booleans(), label="merge"):
        ws.merge_cells("A2:B3")
    wb.save(path)
    if data.draw(st.integers(0, 4), label="zip damage") == 0:
        _damage_zip(data, path)


def _cell(v: Any) -> Any:
    # openpyxl refuses control characters and turns "=…" into formulas, which is what a filler types too.
    if isinstance(v, str):
        v = "".join(ch for ch in v if ch >= " " or ch in "\t\n")
        if v in ("nan", "inf", "-inf"):
            return float(v) if v != "nan" else v
    return v


def _damage_zip(data: Any, path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    name = data.draw(st.sampled_from(sorted(parts)), label="part")
    raw = parts[name]
    i = data.draw(st.integers(0, max(0, len(raw) - 1)), label="byte")
    how = data.draw(st.sampled_from(["cut", "flip", "drop"]), label="how")
    if how == "cut":
        parts[name] = raw[:i]
    elif how == "flip" and raw:
        parts[name] = raw[:i] + bytes([raw[i] ^ 0x5A]) + raw[i + 1:]
    else:
        del parts[name]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, content in parts.items():
            z.writestr(part, content)


def _score_files(data: Any, ext: str) -> None:
    units, inputs = _table(data, UNITS), _table(data, INPUTS)
    write = _write_csv if ext == "csv" else _write_xlsx
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(data, folder / f"units.{ext}", units)
        write(data, folder / f"inputs.{ext}", inputs)
        argv = ["score", str(MINI), "--units", str(folder / f"units.{ext}"), "--inputs", str(folder / f"inputs.{ext}"),
                "--out", str(folder / "r.json")]
        cli(f"{ext}-units-inputs", argv, folder, ["r.json"])


test_csv_units_inputs, test_csv_units_inputs_fuzz = pair(lambda d: _score_files(d, "csv"), QUICK, many(1000))
test_xlsx_units_inputs, test_xlsx_units_inputs_fuzz = pair(lambda d: _score_files(d, "xlsx"), QUICK, many(500))


def _readers_direct(data: Any) -> None:
    """read_units / read_inputs called directly on a damaged workbook (the web imports call these)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_xlsx(data, folder / "u.xlsx", _table(data, UNITS))
        units = outcome("xlsx-read-units", lambda: read_units(folder / "u.xlsx"))
        if units is not None:
            _write_xlsx(data, folder / "i.xlsx", _table(data, INPUTS))
            system = load_system(MINI)
            outcome("xlsx-read-inputs", lambda: read_inputs(folder / "i.xlsx", system, units))


test_xlsx_readers, test_xlsx_readers_fuzz = pair(_readers_direct, QUICK, many(400))


# --- indicator tables (import-system) and survey workbooks -----------------------------------------------

TABLE = [["一级指标", "二级指标", "三级指标", "分值", "评分标准", "数据来源"],
         ["服务能力", "网上办理", "网上办理率", "10", "网上办理率×10", "自报"],
         ["服务能力", "网上办理", "接入方式", "5", "接入得5分，未接入0分", "自报"],
         ["数据共享", "目录挂接", "挂接率", "15", "挂接目录数/目录总数×15", "部门提供"]]


def _system_table(data: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_xlsx(data, folder / "t.xlsx", _table(data, TABLE))
        outcome("xlsx-system-table", lambda: read_system_table(folder / "t.xlsx"))


test_xlsx_system_table, test_xlsx_system_table_fuzz = pair(_system_table, QUICK, many(500))

FORM = load_form()


def _survey(data: Any) -> None:
    from survey_helpers import system_row, unit_row

    units = [unit_row()]
    systems = [system_row(), system_row(name="门户网站")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.xlsx"
        wb = Workbook()
        wb.remove(wb.active)
        for sheet in FORM.sheets:
            ws = wb.create_sheet(sheet.name)
            rows = [[f.header for f in sheet.fields]]
            rows += [[r.get(f.name) for f in sheet.fields] for r in {"units": units, "systems": systems}.get(sheet.id, [])]
            for row in _table(data, rows) if sheet.id in ("units", "systems") else rows:
                ws.append([_cell(v) for v in row])
        wb.save(path)
        if data.draw(st.integers(0, 5), label="zip damage") == 0:
            _damage_zip(data, path)
        outcome("xlsx-survey", lambda: survey_validate(path, form=FORM))


test_xlsx_survey, test_xlsx_survey_fuzz = pair(_survey, QUICK, many(400))


# --- the expression language, through a system's formula, condition and veto -----------------------------

TOKENS = ["a", "b", "[网上 办理率]", "class", "1", "0", "2.5", "85%", "1e308", "1e-320", '"文字"', "“是”", "TRUE",
          "+", "-", "*", "/", "^", "×", "÷", "=", "<>", "<", ">=", "AND", "OR", "NOT", "(", ")", "（", "）", ",",
          "IF(", "MIN(", "MAX(", "ROUND(", "ABS(", "AND(", "OR(", "NOT(", "SUM(", "[", "]", "'", "!", "@"]
ATOM = st.sampled_from(["a", "b", "class", "1", "0", "2.5", "85%", "1e308", "1e-320", "100000", '"文字"', "TRUE",
                        "FALSE", "[a]"])
GRAMMAR = st.recursive(
    ATOM,
    lambda e: st.one_of(
        st.tuples(e, st.sampled_from(["+", "-", "*", "/", "^", "=", "<>", "<", ">=", "AND", "OR"]), e).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"),
        e.map(lambda x: f"({x})"),
        e.map(lambda x: f"-{x}"),
        e.map(lambda x: f"NOT {x}"),
        st.tuples(st.sampled_from(["MIN", "MAX", "AND", "OR"]), st.lists(e, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(e, e, e).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(e, st.integers(-2, 20)).map(lambda t: f"ROUND({t[0]}, {t[1]})"),
        e.map(lambda x: f"ABS({x})"),
    ),
    max_leaves=10,
)
# Half well-formed (to reach compilation and scoring), half token soup (to exercise the parser's errors).
EXPR = st.one_of(GRAMMAR, st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map(" ".join))


def _expression(data: Any) -> None:
    from govassess.data import inputs_from_rows, units_from_rows
    from govassess.indicators import system_from_dict
    from govassess.scoring import score_round

    formula, condition = data.draw(EXPR, label="formula"), data.draw(EXPR, label="condition")
    leaf = {"code": "L", "name": "叶子", "points": 10, "rule": {"type": "formula", "expr": formula, "inputs": ["a", "b"]}}
    if data.draw(st.booleans(), label="applies"):
        leaf["applies"] = condition
    doc = {"id": "t", "name": "测试", "total": 10, "indicators": [{"code": "G", "name": "全部", "children": [leaf]}]}
    if data.draw(st.booleans(), label="veto"):
        doc["veto"] = data.draw(EXPR, label="veto expr")
    system = outcome("expr-system", lambda: system_from_dict(doc, file="fuzz.yaml"))
    if system is None:
        return
    values_ = data.draw(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=32).map(str),
                                            st.sampled_from(["85%", "是", "0", "-1", "1e15"])), min_size=2, max_size=2))
    units = units_from_rows([{"unit": "U1", "name": "甲", "class": "市级部门"}])
    rows = [{"unit": "U1", "indicator": "L", "input": n, "value": v} for n, v in zip(["a", "b"], values_)]
    inputs = outcome("expr-inputs", lambda: inputs_from_rows(system, units, rows))
    if inputs is not None:
        outcome("expr-score", lambda: score_round(system, units, inputs).to_dict())


test_expression, test_expression_fuzz = pair(_expression, QUICK, many(2000))


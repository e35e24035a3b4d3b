"""Issue 15: each class of hostile or damaged input that once ended in "内部错误" or never finished, run through
the real `govassess` command in a process of its own (so a hang is a test failure, not a stuck suite).

Every case must exit 2 with a Chinese message naming the place (file, and line, sheet, indicator or option
where there is one), print no traceback and no "内部错误", leave the working folder as it was (no output, no
partial file) and finish within the time bound. The crafted inputs are in files/ (binary ones made by
files/make_files.py).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parent / "files"
# A refused input takes well under a second past start-up; a hang (the issue saw 4) hits this bound.
TIMEOUT = 60
# A record folder for `metrics compute`: one unit and one case, enough for the period and map checks.
RECORDS = {
    "units.csv": "unit,name,class\nA,单位甲,县区\n",
    "cases.csv": "case_id,unit,item_code,item_type,channel,accepted_at,finished_at\n"
    "c1,A,I1,行政许可,网上,2021-03-01 09:00:00,2021-03-02 09:00:00\n",
}
COMPUTE = ["metrics", "compute", "--records", "records", "--out", "out.csv"]
PERIOD = ["--from", "2021-01-01", "--to", "2021-06-30"]
# The inspect cases are refused before any request: the address is a closed local port all the same.
SITE = "http://127.0.0.1:9/"


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    files: tuple[str, ...]  # copied from files/ into the working folder
    needles: tuple[str, ...]  # each must appear in the message


def case(id: str, argv: list[str], files: list[str], *needles: str) -> Case:
    return Case(id, tuple(argv), tuple(files), tuple(needles))


UNITS_INPUTS = ["units.csv", "inputs.csv"]
SCORE = ["--units", "units.csv", "--inputs", "inputs.csv", "--out", "r.json"]

CASES = [
    # --- YAML resource attacks ---------------------------------------------------------------------------
    case("yaml-laughs-system", ["check-system", "system-laughs.yaml"], ["system-laughs.yaml"],
         "system-laughs.yaml", "超过 200000 个节点", "GOVASSESS_YAML_MAX_NODES"),
    case("yaml-cycle-system", ["check-system", "system-cycle.yaml"], ["system-cycle.yaml"],
         "system-cycle.yaml", "第 4 行", "形成循环"),
    case("yaml-laughs-form", ["survey", "template", "form-laughs.yaml", "--out", "t.xlsx"], ["form-laughs.yaml"],
         "form-laughs.yaml", "超过 200000 个节点"),
    case("yaml-cycle-form", ["survey", "template", "form-cycle.yaml", "--out", "t.xlsx"], ["form-cycle.yaml"],
         "form-cycle.yaml", "第 4 行", "形成循环"),
    # --- formulas at the edge of the expression language ------------------------------------------------
    case("formula-terms", ["score", "formula-terms.yaml", *SCORE], ["formula-terms.yaml", *UNITS_INPUTS],
         "formula-terms.yaml", "指标 1", "rule.expr", "公式过长", "GOVASSESS_EXPR_MAX_TOKENS"),
    case("formula-parens", ["score", "formula-parens.yaml", *SCORE], ["formula-parens.yaml", *UNITS_INPUTS],
         "formula-parens.yaml", "指标 1", "rule.expr", "公式过长", "不予计算"),
    case("formula-nested", ["score", "formula-nested.yaml", *SCORE], ["formula-nested.yaml", *UNITS_INPUTS],
         "formula-nested.yaml", "指标 1", "rule.expr", "嵌套超过 40 层", "GOVASSESS_EXPR_MAX_DEPTH"),
    case("formula-round-digits", ["score", "formula-round.yaml", *SCORE], ["formula-round.yaml", *UNITS_INPUTS],
         "formula-round.yaml", "指标 1", "ROUND", "400"),
    case("formula-text", ["score", "formula-text.yaml", *SCORE], ["formula-text.yaml", *UNITS_INPUTS],
         "formula-text.yaml", "指标 1", "文字", "应为数字"),
    # --- damaged workbooks -------------------------------------------------------------------------------
    case("xlsx-junk-system-import", ["import-system", "junk.xlsx", "--out", "s.yaml"], ["junk.xlsx"],
         "junk.xlsx", "无法读取工作簿"),
    case("xlsx-broken-sheet-system-import", ["import-system", "system-broken-sheet.xlsx", "--out", "s.yaml"],
         ["system-broken-sheet.xlsx"], "system-broken-sheet.xlsx", "损坏"),
    case("xlsx-junk-units", ["template", "yangjiang-2021-county", "--units", "junk.xlsx", "--out", "t.xlsx"],
         ["junk.xlsx"], "junk.xlsx", "无法读取工作簿"),
    case("xlsx-broken-sheet-units",
         ["template", "yangjiang-2021-county", "--units", "units-broken-sheet.xlsx", "--out", "t.xlsx"],
         ["units-broken-sheet.xlsx"], "units-broken-sheet.xlsx", "损坏"),
    case("xlsx-junk-filled-template",
         ["score", "formula-ok.yaml", "--units", "units.csv", "--inputs", "junk.xlsx", "--out", "r.json"],
         ["formula-ok.yaml", "units.csv", "junk.xlsx"], "junk.xlsx", "无法读取工作簿"),
    case("xlsx-broken-sheet-filled-template",
         ["score", "formula-ok.yaml", "--units", "units.csv", "--inputs", "inputs-broken-sheet.xlsx",
          "--out", "r.json"],
         ["formula-ok.yaml", "units.csv", "inputs-broken-sheet.xlsx"], "inputs-broken-sheet.xlsx", "损坏"),
    case("xlsx-merged-to-xfd200000",
         ["template", "yangjiang-2021-county", "--units", "units-merged-xfd.xlsx", "--out", "t.xlsx"],
         ["units-merged-xfd.xlsx"], "units-merged-xfd.xlsx", "工作表「单位」", "A3:XFD200000",
         "GOVASSESS_XLSX_MAX_MERGED"),
    case("xlsx-used-area-to-xfd200000",
         ["score", "formula-ok.yaml", "--units", "units.csv", "--inputs", "inputs-far-cell.xlsx",
          "--out", "r.json"],
         ["formula-ok.yaml", "units.csv", "inputs-far-cell.xlsx"], "inputs-far-cell.xlsx", "XFD 列、第 200000 行",
         "GOVASSESS_XLSX_MAX_CELLS"),
    # --- hand-edited or wrong-typed JSON -----------------------------------------------------------------
    case("json-combine-score-text",
         ["combine", "combine-ok.json", "combine-score-text.json", "--weights", "0.5,0.5", "--out", "y.json"],
         ["combine-ok.json", "combine-score-text.json"], "combine-score-text.json", "units[1].score", "应为数字",
         "八十"),
    case("json-combine-units-string",
         ["combine", "combine-ok.json", "combine-units-string.json", "--weights", "0.5,0.5", "--out", "y.json"],
         ["combine-ok.json", "combine-units-string.json"], "combine-units-string.json", "units", "应为列表"),
    case("json-combine-unit-number",
         ["combine", "combine-ok.json", "combine-unit-number.json", "--weights", "0.5,0.5", "--out", "y.json"],
         ["combine-ok.json", "combine-unit-number.json"], "combine-unit-number.json", "units[1]", "应为对象"),
    case("json-inspect-value-text",
         ["inspect-inputs", "report-value-text.json", "--unit", "A", "--map", "inspection-map-one.yaml",
          "--out", "i.csv"],
         ["report-value-text.json", "inspection-map-one.yaml"], "report-value-text.json", "checks[1].value",
         "百分之五"),
    case("json-inspect-report-string",
         ["inspect-inputs", "report-string.json", "--unit", "A", "--out", "i.csv"], ["report-string.json"],
         "report-string.json", "应为对象", "实际是文字"),
    case("json-inspect-checks-number",
         ["inspect-inputs", "report-checks-number.json", "--unit", "A", "--out", "i.csv"],
         ["report-checks-number.json"], "report-checks-number.json", "checks", "应为列表", "实际是数字"),
    # --- encodings, shapes and types in YAML configuration -----------------------------------------------
    case("gbk-metrics-map", [*COMPUTE, *PERIOD, "--map", "metrics-map-gbk.yaml"], ["metrics-map-gbk.yaml"],
         "metrics-map-gbk.yaml", "第 2 行", "GBK", "另存为 UTF-8"),
    case("gbk-inspection-map",
         ["inspect-inputs", "report-ok.json", "--unit", "A", "--map", "inspection-map-gbk.yaml", "--out", "i.csv"],
         ["report-ok.json", "inspection-map-gbk.yaml"], "inspection-map-gbk.yaml", "第 2 行", "GBK"),
    case("gbk-inspection-rules", ["inspect", SITE, "--rules", "inspection-rules-gbk.yaml", "--out", "r.json"],
         ["inspection-rules-gbk.yaml"], "inspection-rules-gbk.yaml", "第 2 行", "GBK"),
    case("gbk-zombie-config", ["survey", "zombies", "survey-ok.xlsx", "--config", "zombie-config-gbk.yaml",
                               "--out", "z.xlsx"],
         ["survey-ok.xlsx", "zombie-config-gbk.yaml"], "zombie-config-gbk.yaml", "第 2 行", "GBK"),
    case("yaml-list-for-mapping", ["check-system", "system-list.yaml"], ["system-list.yaml"],
         "system-list.yaml", "应为映射", "实际是列表"),
    case("calendar-wrong-types", [*COMPUTE, *PERIOD, "--calendar", "calendar-wrong-types.yaml"],
         ["calendar-wrong-types.yaml"], "calendar-wrong-types.yaml", "years.2021.holidays", "应为日期列表",
         "二月七日"),
    case("form-invalid-regex", ["survey", "template", "form-bad-regex.yaml", "--out", "t.xlsx"],
         ["form-bad-regex.yaml"], "form-bad-regex.yaml", "工作表「单位」", "字段 地址", "正则表达式"),
    case("form-catastrophic-regex", ["survey", "template", "form-catastrophic-regex.yaml", "--out", "t.xlsx"],
         ["form-catastrophic-regex.yaml"], "form-catastrophic-regex.yaml", "工作表「单位」", "字段 地址",
         "不能在重复的内容里再套重复"),
    # --- numbers and dates at the edge -------------------------------------------------------------------
    case("money-1e307", ["survey", "import", "survey-money-1e307.xlsx", "--out", "csv"],
         ["survey-money-1e307.xlsx"], "survey-money-1e307.xlsx", "政务信息系统基本情况表", "第 2 行",
         "项目预算批复总金额"),
    case("period-year-1", [*COMPUTE, "--from", "0001-01-01", "--to", "0001-12-31"], [],
         "--from", "0001-01-01", "1900"),
    case("period-year-9999", [*COMPUTE, "--from", "9999-01-01", "--to", "9999-12-31"], [],
         "--from", "9999-01-01", "2100"),
    # --- found by the fuzz job (test_fuzz_readers.py) --------------------------------------------------------
    case("fuzz-metric-map-inputs-number", [*COMPUTE, *PERIOD, "--map", "fuzz-metric-map-inputs-number.yaml"],
         ["fuzz-metric-map-inputs-number.yaml"], "fuzz-metric-map-inputs-number.yaml", "inputs", "应为列表"),
    case("fuzz-form-summary-sheet", ["survey", "template", "fuzz-form-summary-sheet.yaml", "--out", "t.xlsx"],
         ["fuzz-form-summary-sheet.yaml"], "fuzz-form-summary-sheet.yaml", "汇总"),
    case("fuzz-form-rule-when-date", ["survey", "template", "fuzz-form-rule-when-date.yaml", "--out", "t.xlsx"],
         ["fuzz-form-rule-when-date.yaml"], "fuzz-form-rule-when-date.yaml", "工作表「单位」", "when 应为映射"),
    case("fuzz-screening-check-list", ["survey", "zombies", "survey-ok.xlsx", "--config", "fuzz-screening-check-list.yaml"],
         ["survey-ok.xlsx", "fuzz-screening-check-list.yaml"], "fuzz-screening-check-list.yaml",
         "criteria[1].checks[1]", "应为对象"),
    case("fuzz-rules-max-age", ["inspect", SITE, "--rules", "fuzz-rules-max-age.yaml", "--out", "r.json"],
         ["fuzz-rules-max-age.yaml"], "fuzz-rules-max-age.yaml", "column_types[1].max_age.months", "不能大于"),
    case("fuzz-formula-text-condition", ["score", "fuzz-formula-text-condition.yaml", *SCORE],
         ["fuzz-formula-text-condition.yaml", *UNITS_INPUTS], "fuzz-formula-text-condition.yaml", "指标 1",
         "文字不能直接作为条件"),
    case("fuzz-yaml-nul", ["check-system", "fuzz-yaml-nul.yaml"], ["fuzz-yaml-nul.yaml"], "fuzz-yaml-nul.yaml",
         "第 2 行", "控制字符"),
    # --- inspection parameters ---------------------------------------------------------------------------
    case("inspect-host-with-space", ["inspect", SITE, "--host", "www.example .gov.cn", "--out", "r.json"], [],
         "--host", "www.example .gov.cn", "主机名"),
    case("inspect-delay-inf", ["inspect", SITE, "--delay", "inf", "--out", "r.json"], [],
         "--delay", "有限的数字"),
]


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def _child(workdir: Path, argv: tuple[str, ...], out: Path, err: Path) -> None:
    """The forked process: the command's main() with its own working folder, TMPDIR and stdout/stderr files
    (the fds themselves, so anything a library writes to them is caught too)."""
    import io
    import tempfile

    from govassess.cli import main

    os.chdir(workdir)
    os.environ["TMPDIR"] = str(workdir.parent / "tmp")
    os.environ.pop("GOVASSESS_DEBUG", None)
    tempfile.tempdir = None  # the parent's cached temporary folder would be used otherwise
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
    code = 1
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # as the interpreter would: the traceback on stderr, exit 1 (the test then fails)
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# Children are forked from a fork server: a clean single-threaded process started once, with the commands'
# modules imported. Forking the test process itself would copy whatever thread pools earlier tests started
# (polars, DuckDB) in a state where the child can deadlock.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["govassess.cli", "govassess.metrics.cli", "govassess.inspection.cli",
                                 "govassess.forms.cli", "govassess.questionnaire.cli", "govassess.reports.cli",
                                 "govassess.methods.cli", "openpyxl", "polars", "duckdb"])


def run_cli(workdir: Path, argv: tuple[str, ...]) -> Finished:
    """The command in a child of the fork server: the same main() as `python -m govassess`, without starting
    an interpreter and importing every library 44 times (~1 s of CPU each). Killed at the time bound."""
    (workdir.parent / "tmp").mkdir(exist_ok=True)
    out, err = workdir.parent / "stdout.txt", workdir.parent / "stderr.txt"
    child = _CONTEXT.Process(target=_child, args=(workdir, argv, out, err))
    child.start()
    child.join(TIMEOUT)
    if child.is_alive():
        child.kill()
        child.join()
        raise TimeoutError
    return Finished(child.exitcode, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))


def test_every_case_has_its_own_id_and_files_exist():
    assert len({c.id for c in CASES}) == len(CASES) >= 32
    for c in CASES:
        for name in c.files:
            assert (FILES / name).is_file(), name


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_input_class_is_refused_with_a_located_message(tmp_path, c):
    work = tmp_path / "work"
    work.mkdir()
    for name in c.files:
        shutil.copy(FILES / name, work / name)
    if c.argv[:2] == ("metrics", "compute"):
        (work / "records").mkdir()
        for name, text in RECORDS.items():
            (work / "records" / name).write_text(text, encoding="utf-8")
    before = _listing(work)
    try:
        proc = run_cli(work, c.argv)
    except TimeoutError:
        pytest.fail(f"{c.id}: no answer within {TIMEOUT} s")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "内部错误" not in text and "Traceback" not in text, text
    assert "错误：" in proc.stderr, text
    for needle in c.needles:
        assert needle in proc.stderr, (needle, proc.stderr)
    # No Python exception names or PyYAML/json/jsonschema English leaking into the message.
    assert not re.search(r"\b[A-Z][a-z]+Error\b|\bexpected\b|\bnot of type\b|Expecting", proc.stderr), proc.stderr
    assert _listing(work) == before, "the command wrote or changed files"
    assert not list((tmp_path / "tmp").iterdir()), "an error report or temporary file was left behind"

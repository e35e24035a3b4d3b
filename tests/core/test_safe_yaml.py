"""Every YAML reader refuses resource attacks, foreign encodings and wrong shapes with a located Chinese message."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from govassess import safe_yaml
from govassess.cli import main
from govassess.errors import UserError
from govassess.forms.model import load_form
from govassess.forms.screening import load_screening_config
from govassess.indicators.loader import load_system
from govassess.inspection.inputs import load_map as load_inspection_map
from govassess.inspection.rules import load_rules
from govassess.metrics.calendar import load_calendar
from govassess.metrics.definitions import load_definitions
from govassess.metrics.infowork import load_info_rules
from govassess.metrics.output import load_map as load_metric_map


def laughs(levels: int = 9) -> str:
    """9 aliases per level: 9**levels nodes for whoever walks the expanded tree."""
    lines = ['x-a0: &a0 {code: "1", name: 甲, points: 1, rule: {type: manual}}']
    for i in range(1, levels + 1):
        lines.append(f"x-a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nid: x\nname: 乙\ntotal: 1\nindicators: *a{levels}\n"


READERS = {
    "system": lambda p: load_system(p),
    "form": lambda p: load_form(p),
    "screening": lambda p: load_screening_config(p),
    "inspection-map": lambda p: load_inspection_map(p),
    "inspection-rules": lambda p: load_rules(p),
    "calendar": lambda p: load_calendar(p),
    "metric-definitions": lambda p: load_definitions(p),
    "info-rules": lambda p: load_info_rules(p),
    "metric-map": lambda p: load_metric_map(p, load_definitions()),
}


def _refused(reader: str, path: Path, *needles: str) -> str:
    started = time.monotonic()
    with pytest.raises(UserError) as err:
        READERS[reader](path)
    # Generous bound: the point is "not minutes", the check itself takes milliseconds.
    assert time.monotonic() - started < 10
    text = str(err.value)
    assert err.value.problems[0].file is not None, text
    for n in needles:
        assert n in text, text
    assert "Traceback" not in text and "expected" not in text and "found" not in text, text
    return text


@pytest.mark.parametrize("reader", sorted(READERS))
def test_billion_laughs_is_refused_by_every_reader(tmp_path, reader):
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(), encoding="utf-8")
    _refused(reader, path, "laughs.yaml", "超过 200000 个节点", "GOVASSESS_YAML_MAX_NODES")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_alias_cycle_is_refused_by_every_reader(tmp_path, reader):
    path = tmp_path / "cycle.yaml"
    path.write_text("id: x\nname: 乙\ntotal: 1\nindicators: &r [*r]\n", encoding="utf-8")
    _refused(reader, path, "cycle.yaml", "第 4 行", "形成循环")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_gbk_file_is_named_as_gbk_with_its_line(tmp_path, reader):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("id: x\n# 说明\nname: 中文\n".encode("gbk"))
    _refused(reader, path, "gbk.yaml", "第 2 行", "GBK", "另存为 UTF-8")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_syntax_error_is_explained_in_chinese(tmp_path, reader):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nname: [未闭合\n", encoding="utf-8")
    _refused(reader, path, "broken.yaml", "YAML 格式错误")


def test_deep_nesting_is_refused_without_exhausting_the_stack(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("id: x\nname: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    _refused("system", path, "deep.yaml", "嵌套")
    with pytest.raises(UserError, match="嵌套超过 100 层"):
        safe_yaml.load_yaml("a: " + "[" * 150 + "]" * 150)


def test_ordinary_anchors_still_work_and_the_limit_is_configurable(monkeypatch):
    text = "band: &b {min: 0.9, points: 2}\nrules: [*b, *b]\n"
    assert safe_yaml.load_yaml(text) == {"band": {"min": 0.9, "points": 2}, "rules": [{"min": 0.9, "points": 2}] * 2}
    # Expanded: root mapping 1 + key "band" 1 + band mapping (1 + 2 keys + 2 values = 5) + key "rules" 1
    # + rules list (1 + 2 copies of the band's 5) 11 = 19 nodes.
    monkeypatch.setenv("GOVASSESS_YAML_MAX_NODES", "19")
    assert safe_yaml.load_yaml(text)["rules"][1]["points"] == 2
    monkeypatch.setenv("GOVASSESS_YAML_MAX_NODES", "18")
    with pytest.raises(UserError, match="超过 18 个节点"):
        safe_yaml.load_yaml(text)
    monkeypatch.setenv("GOVASSESS_YAML_MAX_NODES", "很多")
    with pytest.raises(UserError, match="GOVASSESS_YAML_MAX_NODES 应为正整数"):
        safe_yaml.load_yaml(text)


def test_a_list_where_a_mapping_belongs_is_named(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 甲\n- 乙\n", encoding="utf-8")
    _refused("metric-map", path, "list.yaml", "映射文件应为映射", "实际是列表")
    _refused("inspection-rules", path, "list.yaml", "检查规则文件应为映射")


def test_cli_refuses_laughs_quickly_with_exit_2(tmp_path, capsys):
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(), encoding="utf-8")
    out = tmp_path / "r.json"
    assert main(["check-system", str(path)]) == 2
    err = capsys.readouterr().err
    assert "laughs.yaml" in err and "超过 200000 个节点" in err and "Traceback" not in err
    assert not out.exists()

"""Issue 16: `combine` refuses what would add up to a number nobody should publish — each through the CLI with
exit 2, a Chinese message naming the files, and no output file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govassess.cli import main


def _result(round_name: str | None, scores: dict[str, float], *, system: str = "s", total: float = 100,
            scale: float = 100) -> dict:
    return {"system": {"id": system, "name": "体系", "total": total, "scale": scale, "precision": 2,
                       "grades": [{"name": "合格", "min": 0}]},
            "round": round_name,
            "units": [{"unit": u, "name": u, "class": "市级部门", "score": s} for u, s in scores.items()]}


@pytest.fixture
def write(tmp_path: Path):
    def put(name: str, data: dict) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return str(path)
    return put


def _combine(tmp_path, capsys, files: list[str], weights: str, *needles: str) -> None:
    out = tmp_path / "annual.json"
    code = main(["combine", *files, f"--weights={weights}", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err
    assert not out.exists()


def test_good_rounds_combine(tmp_path, capsys, write):
    h1 = write("h1.json", _result("上半年", {"A": 80.0}))
    h2 = write("h2.json", _result("下半年", {"A": 90.0}))
    out = tmp_path / "annual.json"
    assert main(["combine", h1, h2, "--weights", "0.4,0.6", "--out", str(out)]) == 0
    # 0.4 × 80 + 0.6 × 90 = 86
    assert json.loads(out.read_text(encoding="utf-8"))["units"][0]["score"] == 86.0


@pytest.mark.parametrize(
    ("weights", "needle"),
    [
        ("nan,nan", "应为有限的数字"),
        ("inf,-inf", "应为有限的数字"),
        ("0.5,nan", "应为有限的数字"),
        ("-0.5,1.5", "不能为负数"),
        ("0.5,0.6", "合计应为 1"),
        ("0.4", "权重个数（1）与轮次数（2）不一致"),
    ],
)
def test_bad_weights_are_refused(tmp_path, capsys, write, weights, needle):
    h1 = write("h1.json", _result("上半年", {"A": 80.0}))
    h2 = write("h2.json", _result("下半年", {"A": 90.0}))
    _combine(tmp_path, capsys, [h1, h2], weights, needle)


def test_same_round_twice_is_refused(tmp_path, capsys, write):
    h1 = write("h1.json", _result("上半年", {"A": 80.0}))
    # the same file twice
    _combine(tmp_path, capsys, [h1, h1], "0.5,0.5", "h1.json", "是同一个文件", "同一轮不能合并两次")
    # a copy of the same round under another name
    copy = write("copy.json", _result("上半年", {"A": 80.0}))
    _combine(tmp_path, capsys, [h1, copy], "0.5,0.5", "h1.json", "copy.json", "同一轮次「上半年」")
    # unnamed rounds with identical results
    a = write("a.json", _result(None, {"A": 80.0}))
    b = write("b.json", _result(None, {"A": 80.0}))
    _combine(tmp_path, capsys, [a, b], "0.5,0.5", "a.json", "b.json", "内容完全相同")


def test_different_systems_totals_and_scales_are_refused(tmp_path, capsys, write):
    h1 = write("h1.json", _result("上半年", {"A": 80.0}))
    other = write("other.json", _result("下半年", {"A": 90.0}, system="t"))
    _combine(tmp_path, capsys, [h1, other], "0.4,0.6", "不同的指标体系", "h1.json：s", "other.json：t")
    scaled = write("scaled.json", _result("下半年", {"A": 9.0}, scale=10))
    _combine(tmp_path, capsys, [h1, scaled], "0.4,0.6", "折算分制不同", "h1.json：100", "scaled.json：10")
    total = write("total.json", _result("下半年", {"A": 90.0}, total=120))
    _combine(tmp_path, capsys, [h1, total], "0.4,0.6", "总分不同", "total.json：120")

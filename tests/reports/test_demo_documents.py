"""Every document for the demo (both 阳江 systems, two rounds): the ranking tables carry the results file's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from rich.console import Console

from govassess.cli import main
from govassess.demo import run_demo

pytestmark = pytest.mark.slow  # 41 + 7 scorecards with radar charts: ~15 s of CPU


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    run_demo(out, console=Console(quiet=True))
    return out


@pytest.mark.parametrize("system", ["yangjiang-2021-dept", "yangjiang-2021-county"])
def test_bulletin_and_scorecards_of_both_yangjiang_systems(demo, tmp_path, system):
    h1, h2 = demo / f"{system}-h1.json", demo / f"{system}-h2.json"
    results = json.loads(h2.read_text(encoding="utf-8"))
    previous = {u["unit"]: u for u in json.loads(h1.read_text(encoding="utf-8"))["units"]}
    out = tmp_path / "通报.docx"
    assert main(["report", "bulletin", str(h2), "--system", system, "--previous", str(h1), "--out", str(out)]) == 0
    d = docx.Document(str(out))
    (table,) = d.tables  # one class per system
    rows = [[c.text for c in r.cells] for r in table.rows][1:]
    units = sorted(results["units"], key=lambda u: (u["rank"], results["units"].index(u)))
    assert len(rows) == len(units)
    tied = {u["rank"] for u in units if sum(1 for v in units if v["rank"] == u["rank"]) > 1}
    for row, u in zip(rows, units, strict=True):
        rank = f"{u['rank']}（并列）" if u["rank"] in tied else str(u["rank"])
        change = round(u["score"] - previous[u["unit"]]["score"], 2)
        assert row[:3] == [rank, u["name"], f"{u['score']:.2f}"]
        # first-level scores as the results file has them, to the last digit shown
        assert row[3:7] == [f"{u['indicators'][c]['score']:.2f}" for c in "ABCD"]
        assert row[-2] == ("0.00" if change == 0 else f"{change:+.2f}")
        assert row[-1] == str(previous[u["unit"]]["rank"])
    cards = tmp_path / "cards"
    assert main(["report", "scorecard", str(h2), "--system", system, "--out", str(cards)]) == 0
    assert len(list(cards.iterdir())) == len(units)


def test_full_report_of_the_county_round(demo, tmp_path):
    h1, h2 = demo / "yangjiang-2021-county-h1.json", demo / "yangjiang-2021-county-h2.json"
    out = tmp_path / "报告.docx"
    assert main(["report", "full", str(h2), "--system", "yangjiang-2021-county", "--previous", str(h1),
                 "--out", str(out)]) == 0
    d = docx.Document(str(out))
    names = [u["name"] for u in json.loads(h2.read_text(encoding="utf-8"))["units"]]
    level2 = [p.text for p in d.paragraphs if p.style.name == "Heading 2"]
    for name in names:
        assert f"{name}（县(市、区)）" in level2
    # 牵头科室 come from the system: each unit's suggestions are grouped under the departments it names
    level3 = {p.text for p in d.paragraphs if p.style.name == "Heading 3"}
    assert {"总体情况", "各项指标得分", "失分项", "整改建议"} <= level3
    text = "\n".join(p.text for p in d.paragraphs)
    assert "数据资源科" in text

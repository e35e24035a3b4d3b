"""`inspect` through the one output writer: the report and the inputs together or neither; CSV notes inert."""

import csv

import govassess.inspection.inputs as inputs_module
from govassess.cli import main
from govassess.inspection.inputs import write_inputs_csv
from govassess.inspection.testsite import build_big_site, serve


def test_inspect_refuses_bad_targets_before_crawling(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    # port 9 would fail the crawl: the refusal must come first, from the target check
    assert main(["inspect", "http://127.0.0.1:9/", "--out", str(tmp_path / "r.json"),
                 "--inputs-out", str(tmp_path / "d"), "--unit", "U1"]) == 2
    assert "--inputs-out" in capsys.readouterr().err
    assert main(["inspect", "http://127.0.0.1:9/", "--out", str(tmp_path / "r.json"),
                 "--inputs-out", str(tmp_path / "r.json"), "--unit", "U1"]) == 2
    assert "--out 与 --inputs-out 指向同一个文件" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_inspect_failure_after_the_report_leaves_no_report(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(inputs_module, "write_inputs_csv", broken)
    out = tmp_path / "o"
    out.mkdir()
    with serve(build_big_site(3, per_list=10)) as (base, _):
        code = main(["inspect", base + "/", "--as-of", "2024-06-30", "--delay", "0", "--external", "loopback",
                     "--out", str(out / "report.json"), "--inputs-out", str(out / "inputs.csv"), "--unit", "U1",
                     "--state", str(tmp_path / "st")])
    assert code == 2
    assert sorted(p.name for p in out.iterdir()) == []


def test_inputs_csv_quotes_formula_notes(tmp_path):
    rows = [{"unit": "U1", "indicator": "1", "input": "x", "value": "-1", "note": n} for n in ("=1+1", "@A1", "正常")]
    write_inputs_csv(rows, tmp_path / "i.csv")
    with (tmp_path / "i.csv").open(encoding="utf-8", newline="") as fh:
        back = list(csv.DictReader(fh))
    assert [r["note"] for r in back] == ["'=1+1", "'@A1", "正常"] and {r["value"] for r in back} == {"-1"}

"""kill -9 of a command while it writes its outputs (issue 15): the folder never keeps a mix of old and new.

`govassess score --out r.json --xlsx r.xlsx` runs as a real subprocess (outputs_kill9_driver.py) over an older
result of the same command (round 第一轮) and is SIGKILLed at seeded moments: during start-up, after the
temporary files are complete but before any rename, and between the two renames. Afterwards the next writer
into the folder (here `recover`, as every OutputSet calls it; then a re-run) must leave both files of one run
— both 第一轮 or both 第二轮 — and no temporary file, journal or staging folder.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from govassess.outputs import recover

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("outputs_kill9_driver.py")
PAUSE = 0.4

SYSTEM = """\
id: mini
name: 迷你体系
total: 10
scale: 100
indicators:
  - name: 服务
    code: "1"
    children:
      - {name: 网上受理, code: "1.1", points: 4, rule: {type: ratio, value: 网上受理率}}
      - {name: 源头管控, code: "1.3", points: 6, rule: {type: manual}}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    with (tmp_path / "units.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["unit", "name", "class"], ["A", "市科技局", "市级部门"], ["B", "市教育局", "市级部门"]])
    with (tmp_path / "inputs.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [["unit", "indicator", "input", "value", "note"]]
            + [[u, "1.1", "网上受理率", "50%", ""] for u in "AB"]
            + [[u, "1.3", "score", "3", "材料齐全"] for u in "AB"]
        )
    out = tmp_path / "out"
    out.mkdir()
    return {"system": tmp_path / "s.yaml", "units": tmp_path / "units.csv", "inputs": tmp_path / "inputs.csv",
            "out": out}


def argv(files, round_name: str) -> list[str]:
    return ["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
            "--round", round_name, "--out", str(files["out"] / "r.json"), "--xlsx", str(files["out"] / "r.xlsx")]


def env(pause: float) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(DRIVER.parent)]),
            "KILL9_PAUSE": str(pause)}


def run(files, round_name: str) -> None:
    proc = subprocess.run([sys.executable, str(DRIVER), *argv(files, round_name)], env=env(0),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def kill_at(files, round_name: str, marker: str | None, nth: int, delay: float) -> None:
    proc = subprocess.Popen([sys.executable, str(DRIVER), *argv(files, round_name)], env=env(PAUSE),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen, count = [], 0
        if marker is not None:
            for line in proc.stdout:
                seen.append(line)
                if line.strip() == f"@@{marker}":
                    count += 1
                    if count == nth:
                        break
            else:
                pytest.fail(f"ended before @@{marker} #{nth}: {''.join(seen)}{proc.stderr.read()}")
        time.sleep(delay)
        assert proc.poll() is None, "".join(seen)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def rounds(folder: Path) -> tuple[str, str]:
    """The round name in the JSON and in the workbook (its title cell carries it)."""
    data = json.loads((folder / "r.json").read_text(encoding="utf-8"))
    wb = load_workbook(folder / "r.xlsx", read_only=True)
    texts = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(max_row=5, values_only=True)
                     for c in row if c is not None)
    wb.close()
    in_book = "第二轮" if "第二轮" in texts else "第一轮" if "第一轮" in texts else "?"
    return data["round"], in_book


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_kill9_between_renames_is_finished_by_the_next_writer(files):
    rng = random.Random(15)
    out = files["out"]
    # (marker, which occurrence): start-up; temporaries complete, no rename yet; between the two renames
    for marker, nth in ((None, 0), ("commit", 1), ("renamed", 1)):
        run(files, "第一轮")
        assert rounds(out) == ("第一轮", "第一轮") and leftovers(out) == []
        delay = rng.uniform(0.3, 1.5) if marker is None else rng.uniform(0.0, PAUSE * 0.8)
        kill_at(files, "第二轮", marker, nth, delay)
        if marker == "renamed":
            # the harmful moment itself: one new file, one old one, and the journal that finishes the commit
            assert rounds(out) == ("第二轮", "第一轮")
            assert any(n.startswith(".govassess-commit.") and n.endswith(".json") for n in leftovers(out))
        recover(out)
        got = rounds(out)
        assert got in {("第一轮", "第一轮"), ("第二轮", "第二轮")}, (marker, got)
        if marker == "renamed":
            assert got == ("第二轮", "第二轮")  # rolled forward: the temporaries were complete
        elif marker == "commit":
            assert got == ("第一轮", "第一轮")  # nothing had been renamed
        assert leftovers(out) == [], marker
        run(files, "第二轮")  # and a re-run succeeds
        assert rounds(out) == ("第二轮", "第二轮") and leftovers(out) == []


def test_a_live_writers_temporaries_are_left_alone(tmp_path):
    # A temporary of a running process (this one) and of a process that no longer exists.
    mine = tmp_path / f".r.json.{os.getpid()}-0123abcd.tmp.json"
    mine.write_text("{}", encoding="utf-8")
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout.strip()
    dead = tmp_path / f".r.json.{dead_pid}-0123abcd.tmp.json"
    dead.write_text("{}", encoding="utf-8")
    staged = tmp_path / f".out.{dead_pid}-89abcdef.tmp"
    staged.mkdir()
    (staged / "x.csv").write_text("a\n", encoding="utf-8")
    user_file = tmp_path / ".r.json.notes.tmp"  # not one of ours: no pid-token
    user_file.write_text("mine", encoding="utf-8")
    recover(tmp_path)
    assert mine.exists() and user_file.exists()
    assert not dead.exists() and not staged.exists()

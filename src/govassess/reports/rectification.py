"""The previous round's 整改任务 (rectification tasks) as the next round's 成绩单 reports them.

Plain data, no Django: the web platform builds the rows from its task tables, the CLI reads them from a CSV
(`govassess report … --rectification 整改.csv`). The report model (model.py) adds to each row whether the
indicator improved, comparing this round's leaf score with the previous round's from the two results files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govassess.errors import ProblemCollector

# The statuses a 成绩单 prints. The web platform maps its task states onto these; a CSV names one of them.
STATUSES = ("已通过", "未通过", "逾期未整改", "待复核", "整改中", "已关闭")

# CSV columns (Chinese headers as an office writes them, or the English names).
ALIASES = {
    "单位代码": "unit", "unit": "unit", "单位": "unit",
    "指标编码": "indicator", "indicator": "indicator", "指标": "indicator",
    "状态": "status", "整改状态": "status", "status": "status",
    "整改要求": "requirement", "requirement": "requirement",
    "整改说明": "answer", "answer": "answer",
}
COLUMN_NAMES = {"unit": "单位代码", "indicator": "指标编码", "status": "状态"}


@dataclass(frozen=True)
class RectificationTask:
    """One task of the previous round for one unit (input to build_model)."""

    indicator: str  # the leaf indicator's code
    status: str  # one of STATUSES
    name: str = ""  # the indicator's name (taken from the system when empty)
    requirement: str = ""  # the office's requirement text
    lost: float | None = None  # points lost in the previous round, as the task recorded them


@dataclass
class RectificationOutcome:
    """A task as the 成绩单 prints it: its status and whether the indicator improved since."""

    indicator: str
    name: str
    status: str
    requirement: str
    lost: float | None
    previous: float | None  # the leaf's score in the previous round (None: not scored / not applicable)
    current: float | None  # the leaf's score in this round
    change: float | None

    @property
    def improved_text(self) -> str:
        if self.previous is None or self.current is None or self.change is None:
            return "无法比较"
        if self.change > 0:
            return "已提升"
        if self.change < 0:
            return "下降"
        return "未提升"


Rectification = Mapping[str, Sequence[RectificationTask]]


def leaf_score(per: Mapping[str, Any] | None, code: str) -> float | None:
    """A leaf's score in one unit's ``indicators`` of a results file (None: absent or not applicable)."""
    entry = (per or {}).get(code) or {}
    if not entry or not entry.get("applicable", True):
        return None
    value = entry.get("score")
    return None if value is None else float(value)


def outcome(task: RectificationTask, per: Mapping[str, Any] | None, prev_per: Mapping[str, Any] | None,
            digits: int, *, name: str | None = None) -> RectificationOutcome:
    """One task with its leaf's score in both rounds, taken from the two results files (``per``: this round's
    ``indicators`` of the unit, ``prev_per``: the previous round's; None when that round is not known)."""
    from govassess.scoring.engine import _round as round_score  # the rounding the results were written with

    current = leaf_score(per, task.indicator)
    previous = leaf_score(prev_per, task.indicator) if prev_per is not None else None
    change = round_score(current - previous, digits) if current is not None and previous is not None else None
    return RectificationOutcome(
        indicator=task.indicator, name=task.name or name or task.indicator, status=task.status,
        requirement=task.requirement or "", lost=task.lost, previous=previous, current=current, change=change)


def read_rectification(path: str | Path, results: Mapping[str, Any], leaves: Mapping[str, str]
                       ) -> dict[str, list[RectificationTask]]:
    """Read an office's 整改 CSV/XLSX (columns 单位代码, 指标编码, 状态, optional 整改要求): every bad row is
    reported with its row number; units must be in this round's results, indicators leaves of the system."""
    from govassess.data import read_table

    file = str(path)
    frame, sheet = read_table(path, aliases=ALIASES, required=("unit", "indicator", "status"), what="整改情况文件")
    units = {str(u.get("unit")) for u in results.get("units") or [] if isinstance(u, dict)}
    problems = ProblemCollector()
    out: dict[str, list[RectificationTask]] = {}
    seen: set[tuple[str, str]] = set()
    has_req = "requirement" in frame.columns
    for row in frame.iter_rows(named=True):
        where = {"file": file, "sheet": sheet, "row": row["_row"]}
        unit, code, status = row["unit"], row["indicator"], row["status"]
        bad = False
        for key, value in (("unit", unit), ("indicator", code), ("status", status)):
            if not value:
                problems.add(f"{COLUMN_NAMES[key]}为空", column=COLUMN_NAMES[key], **where)
                bad = True
        if bad:
            continue
        if unit not in units:
            problems.add(f"单位 {unit} 不在本轮结果中", column="单位代码", **where)
            continue
        if code not in leaves:
            problems.add(f"指标 {code} 不是指标体系中的末级指标", column="指标编码", indicator=code, **where)
            continue
        if status not in STATUSES:
            problems.add(f"状态「{status}」无法识别，应为 {'、'.join(STATUSES)} 之一", column="状态", **where)
            continue
        if (unit, code) in seen:
            problems.add(f"单位 {unit} 的指标 {code} 重复出现（每个单位每个指标只能有一条整改任务）",
                         column="指标编码", indicator=code, **where)
            continue
        seen.add((unit, code))
        out.setdefault(unit, []).append(RectificationTask(
            indicator=code, status=status, name=leaves[code],
            requirement=(row.get("requirement") or "") if has_req else ""))
    problems.raise_if_any()
    return out

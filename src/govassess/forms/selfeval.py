"""Inputs of the built-in ``project-self-evaluation`` system from survey rows and usage figures.

The 评估对象 of that system is one built project (one surveyed information system). Its unit code is
``部门全称｜信息系统名称``. Usage figures come from the system's own statistics (a CSV/XLSX, one row per system,
read by ``screening.read_usage``); the formulas are the seed's (市级政务信息化建设项目绩效自评价 示例说明①—⑧).
"""

from __future__ import annotations

import re
from typing import Any

from govassess.errors import Problem, UserError
from govassess.forms.survey import SurveyData

SYSTEM_ID = "project-self-evaluation"
UNIT_CLASS = "信息化项目"
DAYS = 30  # M = (D1 + … + D30) / 30
_SPLIT = re.compile(r"[、，,;；/\s]+")


def unit_code(dept: str, name: str) -> str:
    return f"{dept}｜{name}"


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def average_monthly_activity(registered: float, daily_users: list[float]) -> float:
    """平均月活率 M = (D1 + … + D30) / 30, with 日活率 D = Y / X (Y 日使用项目用户数量, X 注册用户数量)."""
    if registered <= 0:
        return 0.0
    return sum(y / registered for y in daily_users) / DAYS


def data_growth(last_year: float, yearly_average: float) -> float:
    """业务数据增长率 = 评价时点前1年核心相关业务数据条数 / 系统上线后年平均核心相关业务数据条数 − 1."""
    return last_year / yearly_average - 1


def requesting_departments(value: Any) -> int:
    """数据共享情况 counts requesting departments, each once: a list ``甲局、乙局、甲局`` → 2; a number is taken as is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if not value:
        return 0
    return len({part for part in _SPLIT.split(str(value)) if part})


def selfeval_inputs(
    datasets: list[SurveyData], usage: dict[tuple[str, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Service: long-form inputs (unit, indicator, input, value) for every surveyed system that is 运行中 and has
    usage figures. A figure that is absent leaves its input out (scoring then reports it as missing)."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for data in datasets:
        for sys_row in data.counted("systems"):
            if sys_row.get("系统状态") != "运行中":
                continue  # 已建项目 only
            key = (sys_row["部门全称"], sys_row["信息系统名称"])
            figures = usage.get(key)
            if figures is None:
                continue
            unit = unit_code(*key)

            def put(indicator: str, name: str, value: float | int, unit: str = unit) -> None:
                rows.append({"unit": unit, "indicator": indicator, "input": name, "value": _text(value)})

            def pair(
                indicator: str,
                num_col: str,
                den_col: str,
                num_name: str,
                den_name: str,
                figures: dict[str, Any] = figures,
                put=put,
            ) -> None:
                num, den = _num(figures.get(num_col)), _num(figures.get(den_col))
                if num is not None and den is not None:
                    put(indicator, num_name, num)
                    put(indicator, den_name, den)

            pair("XT1", "有使用记录的用户数", "设计用户数", "有使用记录的用户数", "设计用户数")
            registered = _num(figures.get("注册用户数"))
            daily = [_num(figures.get(f"日使用用户数{i}")) for i in range(1, DAYS + 1)]
            if registered is not None and all(d is not None for d in daily):
                put(
                    "XT2",
                    "平均月活率",
                    average_monthly_activity(registered, [d for d in daily if d is not None]),
                )
            elif registered is not None and any(d is not None for d in daily):
                problems.append(
                    Problem(
                        f"须填写全部{DAYS}天的日使用用户数（日使用用户数1…日使用用户数{DAYS}）", field=unit
                    )
                )
            last, avg = (
                _num(figures.get("前1年核心业务数据条数")),
                _num(figures.get("上线后年平均核心业务数据条数")),
            )
            if last is not None and avg:
                put("XT3", "业务数据增长率", data_growth(last, avg))
            pair(
                "XT4",
                "实际投入使用的业务功能点数",
                "设计业务功能点数",
                "实际投入使用的业务功能点数",
                "设计业务功能点数",
            )
            pair(
                "XT5",
                "实际完成多跨协同部门数",
                "设计多跨协同部门数",
                "实际完成多跨协同部门数",
                "设计多跨协同部门数",
            )
            pair("XT6", "实际完成纵向贯通数", "设计纵向贯通数", "实际完成纵向贯通数", "设计纵向贯通数")
            if "申请共享部门" in figures and figures["申请共享部门"] is not None:
                put("XT7", "申请共享部门数", requesting_departments(figures["申请共享部门"]))
            actual, planned = _num(figures.get("实际运行时间")), _num(figures.get("应提供服务时间"))
            if actual is not None and planned:
                put("XT8", "运行时段", actual / planned)
    if problems:
        raise UserError(problems=problems)
    return rows


def selfeval_units(
    datasets: list[SurveyData], usage: dict[tuple[str, str], dict[str, Any]]
) -> list[dict[str, str]]:
    """The units (评估对象) matching ``selfeval_inputs``: unit, name, class."""
    out = []
    for data in datasets:
        for r in data.counted("systems"):
            key = (r["部门全称"], r["信息系统名称"])
            if r.get("系统状态") == "运行中" and key in usage:
                out.append({"unit": unit_code(*key), "name": r["信息系统名称"], "class": UNIT_CLASS})
    return out


def _text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(round(value, 10)) if isinstance(value, float) else str(value)

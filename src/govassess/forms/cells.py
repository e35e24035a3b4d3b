"""Column-wise cleaning of raw cell values into typed values.

A workbook cell arrives as whatever the reader gives (str, int, float, bool, date, datetime, None). Each field
type has one cleaner that turns a whole column into typed values plus located problems; columns are cleaned in
one tight loop each because a survey can have 20,000 rows × 39 columns.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from govassess.forms.model import Field
from govassess.forms.patterns import max_text
from govassess.forms.validators import CHECKS


class _Invalid:
    """Marks a cell that failed its own check, so cross-field rules skip it instead of piling on errors."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()

# (row index in the column, message, rule label, shown value)
CellProblem = tuple[int, str, str, str]

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YEAR_RE = re.compile(r"^(\d{4})\s*年?$")
_SPACES_RE = re.compile(r"\s+")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def shown(value: Any) -> str:
    """The value as the user typed it, for messages."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:  # 1e307 stays 1e+307
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation → half-width (１２３ → 123, －→ -)."""
    return unicodedata.normalize("NFKC", text)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_code_text(value: Any) -> str | None:
    """Codes and phone numbers typed into a cell Excel treated as a number come back as floats."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else None
    if isinstance(value, str):
        return _SPACES_RE.sub("", nfkc(value)).upper()
    return None


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = nfkc(value).strip()
        if "," in text:
            # Thousands separators only (1,234.50); “1,2,3” is not a number.
            if not _THOUSANDS_RE.match(text):
                return None
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return number


def clean_column(field: Field, values: list[Any], cutoff: dt.date) -> tuple[list[Any], list[CellProblem]]:
    """Clean one column. Returns typed values (None for blank, INVALID for bad) and the problems found."""
    out: list[Any] = [None] * len(values)
    problems: list[CellProblem] = []
    required = field.required
    cleaner = _CLEANERS[field.type]
    convert = cleaner(field, cutoff)
    for i, raw in enumerate(values):
        if raw is None or raw == "":
            if required:
                problems.append((i, "必填项未填写", "必填", ""))
            continue
        if isinstance(raw, str):
            stripped = raw.strip()
            if not stripped:
                if required:
                    problems.append((i, "必填项未填写", "必填", ""))
                continue
        value, error = convert(raw)
        if error is None:
            out[i] = value
        else:
            out[i] = INVALID
            problems.append((i, error[0], error[1], shown(raw)))
    return out, problems


Converter = Callable[[Any], tuple[Any, tuple[str, str] | None]]


def _text(field: Field, cutoff: dt.date) -> Converter:
    pattern = re.compile(field.pattern) if field.pattern else None
    message = field.pattern_message or f"应符合格式 {field.pattern}"
    longest = max_text()  # bounds the matching time of the patterns forms/patterns.py lets through

    def convert(raw: Any) -> tuple[Any, tuple[str, str] | None]:
        text = shown(raw) if not isinstance(raw, str) else raw.strip()
        if pattern is not None and len(text) > longest:
            return None, (f"超过 {longest} 个字符，无法按格式检查（可设置环境变量 GOVASSESS_PATTERN_MAX_TEXT）", "格式")
        if pattern is not None and not pattern.search(text):
            return None, (message, "格式")
        return text, None

    return convert


def _choice(field: Field, cutoff: dt.date) -> Converter:
    lookup: dict[str, str] = {}
    for option in field.options:
        lookup[option] = option
        lookup[_SPACES_RE.sub("", nfkc(option))] = option
    for alias, target in field.aliases.items():
        lookup[alias] = target
        lookup[_SPACES_RE.sub("", nfkc(alias))] = target
    allowed = "、".join(field.options)

    def convert(raw: Any) -> tuple[Any, tuple[str, str] | None]:
        text = raw if isinstance(raw, str) else shown(raw)
        hit = lookup.get(text)
        if hit is None:
            hit = lookup.get(_SPACES_RE.sub("", nfkc(text)))
        if hit is None:
            return None, (f"不是可选项，应从下拉菜单选择：{allowed}", "下拉选项")
        return hit, None

    return convert


# The same bound as numeric inputs of a system (govassess.rules.MAX_MAGNITUDE): 1e15 万元 is far above any
# budget, and 1e307 would overflow to infinity in the checks below and in the summary's sums.
MAX_MAGNITUDE = 1e15


def _number(field: Field, cutoff: dt.date, integer: bool = False) -> Converter:
    decimals = field.decimals
    low = field.min
    high = field.max if isinstance(field.max, (int, float)) else None
    unit = f"（单位：{field.unit}，只填数字）" if field.unit else ""

    def convert(raw: Any) -> tuple[Any, tuple[str, str] | None]:
        number = _to_number(raw)
        if number is None:
            return None, (f"应填写{'整数' if integer else '数字'}{unit}", "数字")
        if not abs(number) <= MAX_MAGNITUDE:
            return None, (f"数值 {number:g} 过大（绝对值不能超过 {MAX_MAGNITUDE:g}）{unit}", "取值范围")
        if integer:
            if not number.is_integer():
                return None, ("应填写整数", "整数")
            number = int(number)
        elif decimals is not None and abs(number * 10**decimals - round(number * 10**decimals)) > 1e-6:
            return None, (f"最多保留{decimals}位小数{unit}", "小数位数")
        if low is not None and number < low:
            return None, (f"不能小于 {low:g}", "取值范围")
        if high is not None and number > high:
            return None, (f"不能大于 {high:g}", "取值范围")
        return number, None

    return convert


def _integer(field: Field, cutoff: dt.date) -> Converter:
    return _number(field, cutoff, integer=True)


def _date(field: Field, cutoff: dt.date) -> Converter:
    latest = cutoff if field.max == "cutoff" else None

    def convert(raw: Any) -> tuple[Any, tuple[str, str] | None]:
        value: dt.date | None = None
        if isinstance(raw, dt.datetime):
            value = raw.date()
        elif isinstance(raw, dt.date):
            value = raw
        elif isinstance(raw, str):
            match = _DATE_RE.match(nfkc(raw).strip())
            if match:
                try:
                    value = dt.date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    return None, ("不是有效日期", "日期格式")
        if value is None:
            return None, ("日期格式应为 2015-10-15", "日期格式")
        if latest is not None and value > latest:
            return None, (f"不能晚于调查截止日期 {latest.isoformat()}", "不晚于截止日期")
        return value, None

    return convert


def _year(field: Field, cutoff: dt.date) -> Converter:
    latest = cutoff.year if field.max == "cutoff_year" else None

    def convert(raw: Any) -> tuple[Any, tuple[str, str] | None]:
        year: int | None = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
            year = int(raw)
        elif isinstance(raw, str):
            match = _YEAR_RE.match(nfkc(raw).strip())
            year = int(match[1]) if match else None
        if year is None or not 1949 <= year <= 2100:
            return None, ("应填写四位年度，如 2015", "年度")
        if latest is not None and year > latest:
            return None, (f"不能晚于调查截止年度 {latest}", "不晚于截止年度")
        return year, None

    return convert


def _code(field: Field, cutoff: dt.date) -> Converter:
    check = CHECKS[field.type]

    def convert(raw: Any) -> tuple[Any, tuple[str, str] | None]:
        text = _as_code_text(raw)
        if text is None:
            return None, ("格式错误", field.type)
        message = check(text)
        if message:
            return None, (message, _CODE_LABELS[field.type])
        return text, None

    return convert


_CODE_LABELS = {
    "credit_code": "统一社会信用代码/组织机构代码",
    "uscc": "统一社会信用代码",
    "org_code": "组织机构代码",
    "id_card": "身份证号码",
    "phone": "电话号码",
}

_CLEANERS: dict[str, Callable[[Field, dt.date], Converter]] = {
    "text": _text,
    "choice": _choice,
    "number": _number,
    "integer": _integer,
    "date": _date,
    "year": _year,
    "credit_code": _code,
    "uscc": _code,
    "org_code": _code,
    "id_card": _code,
    "phone": _code,
}

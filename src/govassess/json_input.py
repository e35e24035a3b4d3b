"""The one way a JSON file handed back to govassess (results for `combine`, reports for `inspect-inputs`) is read.

Such files are often hand-edited: a score typed as "八十", a list replaced by a string. Python's json module
and jsonschema answer in English or not at all (a string where a list belongs is happily iterated character
by character), so each file is parsed here with the limits of docs/limits.md and then checked against a
JSON Schema of what the reader needs; the first mismatch becomes a Chinese message naming the file and the
place in it (``units[2].score``, counted from 1 as a user counts).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema

from govassess.errors import UserError

DEFAULT_MAX_BYTES = 500_000_000
DEFAULT_MAX_DEPTH = 100

_TYPES = {
    "object": "对象（{…}）",
    "array": "列表（[…]）",
    "string": "文字",
    "number": "数字",
    "integer": "整数",
    "boolean": "true 或 false",
    "null": "空（null）",
}


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise UserError(f"环境变量 {name} 应为正整数，实际为「{raw}」")
    return int(raw)


def describe(value: Any) -> str:
    """What a JSON value is, in the words of the messages: 文字「八十」, 数字 5, 列表 …"""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "空（null）"
    if isinstance(value, int | float):
        return f"数字 {value:g}" if isinstance(value, float) else f"数字 {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:30] + "…"
        return f"文字「{shown}」"
    if isinstance(value, list):
        return f"列表（{len(value)} 项）"
    return "对象（{…}）"


def json_path(parts: Any) -> str:
    """units[2].score from the path jsonschema gives (indexes counted from 1)."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def _depth(text: str) -> int:
    """Deepest nesting of [ and { outside strings, without recursion (json.loads recurses once per level)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e400 parses to infinity without a word
        raise ValueError(text)
    return value


def load_json(path: str | Path, *, what: str = "JSON 文件", file: str | None = None) -> Any:
    """Parse a UTF-8 JSON file; every failure is a UserError naming the file (and line for syntax errors)."""
    where = file or str(path)
    p = Path(path)
    max_bytes = _limit("GOVASSESS_JSON_MAX_BYTES", DEFAULT_MAX_BYTES)
    try:
        if p.stat().st_size > max_bytes:
            raise UserError(
                f"{what}超过 {max_bytes // 1_000_000} MB，不予读取（可设置环境变量 GOVASSESS_JSON_MAX_BYTES）",
                file=where,
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise UserError(f"无法读取{what}：文件不存在", file=where) from None
    except IsADirectoryError:
        raise UserError(f"无法读取{what}：这是一个目录，应为文件", file=where) from None
    except OSError as e:
        raise UserError(f"无法读取{what}：{e.strerror}", file=where) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise UserError(f"{what}不是 UTF-8 编码，请另存为 UTF-8", file=where, row=line) from None
    max_depth = _limit("GOVASSESS_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
    if _depth(text) > max_depth:
        raise UserError(f"{what}嵌套超过 {max_depth} 层，不予读取（可设置环境变量 GOVASSESS_JSON_MAX_DEPTH）", file=where)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise UserError(f"不是有效的{what}（第 {e.colno} 列附近格式错误）", file=where, row=e.lineno) from None
    except ValueError as e:  # NaN / Infinity: Python accepts them, JSON (and every other reader) does not
        raise UserError(f"{what}含有 {e}，应为有限的数字", file=where) from None
    except RecursionError:
        raise UserError(f"{what}嵌套层数过多，不予读取", file=where) from None


def _message(err: jsonschema.ValidationError) -> str:
    v, expected = err.validator, err.validator_value
    if v == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        want = "或".join(_TYPES.get(k, k) for k in kinds if k != "null")
        return f"应为{want}，实际是{describe(err.instance)}"
    if v == "required":
        missing = [k for k in expected if isinstance(err.instance, dict) and k not in err.instance]
        return f"缺少字段「{'、'.join(missing)}」"
    if v == "enum":
        return f"应为 {'、'.join(str(x) for x in expected)} 之一，实际是{describe(err.instance)}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "不能小于", "maximum": "不能大于", "exclusiveMinimum": "应大于", "exclusiveMaximum": "应小于"}
        return f"{words[v]} {expected}，实际是{describe(err.instance)}"
    if v == "minItems":
        return f"至少应有 {expected} 项"
    if v == "minLength":
        return "不能为空"
    return f"内容不符合要求（{v}），实际是{describe(err.instance)}"


def check_shape(data: Any, schema: dict[str, Any], *, file: str | None = None, what: str = "文件内容") -> None:
    """Refuse data that does not match schema, naming the first place that does not (deepest first)."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(data))
    if not errors:
        return
    # The most specific mismatch tells the user what to fix: units[2].score, not "units is invalid".
    err = max(errors, key=lambda e: len(e.absolute_path))
    path = json_path(err.absolute_path)
    if path:
        raise UserError(_message(err), file=file, field=path)
    raise UserError(f"{what}{_message(err)}", file=file)


def read_json(path: str | Path, schema: dict[str, Any], *, what: str = "JSON 文件", file: str | None = None) -> Any:
    """load_json, then check_shape."""
    where = file or str(path)
    data = load_json(path, what=what, file=where)
    check_shape(data, schema, file=where)
    return data

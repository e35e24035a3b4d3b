"""Text patterns (`pattern:` of a form field) that cannot hang the server.

Python's re has no time limit, and a pattern such as ``(a+)+$`` takes exponential time on a cell of a few dozen
characters ("catastrophic backtracking"). The `regex` module's timeout is not installed, so the risk is removed
at both ends instead (limits in docs/limits.md):

- when the form is read, a pattern is refused if it is too long, repeats something that itself repeats
  a varying number of times (``(a+)+``, ``(\\d*)*``; a fixed count such as ``(\\d{1,3}\\.){3}`` is fine), or
  repeats a choice of several multi-character alternatives (``(a|ab)+``; single characters as in ``(市|县)+``
  are a character class and fine), or refers back to a group (``(a)\\1``);
- a pattern with more than three open repeats (``*``, ``+``, ``{0,100}``) is refused too: each multiplies the
  worst-case work by the text's length;
- when a cell is checked, text longer than a limit is not matched at all (a located message instead), which bounds
  the polynomial cases (``\\d*\\d*\\d*x``) that remain.
"""

from __future__ import annotations

import os
import re
from typing import Any

from govassess.errors import UserError

try:  # Python 3.11+
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

DEFAULT_MAX_CHARS = 300
# Measured on this 2-core machine: the worst pattern let through, \d*\d*\d*x, takes 0.5 s on 200 digits (and
# 510 s on 1,000); a field with a pattern holds a code, number or address, far shorter than 200 characters.
DEFAULT_MAX_TEXT = 200
MAX_OPEN_REPEATS = 3

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)}
_BACKREFS = {sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS}


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise UserError(f"环境变量 {name} 应为正整数，实际为「{raw}」")
    return int(raw)


def max_text() -> int:
    """Longest cell text a pattern is matched against (GOVASSESS_PATTERN_MAX_TEXT)."""
    return _limit("GOVASSESS_PATTERN_MAX_TEXT", DEFAULT_MAX_TEXT)


def _children(av: Any) -> list[Any]:
    """The sub-patterns of one parsed node's argument (groups, branches, repeats, look-arounds)."""
    out: list[Any] = []
    items = av if isinstance(av, tuple | list) else (av,)
    for item in items:
        if isinstance(item, sre_parse.SubPattern):
            out.append(item)
        elif isinstance(item, tuple | list):
            out.extend(_children(item))
    return out


def _walk(sub: Any, inside_repeat: bool, open_repeats: list[int]) -> str | None:
    for op, av in sub:
        if op in _BACKREFS:
            return "不能引用前面的分组（如 \\1）"
        if op == sre_constants.BRANCH and inside_repeat:  # (a|ab)+: the alternatives overlap, as in (a+)+
            return "不能重复由 | 分隔的几种写法（如 (a|ab)+），这类写法在某些文字上要计算极长时间"
        # Only a repeat of varying count multiplies the ways to match: (\d{1,3}\.){3} and (\d{3})+ are safe.
        repeats = op in _REPEATS and av[1] > 1 and av[0] != av[1]
        if repeats and inside_repeat:
            return "不能在重复的内容里再套重复（如 (a+)+、(\\d*)*），这类写法在某些文字上要计算极长时间"
        if repeats and av[1] - av[0] >= 10:  # *, +, {0,100}: each one multiplies the work by the text's length
            open_repeats[0] += 1
        for child in _children(av):
            problem = _walk(child, inside_repeat or repeats, open_repeats)
            if problem:
                return problem
    return None


def pattern_problem(pattern: str) -> str | None:
    """Why pattern cannot be used (in Chinese), or None. The pattern must compile (checked by the caller first)."""
    max_chars = _limit("GOVASSESS_PATTERN_MAX_CHARS", DEFAULT_MAX_CHARS)
    if len(pattern) > max_chars:
        return f"过长（{len(pattern)} 个字符，上限 {max_chars}，可设置环境变量 GOVASSESS_PATTERN_MAX_CHARS）"
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return "无法解析"
    open_repeats = [0]
    problem = _walk(parsed, False, open_repeats)
    if problem is None and open_repeats[0] > MAX_OPEN_REPEATS:
        problem = (f"含 {open_repeats[0]} 处不限次数的重复（*、+ 或 {{m,n}} 中 n 远大于 m），最多 {MAX_OPEN_REPEATS} 处，"
                   "否则在某些文字上要计算极长时间")
    return problem

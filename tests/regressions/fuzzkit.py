"""Shared pieces of the reader fuzz suite (test_fuzz_readers.py): the outcome check, the case counter,
mutation of valid seed documents, and the two settings every fuzz test is run with.

Every generated case must end in success or in a UserError whose problems say where (file, sheet, row,
column, indicator or field) in Chinese, within TIME_BOUND seconds; anything else is a bug to keep as a
regression file (tests/regressions/files) and fix.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from govassess.errors import UserError

# Seconds per case. A reader that hangs on a small input is what the suite looks for; on a shared 2-core
# machine a normal case was seen to take 10 s while other jobs ran, so the bound leaves room for that.
TIME_BOUND = 30.0
COUNT: Counter[str] = Counter()  # cases run per reader, printed at the end of the session (conftest.py)

# No shrinking in the quick run: a failure is printed as found, and the default run stays short.
QUICK = settings(max_examples=10, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_LEAK = re.compile(r"\b[A-Z][a-z]+Error\b|Traceback|\bexpected\b|\bnot of type\b|Expecting|object has no attribute")


def many(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                    print_blob=True)


def outcome(reader: str, fn: Callable[[], Any], *, located: bool = True) -> Any:
    """Run one case: success returns the value, a proper UserError returns None, anything else fails the test."""
    COUNT[reader] += 1
    started = time.monotonic()
    try:
        return fn()
    except UserError as err:
        text = str(err)
        assert err.problems, text
        assert _CJK.search(text), f"{reader}: message not in Chinese: {text}"
        assert not _ENGLISH_LEAK.search(text), f"{reader}: English or a Python error leaked: {text}"
        if located:
            for p in err.problems:
                assert p.where(), f"{reader}: a problem without a place: {p}"
        return None
    finally:
        elapsed = time.monotonic() - started
        assert elapsed < TIME_BOUND, f"{reader}: {elapsed:.1f} s for one case"


def pair(body: Callable[[Any], None], quick_settings: settings, fuzz_settings: settings) -> tuple[Any, Any]:
    """The same property twice: a small fixed-seed run for every test run, and the `fuzz` job's large one."""

    @quick_settings
    @given(data=st.data())
    def quick(data: Any) -> None:
        body(data)

    @pytest.mark.fuzz
    @fuzz_settings
    @given(data=st.data())
    def slow(data: Any) -> None:
        body(data)

    return quick, slow


# --- values and mutations ---------------------------------------------------------------------------------

WORDS = ["甲", "单位", "县区", "市级部门", "是", "否", "85%", "1,000", "１２", "=SUM(A1)", "", " ", "\u3000", "a b",
         "null", "~", "0x1F", "1e400", "-0", "NaN", "2021-02-30", "９９９９-12-31", "\t", "号", "(", "[", "{", "*", "&a"]

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)


_VALUES: dict[tuple[str, ...], st.SearchStrategy[Any]] = {}


def values(keys: list[str]) -> st.SearchStrategy[Any]:
    """Any YAML/JSON-like value; mapping keys mostly from the reader's own vocabulary."""
    cached = _VALUES.get(tuple(keys))
    if cached is None:
        cached = _VALUES[tuple(keys)] = _values(keys)
    return cached


def _values(keys: list[str]) -> st.SearchStrategy[Any]:
    key = st.one_of(st.sampled_from(keys), st.text(max_size=6)) if keys else st.text(max_size=6)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=4)),
        max_leaves=12,
    )


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, dict | list):
                out += _containers(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, dict | list):
                out += _containers(v, (*path, i))
    return out


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        node = node[p]
    return node


def mutate(data: Any, seed: Any, keys: list[str], *, most: int = 3) -> Any:
    """A copy of seed with 1..most random edits: a value replaced, a key or item removed, one added."""
    doc = copy.deepcopy(seed)
    for _ in range(data.draw(st.integers(1, most), label="edits")):
        spots = _containers(doc)
        where = _at(doc, data.draw(st.sampled_from(spots), label="where"))
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]), label="action")
        if isinstance(where, dict):
            names = list(where)
            if action != "add" and names:
                k = data.draw(st.sampled_from(names), label="key")
                if action == "delete":
                    del where[k]
                else:
                    where[k] = data.draw(values(keys), label="value")
            else:
                where[data.draw(st.sampled_from(keys) if keys else st.text(max_size=6), label="new key")] = data.draw(
                    values(keys), label="value"
                )
        elif isinstance(where, list):
            if action != "add" and where:
                i = data.draw(st.integers(0, len(where) - 1), label="index")
                if action == "delete":
                    del where[i]
                else:
                    where[i] = data.draw(values(keys), label="value")
            else:
                where.append(data.draw(values(keys), label="value"))
    return doc


def keys_of(node: Any) -> list[str]:
    """Every mapping key used anywhere in a document (the vocabulary a mutation draws from)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            out.update(str(k) for k in n)
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return sorted(out)


def damage_text(data: Any, text: str) -> str:
    """Text-level damage a hand edit makes: a slice cut, a character inserted, a line duplicated."""
    kind = data.draw(st.sampled_from(["none", "none", "cut", "insert", "duplicate"]), label="damage")
    if kind == "none" or not text:
        return text
    i = data.draw(st.integers(0, len(text) - 1), label="at")
    if kind == "cut":
        j = data.draw(st.integers(i, min(len(text), i + 40)), label="to")
        return text[:i] + text[j:]
    if kind == "insert":
        return text[:i] + data.draw(st.sampled_from(list(":-[]{}&*!|>'\"#%@`\t\n") + ["\x00", "  ", "- "])) + text[i:]
    lines = text.splitlines(keepends=True)
    k = data.draw(st.integers(0, len(lines) - 1), label="line")
    return "".join(lines[: k + 1] + lines[k:])

"""Loading the inspector's thresholds (rules.yaml) and classifying columns by them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from govassess import safe_yaml
from govassess.errors import UserError
from govassess.json_input import check_shape


@dataclass(frozen=True)
class ColumnType:
    type: str
    keywords: tuple[str, ...]
    max_age: dict[str, int]
    counts_for_stale_veto: bool
    first_level_only: bool

    def cutoff(self, as_of: dt.date) -> dt.date:
        """The oldest date that still counts as updated within the window."""
        days = self.max_age.get("days", 0)
        months = self.max_age.get("months", 0) + 12 * self.max_age.get("years", 0)
        y, m = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
        day = as_of.day
        if y < 1:
            return dt.date.min
        while True:  # 31 August minus 6 months is the last day of February
            try:
                date = dt.date(y, m + 1, day)
                break
            except ValueError:
                day -= 1
        return date - dt.timedelta(days=days)

    def describe(self) -> str:
        parts = [
            f"{v}{ {'days': '天', 'months': '个月', 'years': '年'}[k] }" for k, v in self.max_age.items()
        ]
        return "".join(parts)


@dataclass(frozen=True)
class Rules:
    column_types: tuple[ColumnType, ...]
    vetoes: dict[str, Any]
    deductions: dict[str, Any]

    def classify(self, name: str) -> ColumnType | None:
        for kind in self.column_types:
            if any(k in name for k in kind.keywords):
                return kind
        return None


_COUNT = {"type": "integer", "minimum": 0, "maximum": 1_000_000}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
# Shapes checked before the rules are used (govassess.json_input.check_shape names the place of a mismatch);
# the windows are bounded so that a date minus max_age stays a date.
RULES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["column_types", "vetoes", "deductions"],
    "properties": {
        "column_types": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "keywords", "max_age"],
                "properties": {
                    "type": {"type": "string", "minLength": 1},
                    "keywords": {"type": "array", "items": {"type": ["string", "number"]}},
                    "max_age": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "days": {"type": "integer", "minimum": 0, "maximum": 36_500},
                            "months": {"type": "integer", "minimum": 0, "maximum": 1_200},
                            "years": {"type": "integer", "minimum": 0, "maximum": 100},
                        },
                    },
                    "counts_for_stale_veto": {"type": "boolean"},
                    "first_level_only": {"type": "boolean"},
                },
            },
        },
        "vetoes": {
            "type": "object",
            "required": ["stale_columns", "abandoned_columns", "blank_columns", "home_unchanged_days", "availability"],
            "properties": {
                "stale_columns": _COUNT,
                "abandoned_columns": _COUNT,
                "blank_columns": _COUNT,
                "home_unchanged_days": {"type": "integer", "minimum": 1, "maximum": 36_500},
                "availability": {
                    "type": "object",
                    "required": ["window_days", "timeout_seconds", "failure_ratio", "probes_per_day"],
                    "properties": {
                        "window_days": {"type": "integer", "minimum": 1, "maximum": 366},
                        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
                        "failure_ratio": _SHARE,
                        "probes_per_day": {"type": "integer", "minimum": 1, "maximum": 1440},
                    },
                },
            },
        },
        "deductions": {
            "type": "object",
            "required": ["broken_link_home", "broken_link_other", "source_sample"],
            "properties": {
                "broken_link_home": {"type": "number", "minimum": 0, "maximum": 100},
                "broken_link_other": {"type": "number", "minimum": 0, "maximum": 100},
                "source_sample": {
                    "type": "object",
                    "required": ["size", "each"],
                    "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 1000}, "each": _SHARE},
                },
            },
        },
    },
}


def load_rules(path: str | Path | None = None) -> Rules:
    where = str(path) if path else "rules.yaml"
    if path is None:
        text = resources.files("govassess.inspection").joinpath("rules.yaml").read_text("utf-8")
    else:
        text = safe_yaml.read_text(path, file=where)
    data = safe_yaml.expect_mapping(safe_yaml.load_yaml(text, file=where), file=where, what="检查规则文件")
    check_shape(data, RULES_SCHEMA, file=where, what="检查规则文件")
    try:
        kinds = tuple(
            ColumnType(
                type=str(c["type"]),
                keywords=tuple(str(k) for k in c["keywords"]),
                max_age={str(k): int(v) for k, v in c["max_age"].items()},
                counts_for_stale_veto=bool(c.get("counts_for_stale_veto", False)),
                first_level_only=bool(c.get("first_level_only", False)),
            )
            for c in data["column_types"]
        )
        for key in (
            "stale_columns",
            "abandoned_columns",
            "blank_columns",
            "home_unchanged_days",
            "availability",
        ):
            data["vetoes"][key]  # noqa: B018 - presence check
        for key in ("broken_link_home", "broken_link_other", "source_sample"):
            data["deductions"][key]  # noqa: B018
        return Rules(kinds, dict(data["vetoes"]), dict(data["deductions"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"检查规则文件缺少或写错了字段：{exc}", file=where) from None

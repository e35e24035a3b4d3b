"""Indicator systems (指标体系): model, YAML load/save, JSON Schema, built-in systems."""

from govassess.indicators.loader import (
    builtin_ids,
    check_system,
    dump_yaml,
    list_systems,
    load_system,
    schema,
    system_from_dict,
    system_from_yaml,
)
from govassess.indicators.model import IndicatorNode, IndicatorSystem, InputSpec

__all__ = [
    "IndicatorNode", "IndicatorSystem", "InputSpec", "builtin_ids", "check_system", "dump_yaml", "list_systems",
    "load_system", "schema", "system_from_dict", "system_from_yaml",
]

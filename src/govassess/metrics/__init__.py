"""Operational records (办件, 好差评, 12345, 政务信息, availability, usage) → indicator inputs.

Record schemas: ``schemas`` (docs/records.md). Metric definitions as data: ``definitions.yaml`` and
``infowork.yaml`` (docs/metrics.md). Engines: DuckDB by default, Spark through sqlglot.

    from govassess.metrics import compute_metrics, parse_period, DuckDBEngine, input_rows
    result = compute_metrics(DuckDBEngine(), records_dir, parse_period("2021-01-01", "2021-06-30"))
    rows, left_out = input_rows(result)          # unit, indicator, input, value, note
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use so that `govassess <other command>` does not pay for DuckDB and sqlglot imports.
_WHERE = {
    "ComputeResult": "compute",
    "MetricValue": "compute",
    "compute_metrics": "compute",
    "Period": "definitions",
    "load_definitions": "definitions",
    "parse_period": "definitions",
    "DuckDBEngine": "engines",
    "SparkEngine": "engines",
    "load_info_rules": "infowork",
    "bad_rating_alerts": "monitor",
    "rating_analysis": "monitor",
    "volume_trend": "monitor",
    "input_rows": "output",
    "load_map": "output",
    "write_inputs": "output",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
        return module.compute if name == "compute_metrics" else getattr(module, name)
    raise AttributeError(name)


__all__ = [
    "ComputeResult",
    "DuckDBEngine",
    "MetricValue",
    "Period",
    "SparkEngine",
    "bad_rating_alerts",
    "compute_metrics",
    "input_rows",
    "load_definitions",
    "load_info_rules",
    "load_map",
    "parse_period",
    "rating_analysis",
    "volume_trend",
    "write_inputs",
]

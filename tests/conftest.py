"""Checks that apply to the whole suite."""

from __future__ import annotations

from collections import Counter

import pytest


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytest-xdist schedules and reports by node id: two items sharing one id means one of them silently never
    # runs in the parallel suite (schemathesis' own parametrize did exactly that). Refuse such a collection.
    repeated = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if repeated:
        raise pytest.UsageError("several tests share one node id (give each its own id): " + ", ".join(repeated))
    # Tests marked `separate` (minutes each, e.g. a second JVM) run in their own job, scripts/test-slow.sh, so the
    # default command stays under 10 minutes; they run whenever the -m expression names them.
    if "separate" not in (config.option.markexpr or ""):
        left_out = [i for i in items if i.get_closest_marker("separate")]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [i for i in items if not i.get_closest_marker("separate")]

"""The `fuzz` marker: the large fuzz runs are left out unless asked for (`-m fuzz`, scripts/fuzz.sh), and
the number of generated cases per reader is printed at the end."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: the large reader fuzz runs (scripts/fuzz.sh), not in the default run")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "fuzz" in (config.option.markexpr or ""):
        return
    skipped = [i for i in items if i.get_closest_marker("fuzz")]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [i for i in items if not i.get_closest_marker("fuzz")]


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist the cases are counted in the workers: hand each worker's count to the controller.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        try:
            from fuzzkit import COUNT
        except ImportError:
            return
        workeroutput["fuzz_count"] = dict(COUNT)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_testnodedown(node, error) -> None:  # noqa: ANN001
    try:
        from fuzzkit import COUNT
    except ImportError:
        return
    COUNT.update(getattr(node, "workeroutput", {}).get("fuzz_count", {}))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    try:
        from fuzzkit import COUNT
    except ImportError:
        return
    if COUNT:
        terminalreporter.write_line(f"模糊测试用例：共 {sum(COUNT.values())} 个（" + "，".join(
            f"{k} {v}" for k, v in sorted(COUNT.items())) + "）")

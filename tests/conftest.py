"""Checks that apply to the whole suite."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

# Every SparkSession the tests start (the shared test session, the engine a web test starts, the subprocess of
# tests/metrics/test_spark_without_pandas.py) reads the suite's Spark settings; see tests/spark-conf.
os.environ.setdefault("SPARK_CONF_DIR", str(Path(__file__).with_name("spark-conf")))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytest-xdist schedules and reports by node id: two items sharing one id means one of them silently never
    # runs in the parallel suite (schemathesis' own parametrize did exactly that). Refuse such a collection.
    repeated = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if repeated:
        raise pytest.UsageError("several tests share one node id (give each its own id): " + ", ".join(repeated))
    unlisted = sorted({i.nodeid.split("::", 1)[0] for i in items if i.get_closest_marker("spark")
                       and not i.get_closest_marker("separate")} - set(SPARK_FILES))
    if unlisted:
        raise pytest.UsageError("Spark tests outside tests/conftest.py's SPARK_FILES: " + ", ".join(unlisted))
    # Tests marked `separate` (minutes each, e.g. a second JVM) run in their own job, scripts/test-slow.sh, so the
    # default command stays under 10 minutes; they run whenever the -m expression names them.
    if "separate" not in (config.option.markexpr or ""):
        left_out = [i for i in items if i.get_closest_marker("separate")]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [i for i in items if not i.get_closest_marker("separate")]


# ---- scheduling on pytest-xdist workers (scripts/test.sh runs `-n 2 --dist loadfile`) --------------------------
# Files whose tests start Spark. They form one work unit, so one worker starts one JVM for all of them (each JVM
# start and warm-up costs tens of seconds of CPU). A collection check below keeps the list complete.
SPARK_FILES = (
    "tests/metrics/test_spark_rows.py",
    "tests/metrics/test_spark_engine.py",
    "tests/web/test_feeds_web.py",
)
# Seconds per file of the SQLite phase on the idle machine (docs/performance.md, "The test command"); the
# slowest work units start first so both workers finish together. A stale figure only changes the order, never what runs;
# files not listed count 0.3 s per test.
FILE_SECONDS = {
    "spark": 94,
    "tests/web/test_kill9.py": 38,
    "tests/web/test_authz_matrix.py": 34,
    "tests/web/test_browser.py": 32,
    "tests/regressions/test_input_classes.py": 28,
    "tests/web/test_documents_browser.py": 23,
    "tests/web/test_weighting_browser.py": 20,
    "tests/metrics/test_cli_and_formats.py": 19,
    "tests/inspection/test_runs_and_hostile.py": 19,
    "tests/web/test_documents_web.py": 17,
    "tests/reports/test_pdf_documents.py": 15,
    "tests/web/test_rectification_browser.py": 14,
    "tests/web/test_browser_screens_f17.py": 14,
    "tests/web/test_questionnaire_web_browser.py": 12,
    "tests/web/test_accessibility.py": 12,
    "tests/metrics/test_timezones.py": 12,
    "tests/reports/test_demo_documents.py": 11,
    "tests/web/test_serve_signals.py": 10,
    "tests/core/test_outputs_kill9.py": 10,
    "tests/core/test_website_check_2019.py": 9,
    "tests/web/test_browser_upload_button.py": 8,
    "tests/web/test_survey_web.py": 8,
    "tests/core/test_domain_properties.py": 8,
    "tests/core/test_demo.py": 8,
    "tests/inspection/test_inputs_cli.py": 7,
    "tests/metrics/test_outputs_metrics.py": 6,
    "tests/inspection/test_site.py": 6,
    "tests/reports/test_report_cli.py": 5,
    "tests/web/test_rectification_extras.py": 5,
    "tests/forms/test_malformed.py": 5,
    "tests/web/test_gunicorn_jobs_mode.py": 5,
    "tests/web/test_visits_browser.py": 5,
    "tests/methods/test_sensitivity.py": 5,
    "tests/web/test_api_fuzz.py": 4,
    "tests/metrics/test_metrics_handbuilt.py": 4,
    "tests/web/test_browser_tables.py": 4,
    "tests/web/test_browser_drafts.py": 4,
    "tests/questionnaire/test_questionnaire_layering.py": 4,
}


def _work_unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return "spark" if path in SPARK_FILES else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN001, ANN201
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SlowestFirstFileScheduling(LoadFileScheduling):
        """--dist loadfile (one file on one worker, so module fixtures are built once), with the Spark files as
        one unit and the units handed out slowest first."""

        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

        def _assign_work_unit(self, node) -> None:  # noqa: ANN001
            # The base class pops the first unit of its queue; put the heaviest one there first.
            def weight(unit: str) -> float:
                return FILE_SECONDS.get(unit, 0.3 * len(self.workqueue[unit]))

            self.workqueue.move_to_end(max(self.workqueue, key=weight), last=False)
            super()._assign_work_unit(node)

    return SlowestFirstFileScheduling(config, log)

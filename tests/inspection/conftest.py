"""Fixtures: the generated government site on loopback, inspected once per session.

A guard makes any connection to a non-loopback address fail the test, so no request leaves the machine.
"""

from __future__ import annotations

import datetime as dt

import pytest

from govassess.inspection import testsite
from govassess.inspection.crawler import CrawlConfig
from govassess.inspection.report import inspect_site
from govassess.inspection.testsite import build_site, external_routes, serve

AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(autouse=True, scope="module")
def loopback_only():
    # Module scope: undone after each module, so other areas' tests never run under this guard.
    with testsite.loopback_only() as refused:
        yield
    assert not refused, f"requests left loopback: {refused}"


def config(base: str, **kw) -> CrawlConfig:
    defaults = dict(delay=0, workers=8, per_host=8, timeout=2.0, max_bytes=200_000, external="loopback")
    defaults.update(kw)
    return CrawlConfig(base + "/", **defaults)


@pytest.fixture(name="config")
def config_fixture():
    """The loopback crawl settings, as a function of the base URL."""
    return config


@pytest.fixture(scope="module")
def site(loopback_only, tmp_path_factory):
    """(report, facts, base URL, external base URL, requested paths) for one inspection of the fixture site."""
    with serve(external_routes()) as (ext, ext_hits):
        routes, facts = build_site(ext)
        with serve(routes) as (base, hits):
            state = tmp_path_factory.mktemp("state")
            # A week of 20 visits a day (the inspection is the 20th of the last day): availability is decided.
            testsite.monitor(base, state, AS_OF, last_day=19)
            monitored = len(hits)  # the inspection's own requests follow
            report = inspect_site(config(base), as_of=AS_OF, state_dir=state)
            yield {
                "report": report,
                "facts": facts,
                "base": base,
                "ext": ext,
                "hits": list(hits)[monitored:],
                "ext_hits": list(ext_hits),
            }

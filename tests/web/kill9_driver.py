"""`python kill9_driver.py <govassess arguments>`: the command, run for tests/web/test_kill9.py.

It prints a marker line ``@@name`` (and pauses KILL9_PAUSE seconds) at the points of an import, a scoring
job and a metrics run where a kill -9 is most harmful — between rows of one import, after the results are
computed but before they are stored, after the job row is stored but before the task row is — so the test
can SIGKILL it there. Nothing else is changed: the real command runs against the real database.
"""

from __future__ import annotations

import functools
import os
import sys
import time


def mark(name: str) -> None:
    print(f"@@{name}", flush=True)
    time.sleep(float(os.environ.get("KILL9_PAUSE", "0.3")))


def _around(module, name: str, before: str | None, after: str | None) -> None:
    real = getattr(module, name)

    @functools.wraps(real)
    def wrapper(*args, **kwargs):
        if before:
            mark(before)
        result = real(*args, **kwargs)
        if after:
            mark(after)
        return result

    setattr(module, name, wrapper)


def _patch() -> None:
    import govassess.metrics
    import govassess.scoring
    from govassess.web.feeds import services as feeds
    from govassess.web.organisation import services as organisation
    from govassess.web.rounds import services as rounds

    _around(govassess.scoring, "score_round", "scoring-begin", "scoring-computed")
    _around(govassess.metrics, "compute_metrics", "metrics-begin", "metrics-computed")
    _around(rounds, "scoring_execute", None, "job-stored")
    _around(feeds, "metrics_execute", None, "job-stored")

    rows = {"n": 0}
    real_upsert = organisation.unit_upsert
    half = int(os.environ.get("KILL9_HALF", "0"))

    @functools.wraps(real_upsert)
    def upsert(*args, **kwargs):
        rows["n"] += 1
        if rows["n"] in (1, half):
            mark(f"import-row-{'first' if rows['n'] == 1 else 'half'}")
        return real_upsert(*args, **kwargs)

    organisation.unit_upsert = upsert


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govassess.web.settings")
    import django

    django.setup()
    _patch()
    from govassess.cli import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

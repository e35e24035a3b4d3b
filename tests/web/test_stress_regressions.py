"""Races a deadline rush can provoke in the fill services (see "Web platform under a deadline rush" in
docs/performance.md). The stress load's own failures were connection-level (gunicorn keep-alive), not code;
this file keeps the one code race found while analysing them, reproduced deterministically."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from govassess.web.rounds import services
from govassess.web.rounds.models import InputValue


def _in_thread(fn, outcome: dict, key: str):
    def run():
        try:
            outcome[key] = fn()
        except BaseException as err:  # the test inspects what the other session raised
            outcome[key] = err
        finally:
            connections.close_all()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _backend_waits_on_lock() -> bool:
    with connections["default"].cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cur.fetchone()[0] > 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs every write transaction as BEGIN IMMEDIATE: two first saves are serialised there",
)
@pytest.mark.parametrize("check", [True, False])
def test_two_simultaneous_first_saves_end_in_a_conflict_not_an_integrity_error(org, check):
    # SELECT … FOR UPDATE locks nothing before the first value exists: the second of two simultaneous first
    # saves used to hit the unique index (IntegrityError, HTTP 500). A form save (check=True) must now get the
    # conflict message; an import or the API (check=False) overwrites, as it does when a value exists.
    holding, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def office_saves_and_holds():
        from django.db import transaction

        with transaction.atomic():
            saved = services.input_value_set(
                user=org.office, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="85%"
            )
            holding.set()
            release.wait(60)
        return saved

    def filler_saves_from_an_empty_form():
        return services.input_value_set(
            user=org.filler1,
            round=org.round,
            unit=org.d1,
            indicator="1",
            input="网上办理率",
            value="82%",
            check=check,
        )

    a = _in_thread(office_saves_and_holds, outcome, "office")
    assert holding.wait(60)
    b = _in_thread(filler_saves_from_an_empty_form, outcome, "filler")
    # The filler's INSERT waits on the office's uncommitted row in the unique index; release the office only
    # once PostgreSQL shows that wait, so the two saves really overlap.
    for _ in range(600):
        if _backend_waits_on_lock():
            break
        time.sleep(0.05)
    else:
        release.set()
        pytest.fail("the second save never waited on the first one")
    release.set()
    a.join(60)
    b.join(60)
    assert outcome["office"].value == "85%"
    if not check:
        assert outcome["filler"].value == "82%", repr(outcome["filler"])
        assert InputValue.objects.get(unit=org.d1, indicator="1").value == "82%"
        return
    # The filler built the form when there was no value: it must be told who saved what meanwhile.
    assert isinstance(outcome["filler"], services.InputConflict), repr(outcome["filler"])
    assert "85%" in str(outcome["filler"]) and "82%" in str(outcome["filler"])
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "85%"

"""Read side of 整改 for the next round: the previous round's tasks as the report model sees them."""

from __future__ import annotations

from typing import Any

from govassess.web.rounds import selectors


def scorecard_rows(round, unit) -> tuple[Any, list[Any], Any] | None:
    """上轮整改情况 of one unit on the scorecard page: (previous round, outcome rows, number formatter), from the
    same report model the 成绩单 document is made of; None when the previous round has no task."""
    from govassess.web.documents.services import report_model
    from govassess.web.rectification.services import report_rows

    before = selectors.previous_final_round(round)
    if report_rows(before) is None:
        return None
    run = selectors.latest_run(round)
    if run is None or not run.results or selectors.unit_result(run.results, unit.code) is None:
        return None
    model = report_model(round, results=run.results)
    me = model.unit(unit.code)
    return before, me.rectification, model.fmt

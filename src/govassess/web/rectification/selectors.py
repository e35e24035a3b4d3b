"""Read side of 整改 for the next round: the previous round's tasks as the report model sees them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, Subquery

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


# ---- the task list of a round: who sees which tasks, the page's filters -----------------------------------


@dataclass(frozen=True)
class TaskFilter:
    """The task page's filters (GET status / unit / overdue); the Excel export takes the same ones."""

    status: str = ""  # a TaskStatus value, or "" for every status
    unit: str = ""  # a unit's code, or part of its name
    overdue: bool = False

    @classmethod
    def from_params(cls, params) -> TaskFilter:
        from govassess.web.rectification.models import TaskStatus

        status = (params.get("status") or "").strip()
        return cls(status=status if status in TaskStatus.values else "", unit=(params.get("unit") or "").strip()[:100],
                   overdue=(params.get("overdue") or "") in ("1", "on", "true"))

    @property
    def active(self) -> bool:
        return bool(self.status or self.unit or self.overdue)

    def query(self) -> str:
        from urllib.parse import urlencode

        params = {"status": self.status, "unit": self.unit, "overdue": "1" if self.overdue else ""}
        return urlencode({k: v for k, v in params.items() if v})


def visible_tasks(user, round):
    """The tasks of a round the user may see: reviewers and the office all, a unit's filler its own, others none."""
    from govassess.web.accounts.models import Role
    from govassess.web.accounts.selectors import user_role, user_unit_id
    from govassess.web.rectification import policy
    from govassess.web.rectification.models import Task

    qs = Task.objects.filter(round=round).select_related("unit")
    if policy.can_view_all(user):
        return qs
    if user_role(user=user) == Role.FILLER:
        return qs.filter(unit_id=user_unit_id(user=user))
    return qs.none()


def overdue_q(today: dt.date) -> Q:
    from govassess.web.rectification.models import FINISHED

    return Q(deadline__lt=today) & ~Q(status__in=FINISHED)


def filtered_tasks(qs, f: TaskFilter, *, today: dt.date):
    """The filters in the database (3,000 units × several tasks: no Python loop over all of them)."""
    if f.status:
        qs = qs.filter(status=f.status)
    if f.unit:
        qs = qs.filter(Q(unit__code=f.unit) | Q(unit__name__contains=f.unit))
    if f.overdue:
        qs = qs.filter(overdue_q(today))
    return qs


def with_history(qs):
    """Each task with its latest answer (text, time), latest review (kind, reason) and withdrawal reason, as
    subqueries: the export reads them without one query per task."""
    from govassess.web.rectification.models import EventKind, TaskEvent

    events = TaskEvent.objects.filter(task=OuterRef("pk")).order_by("-at", "-id")
    answers = events.filter(kind=EventKind.ANSWER)
    reviews = events.filter(kind__in=[EventKind.ACCEPT, EventKind.RETURN])
    return qs.annotate(
        last_answer=Subquery(answers.values("text")[:1]), last_answer_at=Subquery(answers.values("at")[:1]),
        last_review_kind=Subquery(reviews.values("kind")[:1]), last_review_text=Subquery(reviews.values("text")[:1]),
        withdraw_reason=Subquery(events.filter(kind=EventKind.WITHDRAW).values("text")[:1]),
    )

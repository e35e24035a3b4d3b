"""`{% rectification_link round %}` on the round page and `{% previous_rectification round unit %}` on the
scorecard page (上轮整改情况, the same rows as the 成绩单 document): they decide themselves who sees what,
so the rounds views need no change."""

from __future__ import annotations

from django import template

from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.rounds import policy

register = template.Library()


@register.inclusion_tag("rectification/_link.html", takes_context=True)
def rectification_link(context, round):
    from govassess.web.rectification.models import Task

    request = context.get("request")
    user = getattr(request, "user", None)
    role = user_role(user=user) if user is not None else None
    if role not in (Role.OFFICE, Role.REVIEWER, Role.FILLER) or round.state != "final":
        return {"shown": False}
    tasks = Task.objects.filter(round=round).exclude(status="withdrawn")
    if role == Role.FILLER:
        tasks = tasks.filter(unit_id=user_unit_id(user=user))
    return {"shown": True, "round": round, "count": tasks.count(), "office": role == Role.OFFICE}


@register.inclusion_tag("rectification/_previous.html", takes_context=True)
def previous_rectification(context, round, unit):
    from govassess.web.rectification.selectors import scorecard_rows

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not policy.can_view_scorecard(user, round, unit):
        return {"shown": False}
    found = scorecard_rows(round, unit)
    if found is None:
        return {"shown": False}
    previous_round, rows, fmt = found
    return {"shown": True, "previous_round": previous_round, "rows": rows, "fmt": fmt}

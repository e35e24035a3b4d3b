"""`{% feed_evidence round unit %}`: the feed rows (with their evidence notes) stored for a unit in a round,
shown on the unit's fill and scorecard pages. The page already checked that the user sees the unit; here the
rows are narrowed to the indicators the user may read (providers: their assigned ones)."""

from django import template

from govassess.web.feeds.selectors import can_view_feeds, pushes_for
from govassess.web.rounds import policy
from govassess.web.systems.selectors import system_fields

register = template.Library()


@register.inclusion_tag("feeds/_evidence.html", takes_context=True)
def feed_evidence(context, round, unit):
    request = context.get("request")
    user = getattr(request, "user", None)
    if round is None or unit is None or user is None or not policy.can_view_unit_data(user, round, unit):
        return {"feed_pushes": []}
    fields = system_fields(round.system)
    visible = {f.indicator for f in policy.visible_fields(user, round, fields)}
    readable = None
    items = []
    for item in pushes_for(round=round, unit=unit):
        rows = [r for r in item["rows"] if r.get("indicator") in visible]
        if item["push"].source == "暗访":
            # A mystery visit stays a mystery: its rows follow the per-field decision of the unit's inputs
            # (policy.readable_fields), so a unit reads them only from the preliminary publication on.
            readable = policy.readable_fields(user, round, unit, fields) if readable is None else readable
            rows = [r for r in rows if (str(r.get("indicator")), str(r.get("input"))) in readable]
        if rows:
            items.append({**item, "rows": rows})
    return {"feed_pushes": items, "show_report": can_view_feeds(user)}

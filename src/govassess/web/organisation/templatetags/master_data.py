"""`{% load master_data %}{% unit_master unit %}`: the unit's 一表通 master data (name, contact …) as a small card,
for any page that shows a unit (e.g. the round fill page), read live so a change shows everywhere."""

from __future__ import annotations

from django import template

from govassess.web.organisation.selectors import profile_dict

register = template.Library()


@register.inclusion_tag("survey/_unit_master.html", takes_context=True)
def unit_master(context, unit):
    from govassess.web.organisation.selectors import can_edit_profile

    user = context.get("user")
    return {
        "unit": unit,
        "master": profile_dict(unit) if unit is not None else {},
        "can_edit": bool(unit is not None and user is not None and can_edit_profile(user, unit)),
    }

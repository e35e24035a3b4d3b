"""The sensitivity panel the results page and the appeal page include (`{% sensitivity_panel round %}`): it
decides itself who sees it (weighting.policy), so the rounds views need no change."""

from __future__ import annotations

from django import template

from govassess.web.weighting import policy, selectors, services

register = template.Library()


@register.inclusion_tag("weighting/_sensitivity.html", takes_context=True)
def sensitivity_panel(context, round, unit=None):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not policy.can_view_sensitivity(user, round):
        return {"allowed": False}
    ctx = selectors.sensitivity_panel(round, unit_code=unit.code if unit is not None else None)
    ctx.update(
        allowed=True,
        round=round,
        unit=unit,
        can_start=unit is None and policy.is_office(user) and not round.locked,
        defaults={**services.SENSITIVITY_DEFAULTS, "perturb_percent": 100 * services.SENSITIVITY_DEFAULTS["perturb"]},
        max_samples=services.MAX_SAMPLES,
        next=request.get_full_path(),
        csrf_token=context.get("csrf_token"),
    )
    return ctx

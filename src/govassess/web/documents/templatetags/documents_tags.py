"""The documents panel of the round page (`{% documents_panel round %}`): it decides itself who sees what
(documents.policy), so the rounds view needs no change."""

from __future__ import annotations

from django import template

from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.documents import policy, templating
from govassess.web.documents.models import (
    DEFAULT_TEMPLATE_NAME,
    DocumentFormat,
    DocumentKind,
    DocumentTemplate,
)
from govassess.web.organisation.models import Unit
from govassess.web.rounds.models import JobStatus, RoundState

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def documents_panel(context, round):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {"shown": False}
    office = policy.policy.can_manage(user)
    final = round.state == RoundState.FINAL
    docs = list(round.documents.all()) if office else [
        d for d in round.documents.filter(status=JobStatus.DONE, published_at__isnull=False)
        if policy.can_download(user, d)]
    unit = None
    if final and user_role(user=user) == Role.FILLER:
        unit = Unit.objects.filter(pk=user_unit_id(user=user)).first()
    return {
        "shown": office or bool(docs) or unit is not None,
        "office": office, "final": final, "round": round, "documents": docs, "unit": unit,
        "kinds": DocumentKind.choices, "formats": DocumentFormat.choices,
        "templates": list(DocumentTemplate.objects.all()) if office else [],
        "scorecard_template": templating.scorecard_template(round) if office else None,
        "default_template": DEFAULT_TEMPLATE_NAME,
        "active": any(d.status in (JobStatus.QUEUED, JobStatus.RUNNING) for d in docs),
        "csrf_token": context.get("csrf_token"), "next": request.get_full_path(),
    }

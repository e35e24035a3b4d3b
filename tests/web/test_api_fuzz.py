"""schemathesis against the served OpenAPI document: generated requests never get a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from webtools import Org  # noqa: E402

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def api(db):
    org = Org()
    return org.round.pk, {name: Token.objects.create(user=user).key for name, user in org.users().items()}


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case, api):
    round_pk, tokens = api
    if case.path_parameters and "pk" in case.path_parameters:
        # Aim the generated bodies and queries at a real round, not only at 404s.
        case.path_parameters["pk"] = round_pk
    for role in ("office", "provider", "filler1"):
        response = case.call(headers={"Authorization": f"Token {tokens[role]}"})
        assert response.status_code < 500, (role, case.method, case.formatted_path, response.text[:500])
